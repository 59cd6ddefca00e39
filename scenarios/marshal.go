package scenarios

import (
	"github.com/goccy/go-yaml"

	"github.com/wenzhou/danbao/models"
)

// Marshal writes sc as YAML that Parse reads back to an equal scenario
// (money as yuan, every field with its YAML key).
func Marshal(sc models.Scenario) ([]byte, error) {
	return yaml.MarshalWithOptions(sc, yaml.IndentSequence(true), yaml.UseLiteralStyleIfMultiline(true))
}
