package scenarios

import (
	"embed"
	"fmt"
	"io/fs"
	"os"
	"path"
	"slices"
	"strings"

	"github.com/wenzhou/danbao/models"
)

// library holds the built-in scenarios, one YAML file each; the file name
// without .yaml is the scenario's name.
//
//go:embed library/*.yaml
var library embed.FS

func builtinSource(name string) layerSource {
	return layerSource{file: "builtin:" + name, id: "builtin:" + name, dir: "library",
		files: fsFiles{library, "builtin:"}, name: name}
}

// Names returns the names of the built-in scenarios, sorted.
func Names() []string {
	entries, err := fs.ReadDir(library, "library")
	if err != nil {
		panic("scenarios: embedded library unreadable: " + err.Error())
	}
	var names []string
	for _, e := range entries {
		if n, ok := strings.CutSuffix(e.Name(), ".yaml"); ok {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	return names
}

// Info describes a built-in scenario.
type Info struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	Extends     string `json:"extends,omitempty"`
}

// List returns every built-in scenario's name, description and parent,
// sorted by name. A built-in that does not parse is listed with the error
// as its description (the package's tests keep that from happening).
func List() []Info {
	var out []Info
	for _, n := range Names() {
		sc, err := Builtin(n)
		if err != nil {
			out = append(out, Info{Name: n, Description: "invalid: " + err.Error()})
			continue
		}
		out = append(out, Info{Name: n, Description: sc.Description, Extends: sc.Extends})
	}
	return out
}

// Builtin returns the fully resolved built-in scenario name. Each call
// returns a fresh value that the caller may change.
func Builtin(name string) (models.Scenario, error) {
	if !builtinName.MatchString(name) {
		return models.Scenario{}, notFound(name)
	}
	data, err := fs.ReadFile(library, path.Join("library", name+".yaml"))
	if err != nil {
		return models.Scenario{}, notFound(name)
	}
	return parse(builtinSource(name), data)
}

// BuiltinSource returns the YAML text of a built-in scenario as it is
// embedded, comments included.
func BuiltinSource(name string) ([]byte, error) {
	if !builtinName.MatchString(name) {
		return nil, notFound(name)
	}
	data, err := fs.ReadFile(library, path.Join("library", name+".yaml"))
	if err != nil {
		return nil, notFound(name)
	}
	return data, nil
}

func notFound(name string) error {
	return &Problem{File: "builtin:" + name, Reason: fmt.Sprintf("no built-in scenario %q (built-ins: %s)",
		name, strings.Join(Names(), ", ")), Err: models.ErrNotFound}
}

// Load returns a built-in scenario by name or reads a scenario file. A
// name with a path separator or a .yaml/.yml suffix is a file; anything
// else is a built-in, or a file when no built-in has that name and the
// file exists.
func Load(nameOrFile string) (models.Scenario, error) {
	if !isFileRef(nameOrFile) {
		if _, err := BuiltinSource(nameOrFile); err == nil {
			return Builtin(nameOrFile)
		}
		if _, err := os.Stat(nameOrFile); err != nil {
			return models.Scenario{}, notFound(nameOrFile)
		}
	}
	data, err := os.ReadFile(nameOrFile)
	if err != nil {
		return models.Scenario{}, fmt.Errorf("%w: read scenario: %w", category(err), err)
	}
	return Parse(nameOrFile, data)
}
