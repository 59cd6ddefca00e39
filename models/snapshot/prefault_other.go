//go:build !linux

package snapshot

// prefault does nothing here: the pages fault as the decoders write them.
func prefault([]byte) {}
