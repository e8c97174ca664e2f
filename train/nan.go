package train

import (
	"errors"
	"fmt"
	"math"
)

// ErrNonFinite is wrapped by the error NaNGuard returns when a run must stop.
var ErrNonFinite = errors.New("non-finite loss or gradient")

// NaNGuard is the NaN policy of a training loop: a step whose loss or gradient norm is
// NaN or ±Inf is skipped (AdamW.Update already leaves the weights untouched when the
// gradient norm is not finite) and logged; MaxInARow such steps in a row stop the run.
// InARow is the current count; save it in TrainerState.NaNInARow so that a resumed run
// keeps counting.
type NaNGuard struct {
	MaxInARow int // stop at this many consecutive non-finite steps (<= 0 means 1)
	InARow    int // consecutive non-finite steps seen so far
}

// Observe records the loss and gradient norm of a step. It returns skip = true when the
// step must not be applied, and an error wrapping ErrNonFinite when the run must stop.
func (g *NaNGuard) Observe(step int, loss, gradNorm float64) (skip bool, err error) {
	if isFinite(loss) && isFinite(gradNorm) {
		g.InARow = 0
		return false, nil
	}
	g.InARow++
	limit := max(g.MaxInARow, 1)
	if g.InARow >= limit {
		return true, fmt.Errorf("step %d: loss %v, gradient norm %v: %d steps in a row with a NaN/Inf (the limit is %d); stopping — the last checkpoint holds the last good weights (try a lower learning rate or max_grad_norm): %w",
			step, loss, gradNorm, g.InARow, limit, ErrNonFinite)
	}
	return true, nil
}

func isFinite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }
