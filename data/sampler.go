package data

import (
	"fmt"
	"math/rand/v2"
)

// Sampler hands out the indices of a dataset of N examples in a seeded random order,
// one fresh permutation per epoch. Its whole state is one integer (Pos), so a trainer
// that saves Pos with its checkpoint resumes on exactly the examples it would have
// seen without the interruption.
type Sampler struct {
	n     int
	seed  uint64
	pos   int64 // examples handed out since the start of epoch 0
	epoch int64 // epoch whose permutation perm holds, -1 for none
	perm  []int
}

// NewSampler returns a sampler over n examples with the given seed, at position 0.
func NewSampler(n int, seed int64) (*Sampler, error) {
	if n < 1 {
		return nil, fmt.Errorf("sampler: dataset has %d examples, want at least 1", n)
	}
	return &Sampler{n: n, seed: uint64(seed), epoch: -1}, nil
}

// Next returns the next k indices, crossing into the next epoch (a new permutation)
// when the current one is used up.
func (s *Sampler) Next(k int) []int {
	out := make([]int, 0, max(k, 0))
	for range k {
		e := s.pos / int64(s.n)
		if e != s.epoch {
			s.perm = rand.New(rand.NewPCG(s.seed, uint64(e))).Perm(s.n)
			s.epoch = e
		}
		out = append(out, s.perm[s.pos%int64(s.n)])
		s.pos++
	}
	return out
}

// Pos returns how many indices have been handed out.
func (s *Sampler) Pos() int64 { return s.pos }

// Epoch returns the current epoch (0-based): Pos / N.
func (s *Sampler) Epoch() int64 { return s.pos / int64(s.n) }

// SetPos moves the sampler to position p (a value Pos returned), e.g. on resume.
func (s *Sampler) SetPos(p int64) error {
	if p < 0 {
		return fmt.Errorf("sampler: negative position %d", p)
	}
	s.pos = p
	return nil
}
