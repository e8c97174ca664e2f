package mathverify

import (
	"fmt"
	"testing"
	"time"
)

// watchdog panics (crashing the fuzz worker, so the fuzzer saves the input) when a call
// hangs; stop it when the call returns.
func watchdog(what string) *time.Timer {
	return time.AfterFunc(20*time.Second, func() { panic(fmt.Sprintf("hang: %s", what)) })
}

// fuzzBound is the time one call may take under fuzzing (instrumented code is slow,
// so the bound is looser than TestPathological's).
const fuzzBound = time.Second

// FuzzExtractAnswer checks that extraction never panics, stays fast, and returns an
// answer only when it reports one.
func FuzzExtractAnswer(f *testing.F) {
	for _, s := range []string{
		`\boxed{42}`, `<answer>4</answer>`, `the answer is $x=2$.`, `\boxed{\frac{1}{2}} and \boxed{3}`,
		`$$1$$ $2$ \[3\] \(4\)`, `\boxed{{{`, `\fbox 7`, `Final answer: 1,234`, `-3.5/7`, `<answer></answer>`,
		`\boxed{1} , \boxed{}`, "\\boxed{\\text{(B)}}", `$\$5$`,
	} {
		f.Add(s)
	}
	opts := DefaultOptions()
	f.Fuzz(func(t *testing.T, s string) {
		defer watchdog(fmt.Sprintf("ExtractAnswer(%q)", s)).Stop()
		start := time.Now()
		a, ok := ExtractAnswer(s, opts)
		if d := time.Since(start); d > fuzzBound {
			t.Errorf("ExtractAnswer(%q) took %v", s, d)
		}
		if !ok && a != "" {
			t.Errorf("ExtractAnswer(%q) = %q with ok false", s, a)
		}
	})
}

// FuzzCompare checks that parsing and comparison never panic, stay fast, and that an
// answer equals itself.
func FuzzCompare(f *testing.F) {
	for _, tc := range equalCases {
		f.Add(tc.gold, tc.pred)
	}
	f.Add(`2^{2^{100}}`, `x^{10^{10}}`)
	f.Add(`\sqrt[0]{2}`, `0^{-1}`)
	f.Add(`\binom{-1}{2}`, `(-1)!`)
	opts := DefaultOptions()
	f.Fuzz(func(t *testing.T, gold, pred string) {
		defer watchdog(fmt.Sprintf("Compare(%q, %q)", gold, pred)).Stop()
		start := time.Now()
		Compare(gold, pred, opts)
		if d := time.Since(start); d > fuzzBound {
			t.Errorf("Compare(%q, %q) took %v", gold, pred, d)
		}
		if n, err := parseAnswer(gold, &opts); err == nil && len(gold) <= opts.MaxLen {
			c := &comparer{opts: &opts}
			c.equal(n, n, 0) // must not panic; NaN-valued answers may be unequal to themselves
		}
		if quickKey(gold) != "" {
			if ok, err := Compare(gold, gold, opts); !ok && len(gold) <= opts.MaxLen {
				t.Errorf("Compare(%q, itself) = false (err %v)", gold, err)
			}
		}
	})
}
