package scenarios

import (
	"strings"
	"testing"

	"github.com/wenzhou/danbao/internal/hostile"
	"github.com/wenzhou/danbao/models"
)

// TestHostileYAML: a scenario nested 64k deep (128 KiB; issue 18) is
// refused before the YAML parser sees it, as a file and as a --set value,
// within 512 MB of peak RSS.
func TestHostileYAML(t *testing.T) {
	deep := hostile.DeepYAML(1 << 16)
	var err error
	peak, ok := hostile.PeakRSS(func() { _, err = Parse("deep.yaml", deep) })
	if err == nil || !strings.Contains(err.Error(), "deep.yaml:2:") || !strings.Contains(err.Error(), "nests more than 64 deep") {
		t.Fatalf("err = %v", err)
	}
	t.Logf("%d bytes nested %d deep: peak RSS %d MiB", len(deep), 1<<16, peak>>20)
	if ok && peak > hostile.MaxPeakRSS {
		t.Errorf("peak RSS %d MiB", peak>>20)
	}
	sc := models.DefaultScenario()
	value := strings.Repeat("[", 1<<16) + strings.Repeat("]", 1<<16)
	if err := Set(&sc, "model.r2_by_segment", value); err == nil || !strings.Contains(err.Error(), "nests more than 64 deep") {
		t.Errorf("--set: err = %v", err)
	}
	big := []byte("name: big\ndescription: " + strings.Repeat("x", MaxFileBytes) + "\n")
	if _, err := Parse("big.yaml", big); err == nil || !strings.Contains(err.Error(), "a scenario may have at most 1048576") {
		t.Errorf("%d bytes: err = %v", len(big), err)
	}
}

func TestCheckShape(t *testing.T) {
	for _, tt := range []struct {
		name  string
		yaml  string
		depth int // -1: refused
	}{
		{"flat", "a: 1\nb: 2\n", 0},
		{"flow 64", "a: " + strings.Repeat("[", 63) + strings.Repeat("]", 63) + "\n", 0},
		{"flow 65", "a: " + strings.Repeat("[", 64) + strings.Repeat("]", 64) + "\n", -1},
		{"brackets in quotes", "a: '" + strings.Repeat("[", 100) + "'\nb: \"" + strings.Repeat("{", 100) + "\\\"\"\n", 0},
		{"brackets in a comment", "a: 1 # " + strings.Repeat("[", 100) + "\n", 0},
		{"dashes on one line", "a:\n  " + strings.Repeat("- ", 70) + "x\n", -1},
		{"block 70 deep", blockNest(70), -1},
		{"block 60 deep", blockNest(60), 0},
	} {
		_, _, msg, ok := checkShape([]byte(tt.yaml))
		if ok != (tt.depth == 0) {
			t.Errorf("%s: ok = %v (%s)", tt.name, ok, msg)
		}
	}
}

// blockNest returns mappings nested n deep in block style.
func blockNest(n int) string {
	var b strings.Builder
	for i := range n {
		b.WriteString(strings.Repeat(" ", i) + "k:\n")
	}
	return b.String()
}
