package main

import (
	"bytes"
	"context"
	"math"
	"path/filepath"
	"strings"
	"testing"
)

// TestTopupJointWriteScenario: danbao topup --joint --confidence 0.9 on
// seed 1 writes a scenario; danbao run of it on seed 2 shows the joint
// capital probability ≥ 0.9 − 2 SE, SE = √(α(1−α)(1/P + 1/P')) (the
// in-sample search and the re-run's binomial share, as in
// sim.TestJointTopupHoldsOutOfSample). The joint total is at most the sum
// of the stand-alone top-ups at the common level, which reaches the same
// joint probability.
func TestTopupJointWriteScenario(t *testing.T) {
	const alpha, P = 0.9, 3000
	file := filepath.Join(t.TempDir(), "joint.yaml")
	o := topupOptions{simOptions: simOptions{scenario: "baseline", paths: P, seed: 1, workers: 2},
		confidence: "0.9", confSet: true, joint: true, writeScenario: file}
	r := topupJSON(t, o)
	jt := r.Joint
	if jt == nil || float64(jt.Confidence) != alpha || float64(jt.PJoint) < alpha {
		t.Fatalf("joint %+v", jt)
	}
	if jt.Total > jt.CommonTotal {
		t.Errorf("joint total %v above the stand-alone total %v at the common level %v", jt.Total, jt.CommonTotal, jt.CommonLevel)
	}
	if math.Abs(float64(jt.Certain+jt.Risk-jt.Total)) > 0.01 {
		t.Errorf("certain %v + risk %v ≠ total %v", jt.Certain, jt.Risk, jt.Total)
	}
	ro := smallRun()
	ro.scenario, ro.paths, ro.seed = file, P, 2
	doc, _ := runJSON(t, ro)
	if doc.Joint == nil {
		t.Fatal("no joint block in the run of the written scenario")
	}
	got := float64(doc.Joint.Capital.PHold)
	se := math.Sqrt(alpha * (1 - alpha) * 2 / P)
	t.Logf("joint top-up %.0f yuan (common level %.4f: %.0f; stand-alone at 0.9: %.0f, joint P %.3f); seed 2: joint P %.4f ± %.4f",
		float64(jt.Total), float64(jt.CommonLevel), float64(jt.CommonTotal), float64(jt.StandaloneTotal), float64(jt.PStandalone),
		got, float64(doc.Joint.Capital.SE))
	if got < alpha-2*se {
		t.Errorf("joint P on seed 2 = %.4f < 0.9 − 2 SE (%.4f)", got, se)
	}
}

// TestTopupJointBadFlags: --joint takes one level; --write-scenario needs --joint.
func TestTopupJointBadFlags(t *testing.T) {
	for _, tc := range []struct {
		o    topupOptions
		want string
	}{
		{topupOptions{simOptions: smallTopup().simOptions, confidence: "0.9,0.95", confSet: true, joint: true}, "--joint takes one --confidence level"},
		{topupOptions{simOptions: smallTopup().simOptions, confidence: "0.9", writeScenario: "x.yaml"}, "needs --joint"},
	} {
		var out bytes.Buffer
		err := runTopup(context.Background(), tc.o, &out, &out)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: error %v, want %q", tc.o, err, tc.want)
		}
	}
}
