package model

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
)

// Encoder turns text into token ids (tokenizer.Tokenizer is one).
type Encoder interface {
	Encode(text string) []int32
}

// scoreLine is one line of a log-prob request file. Each side of the sequence is given either as
// token ids or as text.
type scoreLine struct {
	PromptIDs     json.RawMessage `json:"prompt_ids"`
	CompletionIDs json.RawMessage `json:"completion_ids"`
	Prompt        json.RawMessage `json:"prompt"`
	Completion    json.RawMessage `json:"completion"`
}

// ReadSequences reads a JSONL file of sequences to score, one JSON object per line:
//
//	{"prompt_ids": [1, 2, 3], "completion_ids": [4, 5]}
//	{"prompt": "text", "completion": "text"}   (needs enc)
//
// Each side may be given as ids or as text (text is encoded separately per side, as TRL does);
// other keys are ignored. Every line must hold a sequence: a malformed line, a missing or
// doubly-given side, an empty prompt, an id outside c's vocabulary or a sequence longer than
// c's max_position_embeddings is an error naming the file (name) and the line.
func ReadSequences(r io.Reader, name string, c *Config, enc Encoder) ([]Sequence, error) {
	br := bufio.NewReaderSize(r, 1<<20)
	var seqs []Sequence
	for line := 1; ; line++ {
		b, err := br.ReadBytes('\n')
		if len(b) == 0 && errors.Is(err, io.EOF) {
			return seqs, nil
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%s: line %d: %w", name, line, err)
		}
		s, perr := parseScoreLine(bytes.TrimSpace(b), c, enc)
		if perr != nil {
			return nil, fmt.Errorf("%s: line %d: %w", name, line, perr)
		}
		seqs = append(seqs, s)
		if err != nil { // EOF after a last line without a newline
			return seqs, nil
		}
	}
}

func parseScoreLine(b []byte, c *Config, enc Encoder) (Sequence, error) {
	if len(b) == 0 {
		return Sequence{}, errors.New("empty line (each line must be a JSON object with prompt_ids/completion_ids or prompt/completion)")
	}
	var l scoreLine
	if err := json.Unmarshal(b, &l); err != nil {
		return Sequence{}, fmt.Errorf("invalid JSON object: %w", err)
	}
	prompt, err := side(l.PromptIDs, l.Prompt, "prompt", enc)
	if err != nil {
		return Sequence{}, err
	}
	completion, err := side(l.CompletionIDs, l.Completion, "completion", enc)
	if err != nil {
		return Sequence{}, err
	}
	s := Sequence{Prompt: prompt, Completion: completion}
	if len(s.Prompt) == 0 {
		return s, errors.New("empty prompt (the first completion token needs a token before it)")
	}
	if c != nil {
		if n := len(s.Prompt) + len(s.Completion); n > c.MaxPositionEmbeddings {
			return s, fmt.Errorf("%d tokens exceed the model's max_position_embeddings %d", n, c.MaxPositionEmbeddings)
		}
		for _, f := range []struct {
			name string
			ids  []int32
		}{{"prompt", s.Prompt}, {"completion", s.Completion}} {
			for i, id := range f.ids {
				if id < 0 || int(id) >= c.VocabSize {
					return s, fmt.Errorf("%s token %d is id %d, outside the vocabulary [0, %d)", f.name, i, id, c.VocabSize)
				}
			}
		}
	}
	return s, nil
}

// side reads one side of a sequence: ids from "<name>_ids" or text from "<name>".
func side(ids, text json.RawMessage, name string, enc Encoder) ([]int32, error) {
	hasIDs, hasText := present(ids), present(text)
	switch {
	case hasIDs && hasText:
		return nil, fmt.Errorf("both %q and %q given: give one", name+"_ids", name)
	case hasIDs:
		var v []int64
		if err := json.Unmarshal(ids, &v); err != nil {
			return nil, fmt.Errorf("field %q: want a list of integer token ids: %w", name+"_ids", err)
		}
		out := make([]int32, len(v))
		for i, x := range v {
			if x < math.MinInt32 || x > math.MaxInt32 {
				return nil, fmt.Errorf("field %q: token id %d out of range", name+"_ids", x)
			}
			out[i] = int32(x)
		}
		return out, nil
	case hasText:
		var s string
		if err := json.Unmarshal(text, &s); err != nil {
			return nil, fmt.Errorf("field %q: want a string: %w", name, err)
		}
		if enc == nil {
			return nil, fmt.Errorf("field %q is text but there is no tokenizer (put tokenizer.json in the model directory, or give %q)", name, name+"_ids")
		}
		return enc.Encode(s), nil
	}
	return nil, fmt.Errorf("missing %q (token ids) or %q (text)", name+"_ids", name)
}

func present(m json.RawMessage) bool { return len(m) > 0 && string(m) != "null" }

// AppendLogProbsJSONL appends one JSON line per sequence, in order:
// {"logprobs":[...],"sum":x}, each log-prob as the shortest decimal that reads back as the same
// float32 and the sum accumulated in float64. A NaN or infinite log-prob is an error naming the
// sequence (JSON cannot hold it, and it means the model broke).
func AppendLogProbsJSONL(dst []byte, lps [][]float32) ([]byte, error) {
	for i, lp := range lps {
		dst = append(dst, `{"logprobs":[`...)
		var sum float64
		for j, x := range lp {
			if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
				return nil, fmt.Errorf("sequence %d token %d: log-prob is %v", i+1, j, x)
			}
			if j > 0 {
				dst = append(dst, ',')
			}
			dst = strconv.AppendFloat(dst, float64(x), 'g', -1, 32)
			sum += float64(x)
		}
		dst = append(dst, `],"sum":`...)
		dst = strconv.AppendFloat(dst, sum, 'g', -1, 64)
		dst = append(dst, "}\n"...)
	}
	return dst, nil
}
