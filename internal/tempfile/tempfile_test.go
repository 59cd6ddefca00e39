package tempfile

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCreate: the file is usable and already gone from its folder; a
// folder that does not exist is an error naming it and TMPDIR.
func TestCreate(t *testing.T) {
	dir := t.TempDir()
	f, err := create(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteAt([]byte("fen"), 5); err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 3)
	if _, err := f.ReadAt(b, 5); err != nil || string(b) != "fen" {
		t.Errorf("read back %q, %v; wrote \"fen\"", b, err)
	}
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Errorf("the folder still lists %d files; the file should be removed at once", len(left))
	}
	missing := filepath.Join(dir, "no-such-folder")
	if _, err := create(missing); err == nil || !strings.Contains(err.Error(), missing) || !strings.Contains(err.Error(), "TMPDIR") {
		t.Errorf("missing folder: err = %v, want one naming %s and TMPDIR", err, missing)
	}
}
