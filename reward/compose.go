package reward

import (
	"errors"
	"fmt"
	"math"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
)

// Weighted is one term of a composite reward.
type Weighted struct {
	Func   Func
	Weight float64
}

// Composite is a weighted sum of named reward functions (R1: accuracy + format, equal
// weights; optionally + language consistency). Each term's value is kept separately.
type Composite struct {
	Terms []Weighted
}

// Total is the composite reward of one sample.
type Total struct {
	Reward  float64            // Σ weight · value over the terms
	Parts   map[string]float64 // each term's unweighted value, by name
	Correct bool               // Score.Correct of the first accuracy-type term
	Pred    string             // Score.Pred of the first accuracy-type term
	Gold    string             // Score.Gold of the first accuracy-type term
	Note    string             // Score.Note of the first accuracy-type term
	Err     error              // the terms' errors, each starting with the term's name
}

// TermSpec configures one term of a composite reward, as read from a YAML or JSON config.
type TermSpec struct {
	Name   string         `json:"name" yaml:"name"`                         // reward name for New
	Weight *float64       `json:"weight,omitempty" yaml:"weight,omitempty"` // nil means 1
	Params map[string]any `json:"params,omitempty" yaml:"params,omitempty"` // parameters for New
	As     string         `json:"as,omitempty" yaml:"as,omitempty"`         // name in Total.Parts; default Name
}

// NewComposite builds a composite reward from term specs. Names in Total.Parts must be
// distinct: give a second term of the same reward a different As.
func NewComposite(specs []TermSpec) (*Composite, error) {
	if len(specs) == 0 {
		return nil, errors.New("reward spec has no terms")
	}
	c := &Composite{}
	seen := map[string]bool{}
	for i, t := range specs {
		f, err := New(t.Name, t.Params)
		if err != nil {
			return nil, fmt.Errorf("reward term %d: %w", i+1, err)
		}
		if t.As != "" {
			f = Rename(f, t.As)
		}
		if seen[f.Name()] {
			return nil, fmt.Errorf("reward term %d: name %q used twice (set a distinct \"as\")", i+1, f.Name())
		}
		seen[f.Name()] = true
		w := 1.0
		if t.Weight != nil {
			w = *t.Weight
		}
		if math.IsNaN(w) || math.IsInf(w, 0) {
			return nil, fmt.Errorf("reward term %d (%s): weight %v is not finite", i+1, t.Name, w)
		}
		c.Terms = append(c.Terms, Weighted{Func: f, Weight: w})
	}
	return c, nil
}

// ParseSpec parses a composite reward spec: comma-separated terms
// "name[(key=value;key=value)][:weight]", e.g. "math:1,format:1", "math,format" (weight 1)
// or "countdown,format(style=r1-zero;partial=true):0.5,language(lang=zh):0.1".
// Parameter values are booleans, numbers or strings (quotes optional); the parameter
// "as" renames the term in Total.Parts.
func ParseSpec(spec string) (*Composite, error) {
	terms, err := splitTopLevel(spec)
	if err != nil {
		return nil, fmt.Errorf("reward spec %q: %w", spec, err)
	}
	var specs []TermSpec
	for _, raw := range terms {
		t, err := parseTerm(raw)
		if err != nil {
			return nil, fmt.Errorf("reward spec %q: term %q: %w", spec, strings.TrimSpace(raw), err)
		}
		specs = append(specs, t)
	}
	c, err := NewComposite(specs)
	if err != nil {
		return nil, fmt.Errorf("reward spec %q: %w", spec, err)
	}
	return c, nil
}

// splitTopLevel splits spec at commas outside parentheses and quotes.
func splitTopLevel(spec string) ([]string, error) {
	var out []string
	depth, start := 0, 0
	var quote rune
	for i, r := range spec {
		switch {
		case quote != 0:
			if r == quote {
				quote = 0
			}
		case r == '"' || r == '\'':
			quote = r
		case r == '(':
			depth++
		case r == ')':
			depth--
			if depth < 0 {
				return nil, fmt.Errorf("unbalanced ')' at offset %d", i)
			}
		case r == ',' && depth == 0:
			out = append(out, spec[start:i])
			start = i + 1
		}
	}
	if quote != 0 {
		return nil, errors.New("unclosed quote")
	}
	if depth != 0 {
		return nil, errors.New("unclosed '('")
	}
	out = append(out, spec[start:])
	for _, t := range out {
		if strings.TrimSpace(t) == "" {
			return nil, errors.New("empty term")
		}
	}
	return out, nil
}

// parseTerm parses "name[(params)][:weight]".
func parseTerm(raw string) (TermSpec, error) {
	s := strings.TrimSpace(raw)
	var t TermSpec
	if i := strings.LastIndex(s, ":"); i >= 0 && !strings.Contains(s[i:], ")") {
		ws := strings.TrimSpace(s[i+1:])
		w, err := strconv.ParseFloat(ws, 64)
		if err != nil || math.IsNaN(w) || math.IsInf(w, 0) {
			return t, fmt.Errorf("weight %q is not a finite number", ws)
		}
		t.Weight = &w
		s = strings.TrimSpace(s[:i])
	}
	if i := strings.Index(s, "("); i >= 0 {
		if !strings.HasSuffix(s, ")") {
			return t, errors.New("text after ')'")
		}
		ps, err := parseParams(s[i+1 : len(s)-1])
		if err != nil {
			return t, err
		}
		if as, ok := ps["as"]; ok {
			t.As = fmt.Sprint(as)
			delete(ps, "as")
		}
		t.Params = ps
		s = strings.TrimSpace(s[:i])
	}
	if s == "" {
		return t, errors.New("missing reward name")
	}
	t.Name = s
	return t, nil
}

// parseParams parses "key=value;key=value" (commas also separate).
func parseParams(s string) (map[string]any, error) {
	out := map[string]any{}
	var items []string
	var quote rune
	start := 0
	for i, r := range s {
		switch {
		case quote != 0:
			if r == quote {
				quote = 0
			}
		case r == '"' || r == '\'':
			quote = r
		case r == ';' || r == ',':
			items = append(items, s[start:i])
			start = i + 1
		}
	}
	items = append(items, s[start:])
	for _, it := range items {
		it = strings.TrimSpace(it)
		if it == "" {
			continue
		}
		k, v, ok := strings.Cut(it, "=")
		k = strings.TrimSpace(k)
		if !ok || k == "" {
			return nil, fmt.Errorf("parameter %q: want key=value", it)
		}
		if _, dup := out[k]; dup {
			return nil, fmt.Errorf("parameter %q given twice", k)
		}
		v = strings.TrimSpace(v)
		switch {
		case len(v) >= 2 && (v[0] == '"' || v[0] == '\'') && v[len(v)-1] == v[0]:
			out[k] = v[1 : len(v)-1]
		case v == "true" || v == "false":
			out[k] = v == "true"
		default:
			if f, err := strconv.ParseFloat(v, 64); err == nil {
				out[k] = f
			} else {
				out[k] = v
			}
		}
	}
	return out, nil
}

// Names returns the terms' names in order (the keys of Total.Parts).
func (c *Composite) Names() []string {
	names := make([]string, len(c.Terms))
	for i, t := range c.Terms {
		names[i] = t.Func.Name()
	}
	return names
}

// String writes c back as a spec (parameters are not shown).
func (c *Composite) String() string {
	var parts []string
	for _, t := range c.Terms {
		parts = append(parts, t.Func.Name()+":"+strconv.FormatFloat(t.Weight, 'g', -1, 64))
	}
	return strings.Join(parts, ",")
}

// Score scores one sample with every term.
func (c *Composite) Score(s Sample) Total {
	tot := Total{Parts: make(map[string]float64, len(c.Terms))}
	var errs []error
	accSeen := false
	for _, t := range c.Terms {
		sc := SafeScore(t.Func, s)
		name := t.Func.Name()
		if sc.Err != nil {
			if strings.HasPrefix(sc.Err.Error(), name+": ") {
				errs = append(errs, sc.Err)
			} else {
				errs = append(errs, fmt.Errorf("%s: %w", name, sc.Err))
			}
		}
		tot.Parts[name] = sc.Value
		tot.Reward += t.Weight * sc.Value
		if !accSeen && IsAccuracy(t.Func) {
			accSeen = true
			tot.Correct, tot.Pred, tot.Gold, tot.Note = sc.Correct, sc.Pred, sc.Gold, sc.Note
		}
	}
	tot.Err = errors.Join(errs...)
	return tot
}

// ScoreAll scores samples in parallel on all cores (GOMAXPROCS workers); totals[i] belongs
// to samples[i].
func (c *Composite) ScoreAll(samples []Sample) []Total {
	out := make([]Total, len(samples))
	workers := min(runtime.GOMAXPROCS(0), len(samples))
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= len(samples) {
					return
				}
				out[i] = c.Score(samples[i])
			}
		}()
	}
	wg.Wait()
	return out
}

// SafeScore calls f.Score, turning a panic or a non-finite value into a zero Score with
// Err set, so that one bad reward function cannot crash a training run.
func SafeScore(f Func, s Sample) (sc Score) {
	defer func() {
		if r := recover(); r != nil {
			sc = Score{Err: fmt.Errorf("reward %q panicked: %v", f.Name(), r)}
		}
	}()
	sc = f.Score(s)
	if math.IsNaN(sc.Value) || math.IsInf(sc.Value, 0) {
		sc = Score{Pred: sc.Pred, Gold: sc.Gold, Err: fmt.Errorf("reward %q returned %v", f.Name(), sc.Value)}
	}
	return sc
}

// Rename returns f under another name (for two terms of one reward with different
// parameters); it keeps f's accuracy type.
func Rename(f Func, name string) Func {
	return renamed{f: f, name: name}
}

type renamed struct {
	f    Func
	name string
}

func (r renamed) Name() string         { return r.name }
func (r renamed) Score(s Sample) Score { return r.f.Score(s) }
func (r renamed) IsAccuracy() bool     { return IsAccuracy(r.f) }
