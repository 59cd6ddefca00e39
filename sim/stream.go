package sim

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
)

// A Stream is the random source of one path: ChaCha8 keyed by (seed, path).
// Distinct keys give independent streams by construction. A Stream is
// reused across paths with Reset and is not safe for concurrent use.
type Stream struct {
	src *rand.ChaCha8
	rnd *rand.Rand
}

// NewStream returns a stream; call Reset before drawing.
func NewStream() *Stream {
	src := rand.NewChaCha8([32]byte{})
	return &Stream{src: src, rnd: rand.New(src)}
}

// streamDomain separates danbao's streams from any other use of the same seed.
const streamDomain = 0x64616e62616f0001 // "danbao" v1

// Reset re-keys the stream to (seed, path). It does not allocate.
func (s *Stream) Reset(seed, path uint64) {
	var key [32]byte
	binary.LittleEndian.PutUint64(key[0:], seed)
	binary.LittleEndian.PutUint64(key[8:], path)
	binary.LittleEndian.PutUint64(key[16:], streamDomain)
	s.src.Seed(key)
}

// Float64 returns a uniform draw in [0, 1).
func (s *Stream) Float64() float64 { return s.rnd.Float64() }

// OpenFloat64 returns a uniform draw in (0, 1), safe to take the log of.
func (s *Stream) OpenFloat64() float64 {
	// 53 random bits, shifted by half a step away from 0.
	return (float64(s.src.Uint64()>>11) + 0.5) * (1.0 / (1 << 53))
}

// Norm returns a standard normal draw.
func (s *Stream) Norm() float64 { return s.rnd.NormFloat64() }

// ChiSquare returns a χ²_ν draw, as 2·Gamma(ν/2, 1) by Marsaglia and Tsang
// (2000), "A simple method for generating gamma variables", ACM TOMS 26(3),
// with the boost Gamma(a) = Gamma(a+1)·U^(1/a) for a < 1.
func (s *Stream) ChiSquare(nu float64) float64 {
	a := nu / 2
	boost := 1.0
	if a < 1 {
		boost = math.Pow(s.OpenFloat64(), 1/a)
		a++
	}
	d := a - 1.0/3
	c := 1 / math.Sqrt(9*d)
	for {
		x := s.Norm()
		v := 1 + c*x
		if v <= 0 {
			continue
		}
		v = v * v * v
		u := s.OpenFloat64()
		if u < 1-0.0331*x*x*x*x || math.Log(u) < 0.5*x*x+d*(1-v+math.Log(v)) {
			return 2 * d * v * boost
		}
	}
}
