package train

import (
	"fmt"
	"math"
)

// Schedule is a learning-rate schedule: a linear warmup to Peak over the first Warmup
// updates, then constant, cosine or linear decay from Peak to Floor at update Total.
//
// Steps are 0-based update indices. During warmup LR(step) = Peak·(step+1)/Warmup, so the
// first update already moves the weights and update Warmup−1 runs at Peak (nanoGPT's
// convention shifted by one; Hugging Face's get_*_schedule_with_warmup spends update 0
// at lr 0). After warmup, with progress p = (step − Warmup)/(Total − Warmup) clamped to
// [0, 1]:
//
//	constant: Peak
//	cosine:   Floor + (Peak − Floor)·(1 + cos(π·p))/2
//	linear:   Floor + (Peak − Floor)·(1 − p)
//
// so from update Total on the decaying schedules stay at Floor.
type Schedule struct {
	Kind   string  // "constant", "cosine" or "linear"
	Peak   float64 // the learning rate after warmup
	Floor  float64 // where cosine and linear decay end (ignored by constant)
	Warmup int     // number of warmup updates (0: none)
	Total  int     // total number of updates (the end of the decay)
}

// ScheduleKinds lists the values Schedule.Kind accepts.
var ScheduleKinds = []string{"constant", "cosine", "linear"}

// Validate reports a schedule that cannot run, naming the field.
func (s Schedule) Validate() error {
	switch s.Kind {
	case "constant", "cosine", "linear":
	default:
		return fmt.Errorf("lr schedule %q: must be one of constant, cosine, linear", s.Kind)
	}
	switch {
	case !(s.Peak > 0) || math.IsInf(s.Peak, 0):
		return fmt.Errorf("learning rate %v: must be a positive number", s.Peak)
	case s.Kind != "constant" && !(s.Floor >= 0 && s.Floor <= s.Peak):
		return fmt.Errorf("lr floor %v: must be in [0, peak learning rate %v]", s.Floor, s.Peak)
	case s.Warmup < 0:
		return fmt.Errorf("warmup steps %d: must be >= 0", s.Warmup)
	case s.Kind != "constant" && s.Total <= s.Warmup:
		return fmt.Errorf("total steps %d: a %s schedule needs more steps than its %d warmup steps", s.Total, s.Kind, s.Warmup)
	}
	return nil
}

// LR returns the learning rate of the update with 0-based index step.
func (s Schedule) LR(step int) float64 {
	if step < 0 {
		step = 0
	}
	if step < s.Warmup {
		return s.Peak * float64(step+1) / float64(s.Warmup)
	}
	if s.Kind == "constant" || s.Total <= s.Warmup {
		return s.Peak
	}
	p := float64(step-s.Warmup) / float64(s.Total-s.Warmup)
	p = math.Min(1, math.Max(0, p))
	switch s.Kind {
	case "cosine":
		return s.Floor + (s.Peak-s.Floor)*0.5*(1+math.Cos(math.Pi*p))
	case "linear":
		return s.Floor + (s.Peak-s.Floor)*(1-p)
	}
	return s.Peak
}
