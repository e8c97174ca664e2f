//go:build !r1go_goxla_async

package backend

// asyncPatch: a plain build, whose go-xla waits for every program call to finish.
const asyncPatch = false
