package train

import (
	"fmt"
	"math"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/r1go/r1go/internal/donate"
	"github.com/r1go/r1go/internal/guard"
	"github.com/r1go/r1go/model"
)

// Objective builds a scalar loss (to minimise) from the model bound to a graph and the batch's
// input nodes, plus named f32 scalar diagnostics. GRPO and SFT each provide one; the Policy
// differentiates it and applies AdamW.
type Objective interface {
	Name() string // one compiled program per name (and per input-shape combination)
	Build(w *model.Weights, batch []*graph.Node) (loss *graph.Node, stats []Stat)
}

// Stat is one named scalar diagnostic of an Objective.
type Stat struct {
	Name  string
	Value *graph.Node
}

// Policy is the model being trained: f32 master weights and AdamW moments living on the
// device, and the compiled update programs. Every update donates the previous buffers, so
// weights and moments exist once in device memory.
type Policy struct {
	Backend backends.Backend
	Params  *model.Params
	Compute dtypes.DType
	Opt     AdamW
	Decay   []bool
	M, V    []*tensors.Tensor
	Updates int // optimizer updates done (Adam's t)
	// RecomputeAttention recomputes the attention probabilities in the backward pass instead
	// of keeping them (model.Weights.RecomputeAttention): less memory, more compute.
	RecomputeAttention bool
	// FusedAttention runs attention as cuDNN's flash attention (model.Weights.FusedAttention):
	// XLA on CUDA, bf16 products.
	FusedAttention bool
	// LMHeadChunk > 0 computes the LM head's log-probabilities this many tokens at a time,
	// so the f32 logits of a whole batch never exist (model.Weights.ChunkTokens).
	LMHeadChunk int

	execs map[string]*graph.Exec
	accs  map[string]*accumulation // UpdateMicro's programs, per objective
	names map[string][]string      // stat names per objective, recorded when its program is built
}

// NewPolicy starts training params with zero moments.
func NewPolicy(b backends.Backend, p *model.Params, compute dtypes.DType, opt AdamW) *Policy {
	names := make([]string, len(p.Specs))
	shp := make([]shapes.Shape, len(p.Specs))
	dims := make([][]int, len(p.Specs))
	for i, s := range p.Specs {
		names[i], shp[i], dims[i] = s.Name, shapes.Make(dtypes.Float32, s.Shape...), s.Shape
	}
	m, v := ZeroMoments(names, dims).Tensors()
	return &Policy{Backend: b, Params: p, Compute: compute, Opt: opt, Decay: DecayMask(names, shp), M: m, V: v, execs: map[string]*graph.Exec{}}
}

// UpdateResult is what one optimizer update reports.
type UpdateResult struct {
	Loss, GradNorm float64
	Stats          map[string]float64
	Skipped        bool // non-finite loss or gradient: the weights did not change
}

// Update runs one optimizer update at learning rate lr on one batch (the Objective's inputs).
func (p *Policy) Update(obj Objective, batch []*tensors.Tensor, lr float64) (UpdateResult, error) {
	ex, err := p.exec(obj)
	if err != nil {
		return UpdateResult{}, err
	}
	np := len(p.Params.Tensors)
	var out []*tensors.Tensor
	err = guard.Run(func() {
		args := make([]any, 0, 3*np+len(batch)+2)
		for _, group := range [][]*tensors.Tensor{p.Params.Tensors, p.M, p.V} {
			args = donate.Append(args, p.Backend, group)
		}
		args = append(args, tensors.FromScalar(float32(lr)), tensors.FromScalar(int32(p.Updates+1)))
		for _, t := range batch {
			args = append(args, t)
		}
		out = ex.MustExec(args...)
	})
	if err != nil {
		return UpdateResult{}, model.FusedAttentionHint(fmt.Errorf("%s update: %w", obj.Name(), err), p.FusedAttention)
	}
	copy(p.Params.Tensors, out[:np])
	p.M, p.V = out[np:2*np], out[2*np:3*np]
	rest := out[3*np:]
	res := UpdateResult{Loss: scalar(rest[0]), GradNorm: scalar(rest[1]), Stats: map[string]float64{}}
	for i, name := range p.statNames(obj) {
		res.Stats[name] = scalar(rest[2+i])
	}
	res.Skipped = math.IsNaN(res.Loss) || math.IsInf(res.Loss, 0) || math.IsNaN(res.GradNorm) || math.IsInf(res.GradNorm, 0)
	if !res.Skipped {
		p.Updates++
	}
	return res, nil
}

// Compile builds and compiles obj's update program for batches shaped like batch, without
// running it (so that a benchmark can time compilation apart from the first step).
func (p *Policy) Compile(obj Objective, batch []*tensors.Tensor, lr float64) error {
	ex, err := p.exec(obj)
	if err != nil {
		return err
	}
	args := make([]any, 0, 3*len(p.Params.Tensors)+len(batch)+2)
	for _, group := range [][]*tensors.Tensor{p.Params.Tensors, p.M, p.V} {
		for _, t := range group {
			args = append(args, t)
		}
	}
	args = append(args, tensors.FromScalar(float32(lr)), tensors.FromScalar(int32(p.Updates+1)))
	for _, t := range batch {
		args = append(args, t)
	}
	if err := guard.Run(func() {
		if err := ex.PreCompile(args...); err != nil {
			panic(err)
		}
	}); err != nil {
		return model.FusedAttentionHint(fmt.Errorf("%s update: %w", obj.Name(), err), p.FusedAttention)
	}
	return nil
}

// statNames lists an objective's stat names in output order (built once on a tiny graph would
// be wasteful; the names are recorded when the program is first built).
func (p *Policy) statNames(obj Objective) []string { return p.names[obj.Name()] }

func (p *Policy) exec(obj Objective) (*graph.Exec, error) {
	if ex := p.execs[obj.Name()]; ex != nil {
		return ex, nil
	}
	if p.names == nil {
		p.names = map[string][]string{}
	}
	np := len(p.Params.Tensors)
	var ex *graph.Exec
	err := guard.Run(func() {
		ex = graph.MustNewExec(p.Backend, func(in []*graph.Node) []*graph.Node {
			params, m, v := in[:np], in[np:2*np], in[2*np:3*np]
			for i, x := range in[:3*np] {
				donate.Alias(x, i) // weights and moments are updated in place on XLA
			}
			lr, step, batch := in[3*np], in[3*np+1], in[3*np+2:]
			w := p.bind(params)
			loss, stats := obj.Build(w, batch)
			grads := graph.Gradient(loss, params...)
			newP, newM, newV, norm := p.Opt.Update(params, grads, m, v, p.Decay, lr, step)
			out := append(append(append(append([]*graph.Node{}, newP...), newM...), newV...), loss, norm)
			names := make([]string, len(stats))
			for i, s := range stats {
				names[i] = s.Name
				out = append(out, graph.ConvertDType(s.Value, dtypes.Float32))
			}
			p.names[obj.Name()] = names
			return out
		})
	})
	if err != nil {
		return nil, err
	}
	ex.SetMaxCache(-1) // one program per (batch, length) bucket: a cap would end a long run with an error
	model.InstallFastGradients()
	p.execs[obj.Name()] = ex
	return ex, nil
}

// bind binds parameter nodes to the model with the policy's memory options.
func (p *Policy) bind(params []*graph.Node) *model.Weights {
	w := model.Bind(p.Params.Config, params, p.Compute)
	w.RecomputeAttention, w.ChunkTokens, w.FusedAttention = p.RecomputeAttention, p.LMHeadChunk, p.FusedAttention
	return w
}

func scalar(t *tensors.Tensor) float64 {
	switch v := t.Value().(type) {
	case float32:
		return float64(v)
	case float64:
		return v
	}
	panic(fmt.Sprintf("train: expected a float scalar, got %T", t.Value()))
}
