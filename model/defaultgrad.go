package model

import (
	. "github.com/gomlx/gomlx/pkg/core/graph"
)

// UseDefaultGradients makes every product built so far in g by Product (and so Linear and the
// model's attention and rotary products) differentiate with GoMLX's own DotGeneral VJP
// (broadcast, multiply, reduce) instead of the products InstallFastGradients gives them. It
// returns how many products it switched. Training never needs it: it exists so that tests and
// `r1go bench train --grad default` can compare the two gradients on the same graph.
//
// Call it after building the forward pass and before graph.Gradient.
func UseDefaultGradients(g *Graph) int {
	return dotRegistry.forget(g)
}
