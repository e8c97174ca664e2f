package reward

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
)

// params reads the parameters of one reward function with type checking, remembering
// which keys were read so that unknown keys can be reported by finish.
type params struct {
	reward string
	m      map[string]any
	known  []string
	err    error
}

func newParams(reward string, m map[string]any) *params {
	return &params{reward: reward, m: m}
}

// fail records the first error.
func (p *params) fail(key string, format string, args ...any) {
	if p.err == nil {
		p.err = fmt.Errorf("reward %q: parameter %q: %s", p.reward, key, fmt.Sprintf(format, args...))
	}
}

func (p *params) lookup(key string) (any, bool) {
	p.known = append(p.known, key)
	v, ok := p.m[key]
	return v, ok
}

// Bool reads a boolean (true/false, or the strings "true"/"false"/"1"/"0").
func (p *params) Bool(key string, def bool) bool {
	v, ok := p.lookup(key)
	if !ok {
		return def
	}
	switch x := v.(type) {
	case bool:
		return x
	case string:
		b, err := strconv.ParseBool(x)
		if err == nil {
			return b
		}
	}
	p.fail(key, "want true or false, got %v", v)
	return def
}

// String reads a string.
func (p *params) String(key, def string) string {
	v, ok := p.lookup(key)
	if !ok {
		return def
	}
	s, isStr := v.(string)
	if !isStr {
		p.fail(key, "want a string, got %v (%T)", v, v)
		return def
	}
	return s
}

// Choice reads a string that must be one of allowed.
func (p *params) Choice(key, def string, allowed ...string) string {
	s := p.String(key, def)
	for _, a := range allowed {
		if s == a {
			return s
		}
	}
	p.fail(key, "want one of %s, got %q", strings.Join(allowed, "|"), s)
	return def
}

// Float reads a finite number.
func (p *params) Float(key string, def float64) float64 {
	v, ok := p.lookup(key)
	if !ok {
		return def
	}
	f, good := toFloat(v)
	if !good || math.IsNaN(f) || math.IsInf(f, 0) {
		p.fail(key, "want a finite number, got %v", v)
		return def
	}
	return f
}

// Int reads an integer-valued number.
func (p *params) Int(key string, def int) int {
	v, ok := p.lookup(key)
	if !ok {
		return def
	}
	f, good := toFloat(v)
	if !good || f != math.Trunc(f) || math.Abs(f) > 1<<31 {
		p.fail(key, "want an integer, got %v", v)
		return def
	}
	return int(f)
}

// Seconds reads a duration given in seconds (a number) or as a Go duration string ("2s").
func (p *params) Seconds(key string, def time.Duration) time.Duration {
	v, ok := p.lookup(key)
	if !ok {
		return def
	}
	if s, isStr := v.(string); isStr {
		if d, err := time.ParseDuration(s); err == nil && d > 0 {
			return d
		}
	}
	f, good := toFloat(v)
	if !good || !(f > 0) || f > 86400 {
		p.fail(key, "want a positive number of seconds or a duration such as \"2s\", got %v", v)
		return def
	}
	return time.Duration(f * float64(time.Second))
}

// Strings reads a list of strings (a []string, a []any of strings, or one string with
// items separated by "|").
func (p *params) Strings(key string, def []string) []string {
	v, ok := p.lookup(key)
	if !ok {
		return def
	}
	switch x := v.(type) {
	case []string:
		return x
	case string:
		return strings.Split(x, "|")
	case []any:
		out := make([]string, 0, len(x))
		for _, e := range x {
			s, isStr := e.(string)
			if !isStr {
				p.fail(key, "want a list of strings, got element %v (%T)", e, e)
				return def
			}
			out = append(out, s)
		}
		return out
	}
	p.fail(key, "want a list of strings, got %v (%T)", v, v)
	return def
}

// finish returns the first type error, or an error naming the unknown keys.
func (p *params) finish() error {
	if p.err != nil {
		return p.err
	}
	var unknown []string
	for k := range p.m {
		found := false
		for _, kk := range p.known {
			if k == kk {
				found = true
				break
			}
		}
		if !found {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		known := append([]string(nil), p.known...)
		sort.Strings(known)
		if len(known) == 0 {
			return fmt.Errorf("reward %q: unknown parameter(s) %s (it takes none)", p.reward, strings.Join(unknown, ", "))
		}
		return fmt.Errorf("reward %q: unknown parameter(s) %s (known: %s)", p.reward, strings.Join(unknown, ", "), strings.Join(known, ", "))
	}
	return nil
}

// toFloat converts the numeric forms that JSON, YAML and Go callers produce.
func toFloat(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case float32:
		return float64(x), true
	case int:
		return float64(x), true
	case int64:
		return float64(x), true
	case int32:
		return float64(x), true
	case uint:
		return float64(x), true
	case uint64:
		return float64(x), true
	case uint32:
		return float64(x), true
	case json.Number:
		f, err := x.Float64()
		return f, err == nil
	case string:
		f, err := strconv.ParseFloat(strings.TrimSpace(x), 64)
		return f, err == nil
	}
	return 0, false
}
