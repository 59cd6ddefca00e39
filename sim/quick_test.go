package sim

import (
	"testing"
	"time"
)

func TestQuick(t *testing.T) {
	m := mustCompile(t, homogeneous(1000, 0.01), oneFactor(0.2))
	for _, s := range []Sampler{Fast, Dense} {
		t0 := time.Now()
		r := mustRun(t, m, Params{Seed: 1, Paths: 200000, Sampler: s})
		sum := Summarize(totalsYuan(r), 0)
		t.Logf("%v %v mean %.4f±%.4f var %v es %v se %v %v", s, time.Since(t0), sum.Mean, sum.SEMean, sum.VaR, sum.ES, sum.SEVaR, sum.SEES)
	}
}
