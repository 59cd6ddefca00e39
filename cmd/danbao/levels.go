package main

import (
	"fmt"
	"slices"

	"github.com/wenzhou/danbao/sim"
)

// defaultLevels is the default of --levels.
const defaultLevels = "0.95,0.99,0.999"

// parseLevels reads --levels: comma-separated confidence levels, each in
// [0.5, sim.MaxLevel], returned sorted without duplicates. "" is none.
func parseLevels(list string) ([]float64, error) {
	if list == "" {
		return nil, nil
	}
	ls, err := parseFloats("--levels", list)
	if err != nil {
		return nil, err
	}
	for i, a := range ls {
		if !(a >= 0.5 && a <= sim.MaxLevel) {
			return nil, fmt.Errorf("--levels: value %d (%v) must be in [0.5, %v]", i+1, a, sim.MaxLevel)
		}
	}
	if len(ls) > sim.MaxLevels {
		return nil, fmt.Errorf("--levels: %d levels; give at most %d", len(ls), sim.MaxLevels)
	}
	slices.Sort(ls)
	return slices.Compact(ls), nil
}
