// Package reward provides the rule-based rewards of the DeepSeek-R1 recipe: accuracy
// verifiers (math answers, countdown equations, exact match, integer answers, multiple
// choice, code run against tests in a sandbox), the format reward (reasoning inside
// <think>…</think> followed by the answer), the language consistency reward, and the
// composition of named, weighted rewards from a spec such as "math:1,format:1".
//
// Every reward implements Func: it scores one Sample (prompt, completion, gold answer and
// the task's dataset fields) and returns a Score. Functions never panic on model output:
// unusable samples (no gold answer, malformed task fields) give a zero Score with Err set.
//
// The math verifier lives in reward/mathverify and the code sandbox in reward/sandbox; this
// package wires them in as the "math" and "code" rewards.
package reward

import (
	"fmt"
	"sort"
	"strings"
)

// Sample is one model response to be scored.
type Sample struct {
	// Prompt is the text the model was given. For R1 chat templates it may end with an
	// opening "<think>\n" that the completion continues.
	Prompt string
	// Completion is the model's generated text.
	Completion string
	// Gold is the reference answer (math, exact, integer, choice); countdown reads its
	// target from Fields["target"] and falls back to Gold.
	Gold string
	// Fields holds task fields from the dataset: "numbers" ([]int or []float64),
	// "target", "tests", "choices", ...
	Fields map[string]any
}

// Score is the result of one reward function on one Sample.
type Score struct {
	Value   float64 // the reward
	Correct bool    // for accuracy-type rewards: the answer is right
	Pred    string  // the answer extracted from the completion ("" when none was found)
	Gold    string  // the reference answer as the verifier understood it
	Note    string  // why the answer was judged wrong, for logs ("number 7 used more times than given")
	Err     error   // why the sample could not be scored (bad gold or task fields, sandbox failure); Value is then 0
}

// Func is a reward function.
type Func interface {
	// Name is the reward's name as written in a spec ("math", "format", ...).
	Name() string
	// Score scores one sample. It is safe for concurrent use.
	Score(s Sample) Score
}

// Accuracy is implemented by reward functions whose Score.Correct is meaningful (the
// verifiers, as opposed to shaping rewards such as format or language consistency).
type Accuracy interface {
	// IsAccuracy reports whether Score.Correct is meaningful.
	IsAccuracy() bool
}

// IsAccuracy reports whether f is an accuracy-type reward.
func IsAccuracy(f Func) bool {
	a, ok := f.(Accuracy)
	return ok && a.IsAccuracy()
}

// constructor builds one reward function from its parameters.
type constructor struct {
	summary string
	build   func(p *params) (Func, error)
}

// registry lists the built-in reward functions by name.
func registry() map[string]constructor {
	return map[string]constructor{
		"math":      {"math answer (\\boxed{}, <answer>, ...) equivalent to the gold answer", newMath},
		"accuracy":  {"the math reward under the name TRL uses", newAccuracy},
		"format":    {"reasoning inside <think>…</think> followed by the answer", newFormat},
		"countdown": {"equation over the given numbers that evaluates to the target", newCountdown},
		"exact":     {"answer equal to the gold text (whitespace/case normalised)", newExact},
		"integer":   {"final integer equal to the gold integer", newInteger},
		"choice":    {"multiple-choice letter equal to the gold letter", newChoice},
		"code":      {"Python program passing the sample's tests in the sandbox", newCode},
		"language":  {"share of the chain of thought's words in the target language", newLanguage},
	}
}

// Names lists the names New accepts, sorted.
func Names() []string {
	var names []string
	for n := range registry() {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// New returns the reward function called name, configured by params (nil for defaults).
// Unknown names, unknown parameters and parameters of the wrong type are errors.
func New(name string, params map[string]any) (Func, error) {
	c, ok := registry()[name]
	if !ok {
		return nil, fmt.Errorf("unknown reward %q (known: %s)", name, strings.Join(Names(), ", "))
	}
	p := newParams(name, params)
	f, err := c.build(p)
	if err != nil {
		return nil, err
	}
	if err := p.finish(); err != nil {
		return nil, err
	}
	return f, nil
}
