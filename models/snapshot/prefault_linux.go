package snapshot

import (
	"os"
	"syscall"
	"unsafe"
)

// prefault asks the kernel to back b with memory now, in one call
// (madvise MADV_POPULATE_WRITE, Linux 5.14 and later), rather than one
// page fault at a time as the decoders first write each 4 KiB page. On a
// virtual machine a fault costs several microseconds, and the 240 MB of
// rows of a 1,000,000-loan book take 60,000 of them: a fresh `danbao
// run` opened that book in 0.725 s before and 0.57 s after (medians of 8,
// docs/performance.md). The pages stay 4 KiB (huge pages made the runs
// slower). Where the kernel does not know the advice nothing happens and
// the pages fault as before. Only whole pages inside b are advised.
func prefault(b []byte) {
	const populateWrite = 23 // MADV_POPULATE_WRITE
	page := uintptr(os.Getpagesize())
	p := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	start, end := (p+page-1)&^(page-1), (p+uintptr(len(b)))&^(page-1)
	if end > start {
		syscall.Syscall(syscall.SYS_MADVISE, start, end-start, populateWrite)
	}
}
