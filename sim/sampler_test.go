package sim

import (
	"errors"
	"testing"

	"github.com/wenzhou/danbao/models"
)

// A sampler's name reads back as the same sampler; anything else is
// invalid input, not a default.
func TestSamplerText(t *testing.T) {
	for _, s := range []Sampler{Fast, Dense} {
		b, _ := s.MarshalText()
		var got Sampler
		if err := got.UnmarshalText(b); err != nil || got != s {
			t.Errorf("%v: MarshalText %q read back as %v, %v", s, b, got, err)
		}
	}
	for _, bad := range []string{"", "Fast", "sparse"} {
		var s Sampler
		if err := s.UnmarshalText([]byte(bad)); !errors.Is(err, models.ErrInvalid) {
			t.Errorf("UnmarshalText(%q) = %v, want models.ErrInvalid", bad, err)
		}
	}
}
