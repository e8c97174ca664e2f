package grpo

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	r1backend "github.com/r1go/r1go/backend"
	"github.com/r1go/r1go/internal/tiny"
	"github.com/r1go/r1go/model"
	"github.com/r1go/r1go/train"
)

// TestMicroBatchesEqualOneBatch: an update accumulated from micro-batches (UpdateMicro with
// the loss-type weights of Trainer.update) leaves the same weights as one update on the whole
// minibatch, for every loss type, with and without the KL term.
func TestMicroBatchesEqualOneBatch(t *testing.T) {
	b, err := r1backend.New("cpu")
	if err != nil {
		t.Fatal(err)
	}
	mc, err := tiny.Config()
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(3, 4))
	var kept []completion
	var ref [][]float32
	for i := range 6 {
		c := completion{prompt: make([]int32, 3+i%3), ids: make([]int32, 2+(i*5)%7), adv: r.NormFloat64(), train: i != 4}
		for j := range c.prompt {
			c.prompt[j] = int32(r.IntN(mc.VocabSize))
		}
		lp := make([]float32, len(c.ids))
		for j := range c.ids {
			c.ids[j] = int32(r.IntN(mc.VocabSize))
			lp[j] = float32(-5 - r.Float64())
		}
		kept, ref = append(kept, c), append(ref, lp)
	}
	rows := []int{0, 1, 2, 3, 4, 5}
	for _, lt := range LossTypes {
		for _, beta := range []float64{0, 0.04} {
			cfg := DefaultConfig()
			cfg.LossType, cfg.Beta, cfg.MaxCompletionTokens, cfg.LR = lt, beta, 8, 1e-2
			var refLP [][]float32
			if beta != 0 {
				refLP = ref
			}
			run := func(micro int) (*train.Policy, train.UpdateResult) {
				c := cfg
				c.MicroBatch = micro
				tr := &Trainer{Cfg: c, Policy: train.NewPolicy(b, model.InitParams(mc, 5), dtypes.Float32, c.Optimizer())}
				res, _, err := tr.update(objective{cfg: c}, kept, rows, nil, refLP, false, c.LR)
				if err != nil {
					t.Fatal(err)
				}
				return tr.Policy, res
			}
			whole, rw := run(0)
			split, rs := run(2)
			if d := math.Abs(rw.Loss - rs.Loss); d > 1e-5*math.Max(1, math.Abs(rw.Loss)) {
				t.Errorf("%s β=%v: loss %v in one batch, %v accumulated", lt, beta, rw.Loss, rs.Loss)
			}
			if d := math.Abs(rw.GradNorm - rs.GradNorm); d > 1e-4*rw.GradNorm {
				t.Errorf("%s β=%v: grad norm %v in one batch, %v accumulated", lt, beta, rw.GradNorm, rs.GradNorm)
			}
			worst := 0.0
			for i := range whole.Params.Tensors {
				a, c := flat32(whole.Params.Tensors[i]), flat32(split.Params.Tensors[i])
				for j := range a {
					worst = math.Max(worst, math.Abs(float64(a[j]-c[j])))
				}
			}
			// Adam's first step moves every weight by about ±lr whatever the gradient's scale
			// (the loss and norm checks above catch a wrong scale); f32 sums in another order
			// move the smallest gradients' steps a little.
			if worst > 1e-3*cfg.LR {
				t.Errorf("%s β=%v: weights differ by %.2e after one update", lt, beta, worst)
			}
		}
	}
}

func flat32(t *tensors.Tensor) []float32 {
	var out []float32
	t.ConstFlatData(func(f any) { out = append(out, f.([]float32)...) })
	return out
}
