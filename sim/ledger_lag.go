package sim

import "github.com/wenzhou/danbao/models"

// Random recovery lags (models.Recovery.LagConcentration, docs/recoveries.md).
//
// With concentration c > 0, each path draws for each compensation year y
// the fractions f_y = (f_y,1, …, f_y,K) of that year's recoveries collected
// 1, …, K years later from the Dirichlet distribution with parameters
// c·lag_k (lag the recovery.lag profile): f_y,k = G_k / Σ_j G_j with
// G_k ~ Gamma(c·lag_k, 1) independent (G_k = 0 when lag_k = 0). Then
//
//	E[f_y,k] = lag_k,   Var f_y,k = lag_k·(1 − lag_k)/(c + 1),
//
// so the expected recovery collected in each later year, and the mean lag
// Σ_k k·lag_k, are the profile's. The fractions are common to every
// guarantor (courts and auctions are the city's), drawn from the path's
// lag stream (seed ⊕ lagStreamDomain, path), apart from the default and
// collateral draws: turning them on changes no default and no loss.

// lagStreamDomain keys a path's lag stream apart from its other streams.
const lagStreamDomain = 0x6c61675f72616e64 // "lag_rand"

// lagDraws is a ledger's random-lag set-up; nil in Ledger when the lag is fixed.
type lagDraws struct {
	conc      float64
	profile   []float64 // recovery.lag
	seed      uint64
	firstPath int
}

// SetRandomLag turns on the random recovery lag of sc.Recovery for runs
// with the given seed and first path (Params.Seed, Params.FirstPath); it
// does nothing when sc's LagConcentration is 0. Execute calls it.
func (L *Ledger) SetRandomLag(rec models.Recovery, seed uint64, firstPath int) {
	if rec.LagConcentration <= 0 {
		L.lag = nil
		return
	}
	L.lag = &lagDraws{conc: rec.LagConcentration, profile: rec.Lag, seed: seed, firstPath: firstPath}
}

// lagCumFor returns the cumulative lag fractions of compensation year y on
// the path whose draws drawLags made, or the fixed profile's.
func (L *Ledger) lagCumFor(s *ledgerScratch, y int) []float64 {
	if L.lag == nil {
		return L.lagCum
	}
	K := len(L.lagCum)
	return s.lagCum[y*K : (y+1)*K]
}

// drawLags draws path p's (relative to the first path) cumulative lag
// fractions for every compensation year into s. It allocates only the
// first time a scratch is used.
func (L *Ledger) drawLags(s *ledgerScratch, p int) {
	K, H := len(L.lagCum), L.H
	if s.lagCum == nil {
		s.lagCum = make([]float64, H*K)
		s.lagS = newStream()
	}
	s.lagS.Reset(L.lag.seed^lagStreamDomain, uint64(L.lag.firstPath+p))
	for y := range H {
		cum := s.lagCum[y*K : (y+1)*K]
		var sum float64
		for k, f := range L.lag.profile {
			g := 0.0
			if f > 0 {
				g = s.lagS.ChiSquare(2*L.lag.conc*f) / 2 // Gamma(c·f, 1)
			}
			sum += g
			cum[k] = sum
		}
		for k := range cum {
			cum[k] /= sum
		}
		cum[K-1] = 1 // exactly: every recovery is collected
	}
}
