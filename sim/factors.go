package sim

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"

	"github.com/wenzhou/danbao/models"
)

// factorModel draws the systematic factors of each year: a macro factor M,
// one factor I_k per industry cluster and one C_j per county, each standard
// normal, correlated within the industry group and within the county group
// by optional Cholesky factors, persistent across years by AR(1):
//
//	F_1 = Z_1,  F_t = φ·F_{t−1} + √(1 − φ²)·Z_t
//
// so every F_t stays standard normal with corr(F_t, F_{t−1}) = φ. A stress
// scenario's mean shift s (in standard deviations) is added to F_t in the
// years it lists: the value used in the latent variable is F_t + s_t; the
// shift does not feed the AR(1) recursion.
type factorModel struct {
	nInd, nCty int
	cholInd    []float64 // lower-triangular nInd×nInd, row-major; nil = identity
	cholCty    []float64
	phi        float64
	horizon    int
	shiftMacro []float64 // [t]
	shiftInd   []float64 // [t*nInd + k]
	shiftCty   []float64 // [t*nCty + j]
}

// factorState is one path's current factors plus scratch; owned by a worker.
type factorState struct {
	macro    float64
	ind, cty []float64 // AR(1) state without shifts
	z        []float64 // scratch for independent draws
	// shifted values used by the latent variable this year
	macroS     float64
	indS, ctyS []float64
	// Importance sampling: is is the sampling law, the defensive mixture
	// Q = β·N(0, I) + Σ_k π_k·N(μ_k, I) of every path's independent normal
	// draws (year t's macro, industries, counties at [t·d, (t+1)·d) of each
	// μ_k, d = 1 + nInd + nCty); nil for plain Monte Carlo. isComp is the
	// component the path draws from (−1 the plain one, see
	// isMixture.component), and logW[k] accumulates the path's
	// log(φ(z')/φ(z' − μ_k)) = Σ (−μ_k·z' + |μ_k|²/2) over its draws z'.
	is     *isMixture
	isComp int
	logW   [maxShifted]float64
}

// tilt shifts the standard normal draw z by the path's component's mean
// μ_c[k] (none for the plain component), and accumulates
// log(φ(z')/φ(z' − μ_j[k])) = −μ_j[k]·z' + μ_j[k]²/2 for every shifted
// component j, for the draw z' it returns, whichever component drew it.
func (st *factorState) tilt(z float64, k int) float64 {
	if st.isComp >= 0 {
		z += st.is.shifts[st.isComp][k]
	}
	for j, mu := range st.is.shifts {
		st.logW[j] += mu[k] * (mu[k]/2 - z)
	}
	return z
}

func (f *factorModel) newState() *factorState {
	n := max(f.nInd, f.nCty)
	return &factorState{
		ind: make([]float64, f.nInd), cty: make([]float64, f.nCty),
		indS: make([]float64, f.nInd), ctyS: make([]float64, f.nCty),
		z: make([]float64, n),
	}
}

// draw advances st to year t (0-based) with draws from s: the macro factor
// first, then the industry factors, then the county factors.
func (f *factorModel) draw(s *Stream, t int, st *factorState) {
	a, b := 0.0, 1.0 // F_t = a·F_{t−1} + b·Z_t
	if t > 0 {
		a, b = f.phi, math.Sqrt(1-f.phi*f.phi)
	}
	zm := s.Norm()
	d := 1 + f.nInd + f.nCty
	if st.is != nil {
		zm = st.tilt(zm, t*d)
	}
	st.macro = a*st.macro + b*zm
	st.macroS = st.macro + f.shiftMacro[t]
	f.drawGroup(s, st, st.ind, st.indS, f.cholInd, f.shiftInd[t*f.nInd:(t+1)*f.nInd], t*d+1, a, b)
	f.drawGroup(s, st, st.cty, st.ctyS, f.cholCty, f.shiftCty[t*f.nCty:(t+1)*f.nCty], t*d+1+f.nInd, a, b)
}

// drawGroup draws one group's independent normals (under importance
// sampling shifted as innovations off, off+1, … of the path: tilt),
// correlates them by chol and advances the AR(1).
func (f *factorModel) drawGroup(s *Stream, st *factorState, state, shifted, chol, shift []float64, off int, a, b float64) {
	n := len(state)
	z := st.z
	for k := range n {
		z[k] = s.Norm()
		if st.is != nil {
			z[k] = st.tilt(z[k], off+k)
		}
	}
	for k := range n {
		v := z[k]
		if chol != nil {
			v = 0
			row := chol[k*n : k*n+k+1]
			for l, c := range row {
				v += c * z[l]
			}
		}
		state[k] = a*state[k] + b*v
		shifted[k] = state[k] + shift[k]
	}
}

// choleskyOf returns the lower Cholesky factor of the correlation matrix over
// names that c gives (names c does not list are independent), or nil when c
// is nil. A matrix that is not positive definite is an error naming it.
func choleskyOf(what string, c *models.Correlation, names []string) ([]float64, error) {
	if c == nil {
		return nil, nil
	}
	n := len(names)
	pos := make(map[string]int, n)
	for i, nm := range names {
		pos[nm] = i
	}
	// First check the matrix as given, so the error names it.
	m := len(c.Labels)
	given := mat.NewSymDense(m, nil)
	for i := range m {
		for j := range m {
			given.SetSym(i, j, c.Matrix[i][j])
		}
	}
	var chol mat.Cholesky
	if ok := chol.Factorize(given); !ok {
		return nil, fmt.Errorf("%w: %s is not positive definite", models.ErrInvalid, what)
	}
	full := mat.NewSymDense(n, nil)
	for i := range n {
		full.SetSym(i, i, 1)
	}
	for i, li := range c.Labels {
		pi, ok := pos[li]
		if !ok {
			continue // a factor this portfolio does not have
		}
		for j, lj := range c.Labels {
			if pj, ok := pos[lj]; ok && pi != pj {
				full.SetSym(pi, pj, c.Matrix[i][j])
			}
		}
	}
	if ok := chol.Factorize(full); !ok {
		return nil, fmt.Errorf("%w: %s restricted to this portfolio's factors is not positive definite", models.ErrInvalid, what)
	}
	var l mat.TriDense
	chol.LTo(&l)
	out := make([]float64, n*n)
	for i := range n {
		for j := 0; j <= i; j++ {
			out[i*n+j] = l.At(i, j)
		}
	}
	return out, nil
}
