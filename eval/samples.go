package eval

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/r1go/r1go/data"
)

// Field names LoadSamples reads, in order of preference.
var (
	sampleIDFields         = []string{"id", "problem_id", "unique_id"}
	sampleGoldFields       = []string{"gold", "gold_answer", "reference"}
	sampleCompletionFields = []string{"completion", "response", "output", "pred", "prediction"}
)

// LoadSamples reads generated samples from a .jsonl, .json or .parquet file: one object
// per sample with
//
//	"id"          the problem id (string or number; also "problem_id", "unique_id")
//	"gold"        the reference answer (also "gold_answer", "reference")
//	"pred"        the response; a full response may be given as "completion" (preferred
//	              when both exist), "response" or "output"
//	"prompt"      optional, the prompt the model saw
//	"tokens"      optional, the completion's length in tokens
//	"finish_reason" optional, "stop" or "length" (cut at the token budget)
//	"fields"      optional object of task fields (numbers, target, tests, ...)
//
// Any other key is a task field too. Several lines share an id: they are the samples
// of one problem. Errors name the file, line and field.
func LoadSamples(path string) ([]Sample, error) {
	var out []Sample
	err := data.ScanObjects(path, func(line int, obj map[string]any) error {
		fail := func(field string, err error) error { return data.RecordError(path, line, field, err) }
		s := Sample{Fields: map[string]any{}}
		used := map[string]bool{}
		pick := func(names []string, required bool) (string, string, error) {
			for _, n := range names {
				v, ok := obj[n]
				if !ok || v == nil {
					continue
				}
				used[n] = true
				switch v := v.(type) {
				case string:
					return v, n, nil
				case int:
					return strconv.Itoa(v), n, nil
				case float64:
					return strconv.FormatFloat(v, 'g', -1, 64), n, nil
				}
				return "", n, fail(n, fmt.Errorf("want a string or a number, got %s", data.JSONKind(v)))
			}
			if required {
				return "", names[0], fail("", fmt.Errorf("%w %q", data.ErrMissingField, names[0]))
			}
			return "", "", nil
		}
		var err error
		if s.ID, _, err = pick(sampleIDFields, true); err != nil {
			return err
		}
		if s.Gold, _, err = pick(sampleGoldFields, true); err != nil {
			return err
		}
		if s.Completion, _, err = pick(sampleCompletionFields, true); err != nil {
			var de *data.Error
			if errors.As(err, &de) && errors.Is(err, data.ErrMissingField) {
				return fail("", fmt.Errorf("%w \"pred\" (or \"completion\", \"response\", \"output\")", data.ErrMissingField))
			}
			return err
		}
		for _, n := range sampleCompletionFields { // the other response fields are not task fields
			if _, ok := obj[n]; ok {
				used[n] = true
			}
		}
		if v, ok := obj["prompt"]; ok {
			p, isStr := v.(string)
			if !isStr {
				return fail("prompt", fmt.Errorf("want a string, got %s", data.JSONKind(v)))
			}
			s.Prompt = p
			used["prompt"] = true
		}
		if v, ok := obj["tokens"]; ok {
			n, isInt := v.(int)
			if !isInt || n < 0 {
				return fail("tokens", fmt.Errorf("want a non-negative integer, got %v", v))
			}
			s.Tokens = n
			used["tokens"] = true
		}
		if v, ok := obj["finish_reason"]; ok {
			f, isStr := v.(string)
			if !isStr || (f != "stop" && f != "length") {
				return fail("finish_reason", fmt.Errorf(`want "stop" or "length", got %v`, v))
			}
			s.Finish = f
			used["finish_reason"] = true
		}
		if v, ok := obj["fields"]; ok {
			m, isObj := v.(map[string]any)
			if !isObj {
				return fail("fields", fmt.Errorf("want an object, got %s", data.JSONKind(v)))
			}
			for k, x := range m {
				s.Fields[k] = x
			}
			used["fields"] = true
		}
		for k, v := range obj {
			if !used[k] {
				s.Fields[k] = v
			}
		}
		out = append(out, s)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no samples", path)
	}
	return out, nil
}

// FromExamples pairs dataset examples with the responses generated for them:
// completions[i] holds the k responses to exs[i] (k may differ between examples, see
// Evaluate). tokens, when not nil, holds the matching token counts. This is how a
// generator (e.g. `r1go eval --model`) hands its output to Score and Evaluate.
func FromExamples(exs []data.Example, completions [][]string, tokens [][]int) ([]Sample, error) {
	if len(completions) != len(exs) {
		return nil, fmt.Errorf("%d examples but %d lists of completions", len(exs), len(completions))
	}
	if tokens != nil && len(tokens) != len(exs) {
		return nil, fmt.Errorf("%d examples but %d lists of token counts", len(exs), len(tokens))
	}
	var out []Sample
	seen := make(map[string]bool, len(exs))
	for i, ex := range exs {
		if seen[ex.ID] {
			return nil, fmt.Errorf("example %d: duplicate id %q (ids name problems)", i, ex.ID)
		}
		seen[ex.ID] = true
		if len(completions[i]) == 0 {
			return nil, fmt.Errorf("example %d (id %q): no completions", i, ex.ID)
		}
		if tokens != nil && len(tokens[i]) != len(completions[i]) {
			return nil, fmt.Errorf("example %d (id %q): %d completions but %d token counts", i, ex.ID, len(completions[i]), len(tokens[i]))
		}
		for j, c := range completions[i] {
			s := Sample{ID: ex.ID, Prompt: ex.Prompt, Gold: ex.Answer, Completion: c, Fields: ex.Fields}
			if tokens != nil {
				s.Tokens = tokens[i][j]
			}
			out = append(out, s)
		}
	}
	return out, nil
}
