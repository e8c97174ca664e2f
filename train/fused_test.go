package train

import (
	"strings"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	r1backend "github.com/r1go/r1go/backend"
	"github.com/r1go/r1go/model"
)

// nllObjective is the mean negative log-likelihood of every next token.
type nllObjective struct{}

func (nllObjective) Name() string { return "nll" }

func (nllObjective) Build(w *model.Weights, in []*graph.Node) (*graph.Node, []Stat) {
	tokens, targets := in[0], in[1]
	hidden, _ := w.Forward(tokens, graph.Iota(tokens.Graph(), tokens.Shape(), 1), nil)
	return graph.Neg(graph.ReduceAllMean(w.TokenLogProbs(hidden, targets))), nil
}

// On the CPU, auto resolves to XLA attention and "on" is refused with its reason; a policy
// forced to fused attention there fails cleanly, its error saying how to turn it off, and the
// same policy trains once it is off.
func TestFusedAttentionOffXLA(t *testing.T) {
	b, err := r1backend.New("cpu")
	if err != nil {
		t.Fatal(err)
	}
	c, err := model.BuiltinConfig("tiny")
	if err != nil {
		t.Fatal(err)
	}
	if on, err := ResolveFusedAttention("auto", b, c, dtypes.BFloat16, ""); on || err != nil {
		t.Errorf("auto on the CPU: %v, %v; want off", on, err)
	}
	if _, err := ResolveFusedAttention("on", b, c, dtypes.BFloat16, ""); err == nil || !strings.Contains(err.Error(), "cuda") {
		t.Errorf("on on the CPU: err %v, want the cuda backend named", err)
	}
	if _, err := ResolveFusedAttention("maybe", b, c, dtypes.BFloat16, ""); err == nil {
		t.Error("fused_attention maybe accepted")
	}
	p := NewPolicy(b, model.InitParams(c, 1), dtypes.Float32, DefaultAdamW())
	p.FusedAttention = true
	batch := []*tensors.Tensor{
		tensors.FromValue([][]int32{{1, 2, 3, 4}}), tensors.FromValue([][]int32{{2, 3, 4, 5}}),
	}
	if _, err := p.Update(nllObjective{}, batch, 1e-3); err == nil || !strings.Contains(err.Error(), "--fused-attention=off") {
		t.Fatalf("fused attention on the pure Go backend: err %v, want one that says --fused-attention=off", err)
	} else {
		t.Log(err)
	}
	p = NewPolicy(b, model.InitParams(c, 1), dtypes.Float32, DefaultAdamW())
	res, err := p.Update(nllObjective{}, batch, 1e-3)
	if err != nil || !(res.Loss > 0) {
		t.Fatalf("without fused attention: %+v, %v", res, err)
	}
}
