package snapshot

import (
	"strings"
	"testing"

	"github.com/wenzhou/danbao/models"
)

// TestPanicFrame checks that catchOwnPanics can tell our panics from a
// library's: a panic in a column accessor is located in this package.
func TestPanicFrame(t *testing.T) {
	var frame string
	panicHook = func(p any, stack []byte) { frame = panicFrame(string(stack)) }
	defer func() { panicHook = nil }()
	d := newDecoder("x")
	bad := column[models.Loan]{name: "pd", kind: kFloat, num: func(*models.Loan) *float64 { return nil }}
	rows := make([]models.Loan, 1)
	setCell(d, &bad, &rows[0], 2, "x") // not a number: a problem, no panic
	if frame != "" || d.probs.Len() != 1 {
		t.Fatalf("frame %q without a panic", frame)
	}
	setPD := func() { setCell(d, &bad, &rows[0], 2, "0.5") } // writes through a nil pointer
	func() {
		defer func() {
			if p := recover(); p != nil {
				recovered(p)
			}
		}()
		setPD()
	}()
	if !strings.Contains(frame, "danbao/models/snapshot.") {
		t.Errorf("panic located at %q, want this package", frame)
	}
}
