package reward

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// VerifyStats counts the lines VerifyJSONL processed.
type VerifyStats struct {
	Lines   int // input lines read (each produced one output line)
	Correct int // lines judged correct
	Errors  int // lines that produced {"error": ...}
}

// verifyChunk is the number of lines scored in parallel at a time.
const verifyChunk = 1024

// verifyLine is one output line of VerifyJSONL.
type verifyLine struct {
	Correct bool               `json:"correct"`
	Reward  float64            `json:"reward"`
	Pred    string             `json:"pred_extracted"`
	Gold    string             `json:"gold_extracted"`
	Parts   map[string]float64 `json:"rewards,omitempty"`
	Note    string             `json:"note,omitempty"`
}

// VerifyJSONL scores every line of in with c and writes one JSON line per input line to
// out, in order. Input lines are objects with "pred" (the model's response; also
// "completion" or "response"), "gold" (the reference; also "answer"), an optional
// "prompt", and task fields ("numbers", "target", "tests", "choices", ...) that go to
// Sample.Fields. Output lines are
//
//	{"correct":true,"reward":1,"pred_extracted":"..","gold_extracted":".."}
//
// plus "rewards" (each term's value) when parts is set and "note" when the answer was
// judged wrong for a stated reason. A malformed line, or one its reward cannot score
// (no gold answer, bad task fields), gives {"error":"line N: ..."} and the batch goes
// on. The error is non-nil only when reading in or writing out fails.
func VerifyJSONL(in io.Reader, out io.Writer, c *Composite, parts bool) (VerifyStats, error) {
	var st VerifyStats
	r := bufio.NewReaderSize(in, 1<<20)
	w := bufio.NewWriterSize(out, 1<<20)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	type pending struct {
		line   int
		sample Sample
		err    error
	}
	var batch []pending
	flush := func() error {
		var samples []Sample
		var idx []int
		for i, p := range batch {
			if p.err == nil {
				samples = append(samples, p.sample)
				idx = append(idx, i)
			}
		}
		totals := c.ScoreAll(samples)
		results := make([]*Total, len(batch))
		for k, i := range idx {
			results[i] = &totals[k]
		}
		for i, p := range batch {
			var v any
			switch {
			case p.err != nil:
				v = map[string]string{"error": fmt.Sprintf("line %d: %v", p.line, p.err)}
				st.Errors++
			case results[i].Err != nil:
				v = map[string]string{"error": fmt.Sprintf("line %d: %v", p.line, results[i].Err)}
				st.Errors++
			default:
				t := results[i]
				o := verifyLine{Correct: t.Correct, Reward: t.Reward, Pred: t.Pred, Gold: t.Gold, Note: t.Note}
				if parts {
					o.Parts = t.Parts
				}
				if t.Correct {
					st.Correct++
				}
				v = o
			}
			if err := enc.Encode(v); err != nil {
				return fmt.Errorf("writing the result of line %d: %w", p.line, err)
			}
		}
		batch = batch[:0]
		return nil
	}
	for {
		raw, err := r.ReadBytes('\n')
		if len(raw) > 0 {
			st.Lines++
			s, perr := parseVerifyLine(raw)
			batch = append(batch, pending{line: st.Lines, sample: s, err: perr})
			if len(batch) == verifyChunk {
				if ferr := flush(); ferr != nil {
					return st, ferr
				}
			}
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return st, fmt.Errorf("reading line %d: %w", st.Lines+1, err)
		}
	}
	if err := flush(); err != nil {
		return st, err
	}
	if err := w.Flush(); err != nil {
		return st, fmt.Errorf("writing results: %w", err)
	}
	return st, nil
}

// parseVerifyLine decodes one input line into a Sample.
func parseVerifyLine(raw []byte) (Sample, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return Sample{}, errors.New("empty line")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return Sample{}, fmt.Errorf("malformed JSON: %w", err)
	}
	if dec.More() {
		return Sample{}, errors.New("malformed JSON: text after the object")
	}
	m, ok := v.(map[string]any)
	if !ok {
		return Sample{}, fmt.Errorf("want a JSON object, got %s", jsonType(v))
	}
	var s Sample
	var err error
	if s.Completion, err = textField(m, "pred", "completion", "response"); err != nil {
		return Sample{}, err
	}
	if s.Completion == "" {
		if _, has := firstKey(m, "pred", "completion", "response"); !has {
			return Sample{}, errors.New(`missing field "pred"`)
		}
	}
	if s.Gold, err = textField(m, "gold", "answer"); err != nil {
		return Sample{}, err
	}
	if s.Prompt, err = textField(m, "prompt"); err != nil {
		return Sample{}, err
	}
	s.Fields = map[string]any{}
	for k, v := range m {
		switch k {
		case "pred", "completion", "response", "gold", "answer", "prompt":
		default:
			s.Fields[k] = v
		}
	}
	return s, nil
}

// firstKey returns the value of the first of keys present in m.
func firstKey(m map[string]any, keys ...string) (string, bool) {
	for _, k := range keys {
		if _, ok := m[k]; ok {
			return k, true
		}
	}
	return "", false
}

// textField reads the first present key as text; numbers are written as they were in
// the JSON (GSM8K-style numeric gold answers).
func textField(m map[string]any, keys ...string) (string, error) {
	k, ok := firstKey(m, keys...)
	if !ok {
		return "", nil
	}
	switch v := m[k].(type) {
	case string:
		return v, nil
	case json.Number:
		return v.String(), nil
	case nil:
		return "", nil
	default:
		return "", fmt.Errorf("field %q: want a string, got %s", k, jsonType(v))
	}
}

// jsonType names the JSON type of a decoded value.
func jsonType(v any) string {
	switch v.(type) {
	case map[string]any:
		return "an object"
	case []any:
		return "an array"
	case bool:
		return "a boolean"
	case string:
		return "a string"
	case json.Number:
		return "a number"
	case nil:
		return "null"
	}
	return fmt.Sprintf("%T", v)
}

// VerifyFile runs VerifyJSONL from the file inPath ("-" for standard input) to the file
// outPath ("" for standard output). The output is written to a temporary file beside
// outPath and renamed over it only when everything was written, so a failed run leaves
// no partial file. Errors name the file; only unusable input or output files are errors.
func VerifyFile(inPath, outPath string, c *Composite, parts bool) (VerifyStats, error) {
	var in io.Reader = os.Stdin
	name := "standard input"
	if inPath != "-" {
		st, err := os.Stat(inPath)
		if err != nil {
			return VerifyStats{}, fmt.Errorf("input: %w", err)
		}
		if st.IsDir() {
			return VerifyStats{}, fmt.Errorf("input %s is a directory, not a JSONL file", inPath)
		}
		f, err := os.Open(inPath)
		if err != nil {
			return VerifyStats{}, fmt.Errorf("input: %w", err)
		}
		defer f.Close()
		in, name = f, inPath
	}
	if outPath == "" {
		st, err := VerifyJSONL(in, os.Stdout, c, parts)
		if err != nil {
			return st, fmt.Errorf("%s: %w", name, err)
		}
		return st, nil
	}
	if st, err := os.Stat(outPath); err == nil && st.IsDir() {
		return VerifyStats{}, fmt.Errorf("output %s is a directory", outPath)
	}
	tmp, err := os.CreateTemp(filepath.Dir(outPath), "."+filepath.Base(outPath)+".*.tmp")
	if err != nil {
		return VerifyStats{}, fmt.Errorf("output: %w", err)
	}
	defer os.Remove(tmp.Name()) // fails harmlessly after the rename
	st, err := VerifyJSONL(in, tmp, c, parts)
	if err != nil {
		tmp.Close()
		return st, fmt.Errorf("%s: %w", name, err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return st, fmt.Errorf("output %s: %w", outPath, err)
	}
	if err := tmp.Close(); err != nil {
		return st, fmt.Errorf("output %s: %w", outPath, err)
	}
	if err := os.Rename(tmp.Name(), outPath); err != nil {
		return st, fmt.Errorf("output: %w", err)
	}
	return st, nil
}
