package model

import (
	"slices"
	"sync"

	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
)

// GoMLX 0.26 differentiates DotGeneral by broadcasting, multiplying and reducing, which runs on
// CUDA cores at a few TFLOP/s (26–44× slower than a product; ../shared/GOMLX-NOTES.md). Product
// records the axes of every product it builds, and the VJP installed by InstallFastGradients
// returns that product's gradients as two products (tensor cores), falling back to GoMLX's own
// VJP for products built elsewhere.

type dotAxes struct {
	lhsContract, lhsBatch, rhsContract, rhsBatch []int
}

var (
	dotRegistry    nodeRegistry[dotAxes] // the axes of the products Product built
	installVJPOnce sync.Once
)

// Product is graph.DotGeneral whose gradient is computed with products. Output axes, as DotGeneral:
// batch axes, then lhs free axes, then rhs free axes.
func Product(lhs *Node, lhsContract, lhsBatch []int, rhs *Node, rhsContract, rhsBatch []int) *Node {
	InstallFastGradients()
	y := DotGeneral(lhs, lhsContract, lhsBatch, rhs, rhsContract, rhsBatch)
	dotRegistry.set(y, dotAxes{
		normAxes(lhsContract, lhs.Rank()), normAxes(lhsBatch, lhs.Rank()),
		normAxes(rhsContract, rhs.Rank()), normAxes(rhsBatch, rhs.Rank())})
	return y
}

func normAxes(axes []int, rank int) []int {
	out := make([]int, len(axes))
	for i, a := range axes {
		if a < 0 {
			a += rank
		}
		out[i] = a
	}
	return out
}

// Linear computes x·wᵀ for x [..., in] and a Hugging Face Linear weight w [out, in]: [..., out].
// The leading axes of x are folded so that XLA sees one 2-D product.
func Linear(x, w *Node) *Node {
	d := x.Shape().Dimensions
	in := d[len(d)-1]
	x2 := Reshape(x, x.Shape().Size()/in, in)
	y := Product(x2, []int{1}, nil, w, []int{1}, nil) // [M, out]
	return Reshape(y, append(slices.Clone(d[:len(d)-1]), w.Shape().Dimensions[0])...)
}

// InstallFastGradients replaces GoMLX's DotGeneral VJP, once per process, with one that computes
// the gradients of products built by Product as products. Products built elsewhere keep GoMLX's VJP.
func InstallFastGradients() {
	installVJPOnce.Do(func() {
		orig := VJPRegistration[NodeTypeDotGeneral]
		VJPRegistration[NodeTypeDotGeneral] = func(node *Node, v []*Node, s shapes.Shape) []*Node {
			ax, ok := dotRegistry.get(node)
			if !ok {
				return orig(node, v, s)
			}
			return dotVJP(node, v[0], ax)
		}
	})
}

// dotVJP returns [dlhs, drhs] for y = DotGeneral(lhs, rhs) given g = dL/dy.
func dotVJP(node, g *Node, ax dotAxes) []*Node {
	lhs, rhs := node.Inputs()[0], node.Inputs()[1]
	nb := len(ax.lhsBatch)
	lFree := freeAxes(lhs.Rank(), ax.lhsContract, ax.lhsBatch)
	rFree := freeAxes(rhs.Rank(), ax.rhsContract, ax.rhsBatch)
	gBatch := axisRange(0, nb)
	gL := axisRange(nb, nb+len(lFree))                       // g's axes that came from lhs's free axes
	gR := axisRange(nb+len(lFree), nb+len(lFree)+len(rFree)) // ... and from rhs's free axes

	// dlhs: contract g's rhs-free axes with rhs's free axes. Result: [batch, lhs free, rhs contract (in rhs order)].
	dl := DotGeneral(g, gR, gBatch, rhs, rFree, ax.rhsBatch)
	dl = TransposeAllAxes(dl, inversePerm(lhs.Rank(), ax.lhsBatch, lFree, ax.lhsContract, ax.rhsContract)...)
	// drhs: contract g's lhs-free axes with lhs's free axes. Result: [batch, rhs free, lhs contract (in lhs order)].
	dr := DotGeneral(g, gL, gBatch, lhs, lFree, ax.lhsBatch)
	dr = TransposeAllAxes(dr, inversePerm(rhs.Rank(), ax.rhsBatch, rFree, ax.rhsContract, ax.lhsContract)...)
	return []*Node{ConvertDType(dl, lhs.DType()), ConvertDType(dr, rhs.DType())}
}

// inversePerm gives the permutation that maps a gradient laid out as [batch, free, contracted]
// back to the operand's axis order. contract[i] of this operand pairs with other[i] of the other
// operand; the contracted axes appear in the gradient sorted by other's axis numbers.
func inversePerm(rank int, batch, free, contract, other []int) []int {
	pos := make([]int, rank) // pos[axis of the operand] = axis in the gradient
	for i, a := range batch {
		pos[a] = i
	}
	for j, a := range free {
		pos[a] = len(batch) + j
	}
	sorted := slices.Clone(other)
	slices.Sort(sorted)
	for i, a := range contract {
		pos[a] = len(batch) + len(free) + slices.Index(sorted, other[i])
	}
	// TransposeAllAxes(x, perm): output axis k takes input axis perm[k]. Output axis a must take pos[a].
	return pos
}

func freeAxes(rank int, contract, batch []int) []int {
	var out []int
	for a := 0; a < rank; a++ {
		if !slices.Contains(contract, a) && !slices.Contains(batch, a) {
			out = append(out, a)
		}
	}
	return out
}

func axisRange(from, to int) []int {
	out := make([]int, 0, to-from)
	for i := from; i < to; i++ {
		out = append(out, i)
	}
	return out
}
