package model

import (
	"runtime"
	"sync"
	"weak"

	. "github.com/gomlx/gomlx/pkg/core/graph"
)

// nodeRegistry attaches a value to nodes r1go builds (the axes of a Product, the VJP of a
// carrier), for the VJPs that look them up during graph.Gradient. Graphs are keyed by weak
// pointers, so a graph that is no longer used is collected and its entries removed.
type nodeRegistry[V any] struct {
	mu sync.Mutex
	m  map[weak.Pointer[Graph]]map[NodeId]V
}

func (r *nodeRegistry[V]) set(n *Node, v V) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.m == nil {
		r.m = map[weak.Pointer[Graph]]map[NodeId]V{}
	}
	k := weak.Make(n.Graph())
	byNode := r.m[k]
	if byNode == nil {
		byNode = map[NodeId]V{}
		r.m[k] = byNode
		runtime.AddCleanup(n.Graph(), r.drop, k)
	}
	byNode[n.Id()] = v
}

func (r *nodeRegistry[V]) get(n *Node) (V, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	v, ok := r.m[weak.Make(n.Graph())][n.Id()]
	return v, ok
}

// forget removes every entry of graph g and returns how many there were.
func (r *nodeRegistry[V]) forget(g *Graph) int {
	k := weak.Make(g)
	r.mu.Lock()
	defer r.mu.Unlock()
	n := len(r.m[k])
	delete(r.m, k)
	return n
}

func (r *nodeRegistry[V]) drop(k weak.Pointer[Graph]) {
	r.mu.Lock()
	delete(r.m, k)
	r.mu.Unlock()
}
