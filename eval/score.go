package eval

import (
	"fmt"
	"runtime"
	"strings"
	"sync"
	"unicode"

	"github.com/r1go/r1go/data"
	"github.com/r1go/r1go/reward"
	"github.com/r1go/r1go/reward/mathverify"
)

// Verifier returns the accuracy reward that judges samples of task: a reward name
// ("math", "integer", "exact", "choice", "countdown", "code") or a reward spec with
// parameters ("countdown(exactly_once=true)"), or a built-in task name of
// data.TaskByName ("arith:3", "copy-digit"), whose spec's first accuracy-type term is used.
func Verifier(task string) (reward.Func, error) {
	if strings.TrimSpace(task) == "" {
		return nil, fmt.Errorf("no task given (want a reward name such as math, integer, countdown, or a built-in task: %s)",
			strings.Join(data.TaskNames(), ", "))
	}
	spec := task
	if t, err := data.TaskByName(task); err == nil {
		spec = t.Reward()
	}
	c, err := reward.ParseSpec(spec)
	if err != nil {
		return nil, fmt.Errorf("task %q: %w; built-in tasks: %s", task, err, strings.Join(data.TaskNames(), ", "))
	}
	for _, t := range c.Terms {
		if reward.IsAccuracy(t.Func) {
			return t.Func, nil
		}
	}
	return nil, fmt.Errorf("task %q: reward %q has no accuracy-type term to judge correctness", task, spec)
}

// Equivalence returns the answer equivalence cons@k uses for answers verified by f:
// mathverify.Equal for "math"; for "exact", equality ignoring case and runs of
// whitespace; for "countdown", equality ignoring whitespace; otherwise exact string
// equality (the verifiers already normalise their extracted answers, e.g. integers).
func Equivalence(f reward.Func) func(a, b string) bool {
	switch f.Name() {
	case "math", "accuracy":
		opts := mathverify.DefaultOptions()
		return func(a, b string) bool { return a == b || mathverify.Equal(a, b, opts) }
	case "exact":
		return func(a, b string) bool {
			return strings.EqualFold(strings.Join(strings.Fields(a), " "), strings.Join(strings.Fields(b), " "))
		}
	case "countdown":
		strip := func(s string) string {
			return strings.Map(func(r rune) rune {
				if unicode.IsSpace(r) {
					return -1
				}
				return r
			}, s)
		}
		return func(a, b string) bool { return strip(a) == strip(b) }
	}
	return nil
}

// Score verifies every sample with f, in parallel over all cores, keeping the order.
// A verifier error (unusable gold or task fields) marks the sample wrong and keeps the
// message in Scored.Err.
func Score(samples []Sample, f reward.Func) []Scored {
	out := make([]Scored, len(samples))
	workers := min(runtime.GOMAXPROCS(0), len(samples))
	var wg sync.WaitGroup
	next := make(chan int, len(samples))
	for i := range samples {
		next <- i
	}
	close(next)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				s := samples[i]
				sc := f.Score(reward.Sample{Prompt: s.Prompt, Completion: s.Completion, Gold: s.Gold, Fields: s.Fields})
				r := Scored{Sample: s, Correct: sc.Correct, Pred: sc.Pred}
				if sc.Err != nil {
					r.Correct = false
					r.Err = sc.Err.Error()
				}
				out[i] = r
			}
		}()
	}
	wg.Wait()
	return out
}

// EvaluateFile scores the samples in path (see LoadSamples) with the verifier of task
// (see Verifier) and evaluates them. It fails when no sample at all could be scored
// (e.g. --task integer on non-integer gold answers); otherwise unscorable samples count
// as wrong and are reported in Summary.ScoreErrors. The summary's Task is set to task, and cons@k
// groups answers with Equivalence of the verifier unless opts.Equal is set.
func EvaluateFile(path, task string, opts Options) (*Report, error) {
	f, err := Verifier(task)
	if err != nil {
		return nil, err
	}
	samples, err := LoadSamples(path)
	if err != nil {
		return nil, err
	}
	if opts.Equal == nil {
		opts.Equal = Equivalence(f)
	}
	scored := Score(samples, f)
	if failed := countErrors(scored); failed == len(scored) {
		return nil, fmt.Errorf("%s: no sample could be scored with %q (first error: %s)", path, task, scored[0].Err)
	}
	rep, err := Evaluate(scored, opts)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	rep.Summary.Task = task
	return rep, nil
}

func countErrors(scored []Scored) int {
	n := 0
	for _, s := range scored {
		if s.Err != "" {
			n++
		}
	}
	return n
}
