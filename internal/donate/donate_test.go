package donate

import (
	"testing"

	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/r1go/r1go/backend"
)

// On the pure Go backend Alias declines, and the graph still computes the right values.
func TestAliasDeclinesOffXLA(t *testing.T) {
	b, err := backend.New("cpu")
	if err != nil {
		t.Fatal(err)
	}
	var took bool
	ex := MustNewExec(b, func(x *Node) *Node {
		took = Alias(x, 0)
		return AddScalar(x, 1)
	})
	out := ex.MustExec([]float32{1, 2})[0].Value().([]float32)
	if took {
		t.Error("Alias reported success on the pure Go backend")
	}
	if out[0] != 2 || out[1] != 3 {
		t.Errorf("got %v", out)
	}
}
