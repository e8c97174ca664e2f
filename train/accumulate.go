package train

import (
	"fmt"
	"math"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/r1go/r1go/internal/donate"
	"github.com/r1go/r1go/internal/guard"
	"github.com/r1go/r1go/model"
)

// UpdateMicro makes one optimizer update from several micro-batches of one Objective, run one
// program call at a time so that only one micro-batch's activations exist at once (gradient
// accumulation). The loss of the whole batch is Σ_k weights[k] · loss_k, where loss_k is the
// Objective's loss on micro-batch k; the caller chooses the weights so that this equals the
// loss over the whole batch (for a mean over rows, rows_k / rows; for a mean over tokens,
// tokens_k / tokens). Gradients are summed in f32 buffers on the device, then AdamW applies
// their sum. Stats are summed with the same weights. With one micro-batch of weight 1 this is
// Update.
func (p *Policy) UpdateMicro(obj Objective, micro [][]*tensors.Tensor, weights []float64, lr float64) (UpdateResult, error) {
	if len(micro) != len(weights) || len(micro) == 0 {
		return UpdateResult{}, fmt.Errorf("%s update: %d micro-batches, %d weights", obj.Name(), len(micro), len(weights))
	}
	if len(micro) == 1 && weights[0] == 1 {
		return p.Update(obj, micro[0], lr)
	}
	acc, err := p.accumulator(obj)
	if err != nil {
		return UpdateResult{}, err
	}
	np := len(p.Params.Tensors)
	res := UpdateResult{Stats: map[string]float64{}}
	var grads []*tensors.Tensor
	err = guard.Run(func() {
		for k, mb := range micro {
			args := make([]any, 0, 2*np+1+len(mb))
			for _, t := range p.Params.Tensors {
				args = append(args, t)
			}
			ex := acc.first
			if k > 0 {
				ex = acc.add
				args = donate.Append(args, p.Backend, grads)
			}
			args = append(args, tensors.FromScalar(float32(weights[k])))
			for _, t := range mb {
				args = append(args, t)
			}
			out := ex.MustExec(args...)
			grads = out[:np]
			res.Loss += scalar(out[np])
			for i, name := range p.names[obj.Name()] {
				res.Stats[name] += scalar(out[np+1+i])
			}
		}
		args := make([]any, 0, 4*np+2)
		for _, group := range [][]*tensors.Tensor{p.Params.Tensors, p.M, p.V, grads} {
			args = donate.Append(args, p.Backend, group)
		}
		args = append(args, tensors.FromScalar(float32(lr)), tensors.FromScalar(int32(p.Updates+1)))
		out := acc.apply.MustExec(args...)
		copy(p.Params.Tensors, out[:np])
		p.M, p.V = out[np:2*np], out[2*np:3*np]
		res.GradNorm = scalar(out[3*np])
	})
	if err != nil {
		return UpdateResult{}, model.FusedAttentionHint(fmt.Errorf("%s update: %w", obj.Name(), err), p.FusedAttention)
	}
	res.Skipped = math.IsNaN(res.Loss) || math.IsInf(res.Loss, 0) || math.IsNaN(res.GradNorm) || math.IsInf(res.GradNorm, 0)
	if !res.Skipped {
		p.Updates++
	}
	return res, nil
}

// accumulation holds the three programs of UpdateMicro for one objective: the gradient of
// the first micro-batch, the gradient of another added to the running sum (donated, updated in
// place), and AdamW on the sum.
type accumulation struct{ first, add, apply *graph.Exec }

func (p *Policy) accumulator(obj Objective) (*accumulation, error) {
	if a := p.accs[obj.Name()]; a != nil {
		return a, nil
	}
	if p.names == nil {
		p.names = map[string][]string{}
	}
	np := len(p.Params.Tensors)
	grad := func(withAcc bool) func(in []*graph.Node) []*graph.Node {
		return func(in []*graph.Node) []*graph.Node {
			params, rest := in[:np], in[np:]
			var acc []*graph.Node
			if withAcc {
				acc, rest = rest[:np], rest[np:]
				for i, x := range acc {
					donate.Alias(x, i)
				}
			}
			weight, batch := rest[0], rest[1:]
			w := p.bind(params)
			loss, stats := obj.Build(w, batch)
			loss = graph.Mul(loss, weight)
			gs := graph.Gradient(loss, params...)
			out := make([]*graph.Node, 0, np+1+len(stats))
			for i, g := range gs {
				g = graph.ConvertDType(g, dtypes.Float32)
				if withAcc {
					g = graph.Add(acc[i], g)
				}
				out = append(out, g)
			}
			out = append(out, loss)
			names := make([]string, len(stats))
			for i, s := range stats {
				names[i] = s.Name
				out = append(out, graph.Mul(graph.ConvertDType(s.Value, dtypes.Float32), weight))
			}
			p.names[obj.Name()] = names
			return out
		}
	}
	a := &accumulation{}
	err := guard.Run(func() {
		model.InstallFastGradients()
		a.first = graph.MustNewExec(p.Backend, grad(false))
		a.add = graph.MustNewExec(p.Backend, grad(true))
		a.apply = graph.MustNewExec(p.Backend, func(in []*graph.Node) []*graph.Node {
			params, m, v, g := in[:np], in[np:2*np], in[2*np:3*np], in[3*np:4*np]
			for i, x := range in[:3*np] {
				donate.Alias(x, i)
			}
			lr, step := in[4*np], in[4*np+1]
			newP, newM, newV, norm := p.Opt.Update(params, g, m, v, p.Decay, lr, step)
			return append(append(append(append([]*graph.Node{}, newP...), newM...), newV...), norm)
		})
		for _, ex := range []*graph.Exec{a.first, a.add} {
			ex.SetMaxCache(-1) // one program per (batch, length) bucket
		}
	})
	if err != nil {
		return nil, err
	}
	if p.accs == nil {
		p.accs = map[string]*accumulation{}
	}
	p.accs[obj.Name()] = a
	return a, nil
}
