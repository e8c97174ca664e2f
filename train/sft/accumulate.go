package sft

import (
	"fmt"
	"math"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/r1go/r1go/internal/guard"
	"github.com/r1go/r1go/model"
	"github.com/r1go/r1go/train"
)

// Accumulator makes one optimizer update of a train.Policy from several micro-batches run
// one at a time, so that only one micro-batch's activations exist at once: a gradient
// program per micro-batch adds its gradient into f32 buffers on the device (donated from
// call to call), then an update program applies AdamW (train.AdamW.Update, the Policy's
// settings and decay mask) to their sum. Each micro-batch's loss is its summed NLL divided
// by the number of completion tokens of all the micro-batches together, so the summed
// gradient is the gradient of the mean over every token, exactly what the fused Objective
// with Micro = K computes in one program.
type Accumulator struct {
	Policy *train.Policy

	first, add, apply *graph.Exec
}

// Update runs the micro-batches (each the five tensors Batch makes) and one AdamW update at
// learning rate lr. The result's Loss is the mean NLL over all their completion tokens.
func (a *Accumulator) Update(micro [][]*tensors.Tensor, lr float64) (train.UpdateResult, error) {
	p := a.Policy
	if err := a.build(); err != nil {
		return train.UpdateResult{}, err
	}
	denom := 0.0
	for _, mb := range micro {
		mb[4].ConstFlatData(func(flat any) {
			for _, w := range flat.([]float32) {
				denom += float64(w)
			}
		})
	}
	denomT := tensors.FromScalar(float32(max(denom, 1)))
	np := len(p.Params.Tensors)
	var grads []*tensors.Tensor
	loss := 0.0
	err := guard.Run(func() {
		for k, mb := range micro {
			args := make([]any, 0, 2*np+1+len(mb))
			for _, t := range p.Params.Tensors {
				args = append(args, t)
			}
			ex := a.first
			if k > 0 {
				ex = a.add
				for _, g := range grads {
					buf, err := graph.DonateTensorBuffer(g, p.Backend, 0)
					if err != nil {
						panic(err)
					}
					args = append(args, buf)
				}
			}
			args = append(args, denomT)
			for _, t := range mb {
				args = append(args, t)
			}
			out := ex.MustExec(args...)
			grads = out[:np]
			loss += float64(out[np].Value().(float32))
		}
	})
	if err != nil {
		return train.UpdateResult{}, fmt.Errorf("sft gradients: %w", err)
	}
	var out []*tensors.Tensor
	err = guard.Run(func() {
		args := make([]any, 0, 4*np+2)
		for _, group := range [][]*tensors.Tensor{p.Params.Tensors, p.M, p.V, grads} {
			for _, t := range group {
				buf, err := graph.DonateTensorBuffer(t, p.Backend, 0)
				if err != nil {
					panic(err)
				}
				args = append(args, buf)
			}
		}
		args = append(args, tensors.FromScalar(float32(lr)), tensors.FromScalar(int32(p.Updates+1)))
		out = a.apply.MustExec(args...)
	})
	if err != nil {
		return train.UpdateResult{}, fmt.Errorf("sft update: %w", err)
	}
	copy(p.Params.Tensors, out[:np])
	p.M, p.V = out[np:2*np], out[2*np:3*np]
	res := train.UpdateResult{Loss: loss, GradNorm: float64(out[3*np].Value().(float32)), Stats: map[string]float64{"tokens": denom}}
	res.Skipped = math.IsNaN(res.Loss) || math.IsInf(res.Loss, 0) || math.IsNaN(res.GradNorm) || math.IsInf(res.GradNorm, 0)
	if !res.Skipped {
		p.Updates++
	}
	return res, nil
}

// build compiles the three programs once.
func (a *Accumulator) build() error {
	if a.apply != nil {
		return nil
	}
	p := a.Policy
	np := len(p.Params.Tensors)
	cfg := p.Params.Config
	grad := func(withAcc bool) func(in []*graph.Node) []*graph.Node {
		return func(in []*graph.Node) []*graph.Node {
			params, rest := in[:np], in[np:]
			var acc []*graph.Node
			if withAcc {
				acc, rest = rest[:np], rest[np:]
			}
			denom, batch := rest[0], rest[1:]
			w := model.Bind(cfg, params, p.Compute)
			sum, _ := NLL(w, batch)
			loss := graph.Div(sum, denom)
			gs := graph.Gradient(loss, params...)
			out := make([]*graph.Node, 0, np+1)
			for i, g := range gs {
				g = graph.ConvertDType(g, dtypes.Float32)
				if withAcc {
					g = graph.Add(acc[i], g)
				}
				out = append(out, g)
			}
			return append(out, loss)
		}
	}
	err := guard.Run(func() {
		model.InstallFastGradients()
		a.first = graph.MustNewExec(p.Backend, grad(false))
		a.add = graph.MustNewExec(p.Backend, grad(true))
		a.apply = graph.MustNewExec(p.Backend, func(in []*graph.Node) []*graph.Node {
			params, m, v, g := in[:np], in[np:2*np], in[2*np:3*np], in[3*np:4*np]
			lr, step := in[4*np], in[4*np+1]
			newP, newM, newV, norm := p.Opt.Update(params, g, m, v, p.Decay, lr, step)
			return append(append(append(append([]*graph.Node{}, newP...), newM...), newV...), norm)
		})
		for _, ex := range []*graph.Exec{a.first, a.add} {
			ex.SetMaxCache(64)
		}
	})
	return err
}
