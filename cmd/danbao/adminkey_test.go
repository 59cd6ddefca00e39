package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestLocalAdminKey: admin.key holds the bare key, so that
// curl -H "Authorization: Bearer $(cat danbao-data/admin.key)" works, and
// the same key comes back on the next start; a file of the older
// keys-file form is still read.
func TestLocalAdminKey(t *testing.T) {
	dir := t.TempDir()
	k, err := localAdminKey(dir)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "admin.key"))
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != k.Secret+"\n" || !strings.HasPrefix(k.Secret, "dbk_") {
		t.Errorf("admin.key holds %q, want the bare key %q", b, k.Secret)
	}
	again, err := localAdminKey(dir)
	if err != nil || again.Secret != k.Secret {
		t.Errorf("second start: %q, %v; want %q", again.Secret, err, k.Secret)
	}
	old := t.TempDir()
	if err := os.WriteFile(filepath.Join(old, "admin.key"), []byte("# created by danbao serve\nadmin dbk_0123456789abcdef0123456789abcdef local-admin\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if k, err := localAdminKey(old); err != nil || k.Secret != "dbk_0123456789abcdef0123456789abcdef" {
		t.Errorf("old form: %q, %v", k.Secret, err)
	}
	bad := t.TempDir()
	if err := os.WriteFile(filepath.Join(bad, "admin.key"), []byte("admin\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := localAdminKey(bad); err == nil {
		t.Error("a damaged admin.key was accepted")
	}
}
