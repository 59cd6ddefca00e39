package calibrate

import (
	"math"
	"math/rand/v2"
	"slices"

	"gonum.org/v1/gonum/stat/distuv"
)

// panel is a history as a years × groups table of loans and defaults,
// one group per (county, industry) cell (segments summed). n[g*T+t] = 0
// means the group has no loans in year t.
type panel struct {
	years      []int
	counties   []string
	industries []string
	cty, ind   []int     // per group: county and industry index
	n, d       []float64 // [g*T + t]
}

func (p *panel) T() int { return len(p.years) }
func (p *panel) G() int { return len(p.cty) }

// newPanel sums h's records into (county, industry) cells by year. Years
// between the first and the last with no record are kept, empty.
func newPanel(h *History) *panel {
	p := &panel{}
	first, last := h.Records[0].Year, h.Records[0].Year
	cset, iset := map[string]bool{}, map[string]bool{}
	for _, r := range h.Records {
		first, last = min(first, r.Year), max(last, r.Year)
		cset[r.County], iset[r.Industry] = true, true
	}
	for y := first; y <= last; y++ {
		p.years = append(p.years, y)
	}
	for c := range cset {
		p.counties = append(p.counties, c)
	}
	for i := range iset {
		p.industries = append(p.industries, i)
	}
	slices.Sort(p.counties)
	slices.Sort(p.industries)
	cidx, iidx := index(p.counties), index(p.industries)
	type cell struct{ c, i int }
	gidx := map[cell]int{}
	for _, r := range h.Records {
		k := cell{cidx[r.County], iidx[r.Industry]}
		if _, ok := gidx[k]; !ok {
			gidx[k] = -1
		}
	}
	cells := make([]cell, 0, len(gidx))
	for k := range gidx {
		cells = append(cells, k)
	}
	slices.SortFunc(cells, func(a, b cell) int {
		if a.c != b.c {
			return a.c - b.c
		}
		return a.i - b.i
	})
	for g, k := range cells {
		gidx[k] = g
		p.cty = append(p.cty, k.c)
		p.ind = append(p.ind, k.i)
	}
	T := p.T()
	p.n = make([]float64, len(cells)*T)
	p.d = make([]float64, len(cells)*T)
	for _, r := range h.Records {
		g := gidx[cell{cidx[r.County], iidx[r.Industry]}]
		p.n[g*T+r.Year-first] += float64(r.Loans)
		p.d[g*T+r.Year-first] += float64(r.Defaults)
	}
	return p
}

func index(names []string) map[string]int {
	m := make(map[string]int, len(names))
	for i, s := range names {
		m[s] = i
	}
	return m
}

// truth is a parameter set of the multi-factor model to simulate from.
type truth struct {
	pd  []float64 // per group, unconditional one-year PD
	r2  [3]float64
	phi float64 // AR(1) persistence of every factor
}

// simulateTo draws a history's defaults into dst (same layout as p.d) for
// the loans p.n under tr: per year t the factors
//
//	F_t = φ·F_{t−1} + √(1−φ²)·Z_t   (M, I_k, C_j; F_0 ~ N(0,1))
//
// and per group d ~ Binomial(n, Φ((Φ⁻¹(pd) − √a_m·M − √a_i·I_k − √a_c·C_j)/√(1−Σa))).
// m, ik and cj are scratch of length 1, len(industries) and len(counties).
func (p *panel) simulateTo(dst []float64, tr *truth, rng *rand.Rand, ik, cj []float64) {
	T := p.T()
	sm, si, sc := math.Sqrt(tr.r2[0]), math.Sqrt(tr.r2[1]), math.Sqrt(tr.r2[2])
	sig := math.Sqrt(1 - tr.r2[0] - tr.r2[1] - tr.r2[2])
	innov := math.Sqrt(1 - tr.phi*tr.phi)
	var m float64
	for t := range T {
		if t == 0 {
			m = rng.NormFloat64()
			for k := range ik {
				ik[k] = rng.NormFloat64()
			}
			for j := range cj {
				cj[j] = rng.NormFloat64()
			}
		} else {
			m = tr.phi*m + innov*rng.NormFloat64()
			for k := range ik {
				ik[k] = tr.phi*ik[k] + innov*rng.NormFloat64()
			}
			for j := range cj {
				cj[j] = tr.phi*cj[j] + innov*rng.NormFloat64()
			}
		}
		for g := range p.cty {
			n := p.n[g*T+t]
			if n == 0 {
				dst[g*T+t] = 0
				continue
			}
			c := phiInv(tr.pd[g])
			q := phi((c - sm*m - si*ik[p.ind[g]] - sc*cj[p.cty[g]]) / sig)
			dst[g*T+t] = binomial(rng, n, q)
		}
	}
}

// binomial draws from Binomial(n, q): by inversion when n·min(q, 1−q) < 30
// (no allocation), else by gonum's rejection sampler.
func binomial(rng *rand.Rand, n, q float64) float64 {
	if q <= 0 {
		return 0
	}
	if q >= 1 {
		return n
	}
	flip := q > 0.5
	if flip {
		q = 1 - q
	}
	var k float64
	if n*q < 30 {
		u := rng.Float64()
		pk := math.Exp(n * math.Log1p(-q))
		cdf := pk
		r := q / (1 - q)
		for u > cdf && k < n {
			pk *= (n - k) / (k + 1) * r
			k++
			cdf += pk
			if pk == 0 {
				break
			}
		}
	} else {
		k = distuv.Binomial{N: n, P: q, Src: rngSource{rng}}.Rand()
	}
	if flip {
		return n - k
	}
	return k
}

// rngSource adapts *rand.Rand to rand.Source.
type rngSource struct{ r *rand.Rand }

func (s rngSource) Uint64() uint64 { return s.r.Uint64() }

// phi is the standard normal CDF Φ.
func phi(x float64) float64 { return 0.5 * math.Erfc(-x/math.Sqrt2) }

// phiInv is Φ⁻¹; phiInv(0) = −Inf, phiInv(1) = +Inf.
func phiInv(p float64) float64 { return -math.Sqrt2 * math.Erfcinv(2*p) }
