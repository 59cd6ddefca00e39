//go:build unix

package api

import (
	"fmt"
	"os"
	"syscall"
)

// lockDir takes an exclusive advisory lock on DIR/lock, so two servers
// never share a data folder (each would take the other's runs for
// interrupted ones). The kernel drops the lock when the process ends, even
// by kill -9. The returned func releases it.
func lockDir(dir string) (func(), error) {
	f, err := os.OpenFile(dir+string(os.PathSeparator)+"lock", os.O_CREATE|os.O_RDWR, 0o640)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil, fmt.Errorf("data folder %s is in use by another danbao server: %w", dir, err)
	}
	return func() {
		syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}
