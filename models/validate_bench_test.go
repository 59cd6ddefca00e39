package models_test

import (
	"testing"

	"github.com/wenzhou/danbao/models"
	"github.com/wenzhou/danbao/models/synth"
)

// BenchmarkValidate1M validates the book of `danbao gen --loans 1000000
// --seed 1` (wall time per validation; part of every snapshot open):
//
//	go test ./models -run '^$' -bench Validate1M -benchtime 10x -count 3
func BenchmarkValidate1M(b *testing.B) {
	pf, err := synth.Generate(synth.Options{Loans: 1_000_000, Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if err := pf.Validate(models.DefaultFiles); err != nil {
			b.Fatal(err)
		}
	}
}
