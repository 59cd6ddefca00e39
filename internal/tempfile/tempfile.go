// Package tempfile creates the scratch files the engine asks for: sim does
// no I/O of its own, so the commands and the service hand it Spill as
// sim.Params.Spill.
package tempfile

import (
	"fmt"
	"os"

	"github.com/wenzhou/danbao/sim"
)

// Spill creates a file for a run's per-path metrics and county outlays in
// os.TempDir() ($TMPDIR), and removes it from the folder at once: on Unix
// it lives on until closed, so it is gone when the run ends, however the
// process ends.
func Spill() (sim.SpillFile, error) {
	return create(os.TempDir())
}

func create(dir string) (sim.SpillFile, error) {
	f, err := os.CreateTemp(dir, "danbao-metrics-*.bin")
	if err != nil {
		return nil, fmt.Errorf("a temporary file in %s: %w (set TMPDIR to a folder with room)", dir, err)
	}
	_ = os.Remove(f.Name()) // gone from the folder now; the space is freed when f is closed
	return f, nil
}
