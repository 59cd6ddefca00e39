package sim

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/wenzhou/danbao/models"
)

// TestSweep2DEqualsRows: a 2-D sweep (bank share × county fund share) is
// its rows, bit for bit: each row equals the 1-D bank-share sweep at that
// county share (points and differences), and each cell equals a single
// run of its scenario with the same seed. Common random numbers: the total
// credit loss is the same at every cell (policy parameters do not move
// defaults). Monotone as the split says: the guarantor carries
// 1 − bank − re-guarantee − national − county shares of each loss (up to the
// stop-losses and the county budget), so its mean loss falls strictly as
// the bank share rises and does not rise as the county share rises.
func TestSweep2DEqualsRows(t *testing.T) {
	pf := thinCapital(600)
	sc := thinScenario(pf)
	p := Params{Seed: 21, Paths: 400, Workers: 2}
	bs, cs := []float64{0.2, 0.3, 0.4}, []float64{0, 0.1}
	g := &models.SweepGrid{Axes: []models.SweepAxis{{Param: models.BankSharePath, Values: bs}, {Param: "policy.county_fund.share", Values: cs}},
		MovesBankShare: true}
	rows := make([]*models.Scenario, len(cs))
	for j, c := range cs {
		row := *sc
		row.Policy.CountyFund.Share = c
		rows[j] = &row
		for _, b := range bs {
			pt := row
			pt.Policy.BankShare = b
			g.Points = append(g.Points, pt)
		}
	}
	r, err := Sweep(context.Background(), pf, g, SweepOptions{}, p)
	if err != nil {
		t.Fatal(err)
	}
	if r.Param2 != "policy.county_fund.share" || len(r.Values2) != 2 || len(r.Points) != 6 || len(r.Differences) != 2*2*(NParties+1) {
		t.Fatalf("param2 %q, values2 %v, %d points, %d differences", r.Param2, r.Values2, len(r.Points), len(r.Differences))
	}
	js := func(v any) string {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	total := r.Points[0].Loss[PartyTotal].Mean
	for j, c := range cs {
		one := mustSweep(t, pf, rows[j], bs, SweepOptions{}, p)
		for i := range bs {
			pt := r.Points[j*len(bs)+i]
			if pt.Value2 == nil || float64(*pt.Value2) != c || float64(pt.Value) != bs[i] {
				t.Fatalf("point %d at (%v, %v), want (%v, %v)", j*len(bs)+i, pt.Value, pt.Value2, bs[i], c)
			}
			pt.Value2 = nil
			if a, b := js(pt), js(one.Points[i]); a != b {
				t.Errorf("cell (%v, %v) differs from the 1-D sweep:\n%s\n%s", bs[i], c, a, b)
			}
			if pt.Loss[PartyTotal].Mean != total {
				t.Errorf("cell (%v, %v): total loss %v, at the first cell %v", bs[i], c, pt.Loss[PartyTotal].Mean, total)
			}
		}
		for k, d := range r.Differences[j*len(one.Differences) : (j+1)*len(one.Differences)] {
			if d.Value2 == nil || float64(*d.Value2) != c {
				t.Fatalf("difference %d at value2 %v, want %v", k, d.Value2, c)
			}
			d.Value2 = nil
			if a, b := js(d), js(one.Differences[k]); a != b {
				t.Errorf("difference %d at county share %v: %s, 1-D %s", k, c, a, b)
			}
		}
	}
	// One cell against a single run of its scenario.
	o := mustExecute(t, pf, &g.Points[4], p)
	if a, b := js(r.Points[4].Loss), js(o.Doc.Loss); a != b {
		t.Errorf("cell 4 loss %s, single run %s", a, b)
	}
	for j := range cs {
		for i := range bs {
			g := float64(r.Points[j*len(bs)+i].Loss["guarantor"].Mean)
			t.Logf("bank share %.1f, county share %.1f: guarantor mean loss %.0f", bs[i], cs[j], g)
			if i > 0 && !(g < float64(r.Points[j*len(bs)+i-1].Loss["guarantor"].Mean)) {
				t.Errorf("guarantor loss does not fall from bank share %v to %v at county share %v", bs[i-1], bs[i], cs[j])
			}
			if j > 0 && !(g <= float64(r.Points[(j-1)*len(bs)+i].Loss["guarantor"].Mean)) {
				t.Errorf("guarantor loss rises from county share %v to %v at bank share %v", cs[j-1], cs[j], bs[i])
			}
		}
	}
}
