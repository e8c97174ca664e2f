package model

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/r1go/r1go/backend"
	"github.com/r1go/r1go/model/safetensors"
)

func cpuBackend(t testing.TB) backends.Backend {
	t.Helper()
	b, err := backend.New("cpu")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

type fixture struct {
	Transformers string `json:"transformers"`
	Sequences    []struct {
		IDs      []int32   `json:"ids"`
		LogProbs []float64 `json:"logprobs"`
	} `json:"sequences"`
}

func loadFixture(t *testing.T, name string) (*Params, fixture) {
	t.Helper()
	dir := filepath.Join("testdata", name)
	p, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "logprobs.json"))
	if err != nil {
		t.Fatal(err)
	}
	var f fixture
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	return p, f
}

// TestParityWithTransformers compares log-probabilities with those transformers computed
// (testdata/make_fixtures.py, float32, CPU) for random-initialised tiny Qwen2 (tied embeddings,
// q/k/v biases) and Llama (untied, Llama-3 rope scaling) checkpoints saved by transformers.
func TestParityWithTransformers(t *testing.T) {
	b := cpuBackend(t)
	for _, name := range []string{"tiny-qwen2", "tiny-llama"} {
		t.Run(name, func(t *testing.T) {
			p, f := loadFixture(t, name)
			var seqs []Sequence
			for _, s := range f.Sequences {
				seqs = append(seqs, Sequence{Prompt: s.IDs[:1], Completion: s.IDs[1:]})
			}
			got, err := NewScorer(b, p, dtypes.Float32).LogProbs(seqs)
			if err != nil {
				t.Fatal(err)
			}
			worst := 0.0
			for i, s := range f.Sequences {
				if len(got[i]) != len(s.LogProbs) {
					t.Fatalf("sequence %d: %d log-probs, want %d", i, len(got[i]), len(s.LogProbs))
				}
				for j, want := range s.LogProbs {
					worst = math.Max(worst, math.Abs(float64(got[i][j])-want))
				}
			}
			t.Logf("%s: max |Δ logprob| = %.2e against transformers %s", name, worst, f.Transformers)
			if worst > 1e-4 {
				t.Errorf("max |Δ logprob| = %.3e > 1e-4", worst)
			}
			// A sequence's numbers do not depend on its batch.
			for i := range seqs {
				alone, err := NewScorer(b, p, dtypes.Float32).LogProbs(seqs[i : i+1])
				if err != nil {
					t.Fatal(err)
				}
				for j := range alone[0] {
					if d := math.Abs(float64(alone[0][j] - got[i][j])); d > 1e-5 {
						t.Fatalf("sequence %d token %d: %v alone, %v in a batch", i, j, alone[0][j], got[i][j])
					}
				}
			}
		})
	}
}

func TestSaveLoadBitExact(t *testing.T) {
	p, _ := loadFixture(t, "tiny-llama")
	for _, dt := range []safetensors.DType{safetensors.F32, safetensors.BF16} {
		dir := t.TempDir()
		if err := p.Save(dir, dt, 0); err != nil {
			t.Fatal(err)
		}
		q, err := Load(dir)
		if err != nil {
			t.Fatal(err)
		}
		if q.Config.RopeTheta != p.Config.RopeTheta || q.Config.RopeScaling == nil || q.Config.RopeScaling.Factor != 8 {
			t.Fatalf("config not preserved: %+v", q.Config)
		}
		for i := range p.Tensors {
			a, bb := p.Tensors[i].Value(), q.Tensors[i].Value()
			av, bv := flat(a), flat(bb)
			for j := range av {
				want := av[j]
				if dt == safetensors.BF16 {
					want = safetensors.BF16ToFloat32(safetensors.BF16Bits(want))
				}
				if math.Float32bits(bv[j]) != math.Float32bits(want) {
					t.Fatalf("%s %s[%d]: saved %v, loaded %v", dt, p.Specs[i].Name, j, want, bv[j])
				}
			}
		}
	}
}

func flat(v any) []float32 {
	switch x := v.(type) {
	case []float32:
		return x
	case [][]float32:
		var out []float32
		for _, r := range x {
			out = append(out, r...)
		}
		return out
	}
	panic("unexpected tensor value")
}

// The rotary embedding has two formulations: a 2×2 product that the pure Go backend can
// differentiate (training graphs) and slices (graphs never differentiated: generation and
// scoring, which TestParityWithTransformers checks against transformers). They agree.
func TestRopeFormulationsAgree(t *testing.T) {
	b := cpuBackend(t)
	p, f := loadFixture(t, "tiny-llama")
	ids := f.Sequences[0].IDs
	n := len(ids) - 1
	tokens := tensors.FromFlatDataAndDimensions(append([]int32(nil), ids[:n]...), 1, n)
	targets := tensors.FromFlatDataAndDimensions(append([]int32(nil), ids[1:]...), 1, n)
	logp := func(noGrad bool) []float32 {
		np := len(p.Tensors)
		ex := MustNewExec(b, func(in []*Node) *Node {
			w := Bind(p.Config, in[:np], dtypes.Float32)
			w.NoGrad = noGrad
			tok := in[np]
			hidden, _ := w.Forward(tok, Iota(tok.Graph(), tok.Shape(), 1), nil)
			return w.TokenLogProbs(hidden, in[np+1])
		})
		args := make([]any, 0, np+2)
		for _, x := range p.Tensors {
			args = append(args, x)
		}
		args = append(args, tokens, targets)
		return ex.MustExec(args...)[0].Value().([][]float32)[0]
	}
	prod, slices := logp(false), logp(true)
	for i := range prod {
		if d := math.Abs(float64(prod[i] - slices[i])); d > 1e-6 {
			t.Fatalf("token %d: log-prob %v with the product rotation, %v with slices", i, prod[i], slices[i])
		}
	}
}
