// Package settings reads and writes the YAML-tagged configuration structs of r1go's trainers
// (grpo.Config, sft.Config): strict YAML files whose unknown keys and wrong types are errors
// naming the file and line, and one command-line flag per key.
package settings

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"os"
	"reflect"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Key describes one YAML key of a config struct: its name, help text and Go kind, so that a
// command can offer every key as a flag.
type Key struct {
	Name string
	Help string
	Kind reflect.Kind // String, Int, Int64, Float64, Bool, Slice
}

// Keys lists the top-level YAML keys of struct type t in declaration order.
func Keys(t reflect.Type) []Key {
	var out []Key
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "" || name == "-" {
			continue
		}
		out = append(out, Key{Name: name, Help: f.Tag.Get("help"), Kind: f.Type.Kind()})
	}
	return out
}

// Fields maps the YAML key of each field of struct type t to the field.
func Fields(t reflect.Type) map[string]reflect.StructField {
	out := map[string]reflect.StructField{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "" || name == "-" {
			continue
		}
		out[name] = f
	}
	return out
}

// Get returns the value of a YAML key of the struct pointed to by ptr as a string in the form
// Set accepts. what names the config in errors ("GRPO", "SFT").
func Get(ptr any, what, key string) (string, error) {
	v := reflect.ValueOf(ptr).Elem()
	f, ok := Fields(v.Type())[key]
	if !ok {
		return "", UnknownKey(what, key, v.Type())
	}
	x := v.FieldByIndex(f.Index)
	if x.Kind() == reflect.Float64 {
		return strconv.FormatFloat(x.Float(), 'g', -1, 64), nil
	}
	return fmt.Sprint(x.Interface()), nil
}

// Set assigns a YAML key of a string, integer, finite float or bool field of the struct
// pointed to by ptr from a command-line string.
func Set(ptr any, what, key, value string) error {
	v := reflect.ValueOf(ptr).Elem()
	f, ok := Fields(v.Type())[key]
	if !ok {
		return UnknownKey(what, key, v.Type())
	}
	x := v.FieldByIndex(f.Index)
	s := strings.TrimSpace(value)
	switch x.Kind() {
	case reflect.String:
		x.SetString(value)
	case reflect.Int, reflect.Int64:
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return fmt.Errorf("%s: %q is not an integer", key, value)
		}
		x.SetInt(n)
	case reflect.Float64:
		n, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsNaN(n) || math.IsInf(n, 0) {
			return fmt.Errorf("%s: %q is not a finite number", key, value)
		}
		x.SetFloat(n)
	case reflect.Bool:
		b, err := strconv.ParseBool(s)
		if err != nil {
			return fmt.Errorf("%s: %q is not true or false", key, value)
		}
		x.SetBool(b)
	default:
		return fmt.Errorf("%s: cannot be set from a string", key)
	}
	return nil
}

// UnknownKey is the error for a key struct type t lacks, with the closest known key.
func UnknownKey(what, key string, t reflect.Type) error {
	var names []string
	for _, k := range Keys(t) {
		names = append(names, k.Name)
	}
	sort.Strings(names)
	if s := closest(key, names); s != "" {
		return fmt.Errorf("unknown %s setting %q (did you mean %q?)", what, key, s)
	}
	return fmt.Errorf("unknown %s setting %q; known: %s", what, key, strings.Join(names, ", "))
}

// ReadFile decodes the YAML file at path over the struct pointed to by dst (keys the file
// does not set keep their values). An unknown key, also inside lists of structs, is an error
// naming the file, the line and the key (with the closest known key), also inside sections
// (struct-typed fields, e.g. the stages of a recipe); so is a value of the wrong type.
func ReadFile(path string, dst any) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if len(doc.Content) == 0 {
		return nil // an empty file: all defaults
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return fmt.Errorf("%s:%d: the config must be a mapping of keys to values", path, root.Line)
	}
	if err := checkKeys(path, root, reflect.TypeOf(dst).Elem(), ""); err != nil {
		return err
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(dst); err != nil {
		var te *yaml.TypeError
		if errors.As(err, &te) {
			// "line 3: cannot unmarshal !!str `ten` into int" → "file:3: cannot ..."
			msgs := make([]string, len(te.Errors))
			for i, m := range te.Errors {
				if rest, ok := strings.CutPrefix(m, "line "); ok {
					if n, msg, ok := strings.Cut(rest, ": "); ok {
						m = fmt.Sprintf("%s:%s: %s", path, n, msg)
					}
				}
				msgs[i] = m
			}
			return &typeError{msg: strings.Join(msgs, "\n"), err: err}
		}
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

type typeError struct {
	msg string
	err error
}

func (e *typeError) Error() string { return e.msg }
func (e *typeError) Unwrap() error { return e.err }

// checkKeys walks a YAML mapping against the yaml tags of struct type t and reports the
// first unknown key with its line.
func checkKeys(path string, m *yaml.Node, t reflect.Type, prefix string) error {
	fields := Fields(t)
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := m.Content[i], m.Content[i+1]
		f, ok := fields[k.Value]
		if !ok {
			names := make([]string, 0, len(fields))
			for n := range fields {
				names = append(names, n)
			}
			sort.Strings(names)
			hint := ""
			if s := closest(k.Value, names); s != "" {
				hint = fmt.Sprintf(" (did you mean %q?)", prefix+s)
			}
			return fmt.Errorf("%s:%d: unknown key %q%s; known keys: %s", path, k.Line, prefix+k.Value, hint, strings.Join(names, ", "))
		}
		ft := f.Type
		if ft.Kind() == reflect.Struct && v.Kind == yaml.MappingNode { // a section: its own keys
			if err := checkKeys(path, v, ft, prefix+k.Value+"."); err != nil {
				return err
			}
		}
		if ft.Kind() == reflect.Slice && ft.Elem().Kind() == reflect.Struct && v.Kind == yaml.SequenceNode {
			for j, item := range v.Content {
				if item.Kind == yaml.MappingNode {
					if err := checkKeys(path, item, ft.Elem(), fmt.Sprintf("%s%s[%d].", prefix, k.Value, j)); err != nil {
						return err
					}
				}
			}
		}
	}
	return nil
}

// closest returns the known key nearest to s in edit distance, if it is near enough.
func closest(s string, known []string) string {
	best, bestD := "", 1<<30
	for _, k := range known {
		if d := editDistance(s, k); d < bestD {
			best, bestD = k, d
		}
	}
	if bestD <= max(2, len(s)/3) {
		return best
	}
	return ""
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
