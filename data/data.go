// Package data loads the datasets r1go trains and evaluates on and generates its
// built-in synthetic reasoning tasks.
//
// Datasets are JSONL, JSON (an array of objects, or JSONL under a .json name) or
// Parquet files, chosen by extension. Load and Scan read prompt/answer datasets
// (RL, rejection sampling, evaluation); LoadChat and ScanChat read supervised
// fine-tuning data (chat messages or prompt/completion pairs). Field names are
// detected from the common layouts (MATH-500, GSM8K, AIME, verl, generic
// prompt/answer) or given explicitly with a Mapping.
//
// Every error about a record names the file, the line (Parquet: the row) and the field.
package data

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
)

// Example is one prompt with its reference answer.
type Example struct {
	ID     string         // the record's id field, else its 0-based position in the file
	Prompt string         // the question, without any chat template
	Answer string         // the reference answer (GSM8K: the number after ####, commas removed)
	Fields map[string]any // every other field of the record (solution, subject, level, numbers, target, ...)
}

// MarshalJSON writes the example as one flat object: "id", "prompt", "answer" and the
// Fields beside them, the layout Load reads back.
func (e Example) MarshalJSON() ([]byte, error) {
	m := make(map[string]any, len(e.Fields)+3)
	for k, v := range e.Fields {
		m[k] = v
	}
	m["id"], m["prompt"], m["answer"] = e.ID, e.Prompt, e.Answer
	return marshalNoEscape(m)
}

// marshalNoEscape is json.Marshal without HTML escaping (prompts hold < and >).
func marshalNoEscape(m map[string]any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(m); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// Mapping names the fields of a dataset. An empty name is detected from the first
// record (see PromptFields, AnswerFields, IDFields). A name may be a dotted path into
// nested objects, e.g. "reward_model.ground_truth".
type Mapping struct {
	Prompt, Answer, ID string
}

// PromptFields are the field names tried, in order, for the prompt.
var PromptFields = []string{"prompt", "problem", "Problem", "question", "Question", "query", "instruction", "input"}

// AnswerFields are the field names tried, in order, for the reference answer.
// "solution" comes last: a full worked solution (ending in \boxed{...}) is a valid
// gold for the math verifier when no bare answer exists.
var AnswerFields = []string{"answer", "Answer", "final_answer", "reward_model.ground_truth", "ground_truth", "solution", "Solution"}

// IDFields are the field names tried, in order, for the example id.
var IDFields = []string{"id", "ID", "unique_id", "problem_id", "task_id", "idx", "extra_info.index"}

// Error is a problem with one record (or one field of one record) of a dataset file.
type Error struct {
	File  string // path as given
	Line  int    // 1-based line (JSONL/JSON) or row (Parquet); 0 for the whole file
	Row   bool   // Line counts Parquet rows rather than text lines
	Field string // the field concerned, or ""
	Err   error
}

// Error formats as `FILE line N: field "F": message`.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		if e.Row {
			fmt.Fprintf(&b, " row %d", e.Line)
		} else {
			fmt.Fprintf(&b, " line %d", e.Line)
		}
	}
	b.WriteString(": ")
	if e.Field != "" {
		fmt.Fprintf(&b, "field %q: ", e.Field)
	}
	b.WriteString(e.Err.Error())
	return b.String()
}

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

// ErrMissingField reports that a record lacks a required field.
var ErrMissingField = errors.New("missing field")

// Load reads a whole prompt/answer dataset. See Scan.
func Load(path string, m Mapping) ([]Example, error) {
	return collect(path, func(fn func(Example) error) error { return Scan(path, m, fn) })
}

// collect gathers everything scan streams from the file at path; a file with no records is an
// error.
func collect[T any](path string, scan func(fn func(T) error) error) ([]T, error) {
	var out []T
	if err := scan(func(x T) error { out = append(out, x); return nil }); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, &Error{File: path, Err: errors.New("no records")}
	}
	return out, nil
}

// Scan streams a prompt/answer dataset record by record to fn, without holding the
// file in memory. The format follows the extension: .jsonl, .json, .parquet.
// Fields are resolved from m, or detected from the first record. GSM8K answers
// (a worked solution ending "#### 42") become the number after ####, with thousands
// commas removed; the full text is kept in Fields["solution"]. A prompt given as a
// list of chat messages (the verl layout) becomes the content of its last user turn,
// the list kept in Fields["prompt_messages"]. Numbers keep integer exactness: JSON
// integers become int, arrays of integers []int, arrays of numbers []float64.
// An error returned by fn stops the scan and is returned as is.
func Scan(path string, m Mapping, fn func(Example) error) error {
	var res *resolved
	index := 0
	return scanRecords(path, func(rec record) error {
		if res == nil {
			r, err := resolve(rec, m)
			if err != nil {
				return err
			}
			res = r
		}
		ex, err := res.example(rec, index)
		if err != nil {
			return err
		}
		index++
		return fn(ex)
	})
}

// resolved holds the field names chosen for one file.
type resolved struct {
	prompt, answer, id string
}

func resolve(rec record, m Mapping) (*resolved, error) {
	r := &resolved{prompt: m.Prompt, answer: m.Answer, id: m.ID}
	pick := func(kind, flag string, candidates []string) (string, error) {
		for _, c := range candidates {
			if _, ok := lookup(rec.fields, c); ok {
				return c, nil
			}
		}
		return "", rec.errorf("", "no %s field found among %v (fields present: %s); name it with %s",
			kind, candidates, strings.Join(sortedKeys(rec.fields), ", "), flag)
	}
	var err error
	if r.prompt == "" {
		if r.prompt, err = pick("prompt", "--prompt-field", PromptFields); err != nil {
			return nil, err
		}
	}
	if r.answer == "" {
		if r.answer, err = pick("answer", "--answer-field", AnswerFields); err != nil {
			return nil, err
		}
	}
	if r.id == "" {
		for _, c := range IDFields {
			if _, ok := lookup(rec.fields, c); ok {
				r.id = c
				break
			}
		}
	}
	return r, nil
}

func (r *resolved) example(rec record, index int) (Example, error) {
	ex := Example{Fields: map[string]any{}}
	pv, ok := lookup(rec.fields, r.prompt)
	if !ok {
		return ex, rec.missing(r.prompt)
	}
	prompt, msgs, err := promptText(pv)
	if err != nil {
		return ex, rec.errorf(r.prompt, "%v", err)
	}
	if strings.TrimSpace(prompt) == "" {
		return ex, rec.errorf(r.prompt, "empty prompt")
	}
	av, ok := lookup(rec.fields, r.answer)
	if !ok {
		return ex, rec.missing(r.answer)
	}
	answer, err := scalarText(av)
	if err != nil {
		return ex, rec.errorf(r.answer, "%v", err)
	}
	for k, v := range rec.fields {
		if k != r.prompt && k != r.answer && k != r.id {
			ex.Fields[k] = v
		}
	}
	if i := strings.LastIndex(answer, "####"); i >= 0 {
		if _, has := ex.Fields["solution"]; !has {
			ex.Fields["solution"] = answer
		}
		answer = strings.ReplaceAll(strings.TrimSpace(answer[i+len("####"):]), ",", "")
	}
	if msgs != nil {
		ex.Fields["prompt_messages"] = msgs
	}
	ex.Prompt, ex.Answer = prompt, answer
	ex.ID = strconv.Itoa(index)
	if r.id != "" {
		iv, ok := lookup(rec.fields, r.id)
		if !ok {
			return ex, rec.missing(r.id)
		}
		if ex.ID, err = scalarText(iv); err != nil {
			return ex, rec.errorf(r.id, "%v", err)
		}
	}
	return ex, nil
}

// promptText returns a prompt given as a string, or the last user turn of a message list.
func promptText(v any) (string, []any, error) {
	switch v := v.(type) {
	case string:
		return v, nil, nil
	case []any:
		last := ""
		found := false
		for i, m := range v {
			mm, ok := m.(map[string]any)
			if !ok {
				return "", nil, fmt.Errorf("message %d: want an object with role and content, got %s", i, JSONKind(m))
			}
			role, _ := mm["role"].(string)
			content, ok := mm["content"].(string)
			if !ok {
				return "", nil, fmt.Errorf("message %d: content: want a string, got %s", i, JSONKind(mm["content"]))
			}
			if role == "user" {
				last, found = content, true
			}
		}
		if !found {
			return "", nil, errors.New("message list has no user turn")
		}
		return last, v, nil
	}
	return "", nil, fmt.Errorf("want a string or a list of chat messages, got %s", JSONKind(v))
}

// scalarText renders a string or number field as text.
func scalarText(v any) (string, error) {
	switch v := v.(type) {
	case string:
		return v, nil
	case int:
		return strconv.Itoa(v), nil
	case float64:
		return strconv.FormatFloat(v, 'g', -1, 64), nil
	}
	return "", fmt.Errorf("want a string or a number, got %s", JSONKind(v))
}

// lookup finds a field by name, then by dotted path into nested objects.
func lookup(fields map[string]any, name string) (any, bool) {
	if v, ok := fields[name]; ok && v != nil {
		return v, true
	}
	parts := strings.Split(name, ".")
	if len(parts) < 2 {
		return nil, false
	}
	var cur any = fields
	for _, p := range parts {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[p]; !ok || cur == nil {
			return nil, false
		}
	}
	return cur, true
}

// JSONKind names the JSON kind of a decoded value (null, a string, a number, a boolean, an
// array, an object) for error messages.
func JSONKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "a string"
	case int, float64:
		return "a number"
	case bool:
		return "a boolean"
	case []any, []int, []float64:
		return "an array"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}

func formatOf(path string) string {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".jsonl", ".ndjson":
		return "jsonl"
	case ".json":
		return "json"
	case ".parquet":
		return "parquet"
	}
	return ""
}
