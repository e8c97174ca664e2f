// Package guard turns panics raised while building or running GoMLX graphs into errors,
// at the boundary between graph code (which panics) and the rest of r1go (which returns errors).
package guard

import (
	"fmt"
	"runtime/debug"
)

// Run calls fn and returns the panic it raised, if any, as an error.
// Set R1GO_DEBUG=1 to keep the stack in the error.
func Run(fn func()) (err error) {
	defer func() {
		r := recover()
		if r == nil {
			return
		}
		if e, ok := r.(error); ok {
			err = e
		} else {
			err = fmt.Errorf("%v", r)
		}
		if debugStacks {
			err = fmt.Errorf("%w\n%s", err, debug.Stack())
		}
	}()
	fn()
	return nil
}
