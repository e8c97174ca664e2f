package tokenizer

import (
	"encoding/json"
	"errors"
	"strconv"
	"unicode/utf8"
)

// Fast paths for the two large parts of a tokenizer.json, the vocabulary object and
// the merge list (hundreds of thousands of short strings), which encoding/json decodes
// several times slower through reflection. The input is already known to be valid JSON
// (it comes out of json.Unmarshal as a RawMessage); anything unexpected makes the
// caller fall back to encoding/json, so these only ever speed up, never change, a load.

var errNotFast = errors.New("not in the fast-path shape")

type jscan struct {
	b []byte
	i int
}

func (s *jscan) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

func (s *jscan) byte(c byte) bool {
	s.ws()
	if s.i < len(s.b) && s.b[s.i] == c {
		s.i++
		return true
	}
	return false
}

// str reads a JSON string; strings with escapes or invalid UTF-8 are decoded by
// encoding/json.
func (s *jscan) str() (string, error) {
	s.ws()
	if s.i >= len(s.b) || s.b[s.i] != '"' {
		return "", errNotFast
	}
	start := s.i + 1
	esc, hi := false, false
	for j := start; j < len(s.b); j++ {
		switch c := s.b[j]; {
		case c == '\\':
			esc = true
			j++
		case c >= utf8.RuneSelf:
			hi = true
		case c == '"':
			s.i = j + 1
			if !esc && (!hi || utf8.Valid(s.b[start:j])) {
				return string(s.b[start:j]), nil
			}
			// Escapes, or invalid UTF-8 (which encoding/json turns into U+FFFD).
			var out string
			if err := json.Unmarshal(s.b[start-1:j+1], &out); err != nil {
				return "", err
			}
			return out, nil
		}
	}
	return "", errNotFast
}

func (s *jscan) int32() (int32, error) {
	s.ws()
	j := s.i
	for j < len(s.b) && (s.b[j] == '-' || (s.b[j] >= '0' && s.b[j] <= '9')) {
		j++
	}
	v, err := strconv.ParseInt(string(s.b[s.i:j]), 10, 32)
	if err != nil {
		return 0, errNotFast
	}
	s.i = j
	return int32(v), nil
}

// fastVocab parses {"token": id, ...}.
func fastVocab(raw []byte) (map[string]int32, error) {
	s := &jscan{b: raw}
	if !s.byte('{') {
		return nil, errNotFast
	}
	m := make(map[string]int32, len(raw)/16)
	if s.byte('}') {
		return m, nil
	}
	for {
		k, err := s.str()
		if err != nil {
			return nil, errNotFast
		}
		if !s.byte(':') {
			return nil, errNotFast
		}
		v, err := s.int32()
		if err != nil {
			return nil, errNotFast
		}
		m[k] = v
		if s.byte(',') {
			continue
		}
		if s.byte('}') {
			return m, nil
		}
		return nil, errNotFast
	}
}

// fastMerges parses ["a b", ...] or [["a", "b"], ...] into pairs; a string merge is
// returned with b == "" when it has no single space, for the caller to report.
func fastMerges(raw []byte) ([][2]string, error) {
	s := &jscan{b: raw}
	if !s.byte('[') {
		return nil, errNotFast
	}
	out := make([][2]string, 0, len(raw)/12)
	if s.byte(']') {
		return out, nil
	}
	for {
		if s.byte('[') {
			a, err := s.str()
			if err != nil || !s.byte(',') {
				return nil, errNotFast
			}
			b, err := s.str()
			if err != nil || !s.byte(']') {
				return nil, errNotFast
			}
			out = append(out, [2]string{a, b})
		} else {
			str, err := s.str()
			if err != nil {
				return nil, errNotFast
			}
			a, b, ok := cutMerge(str)
			if !ok {
				return nil, errNotFast // the slow path names the bad item
			}
			out = append(out, [2]string{a, b})
		}
		if s.byte(',') {
			continue
		}
		if s.byte(']') {
			return out, nil
		}
		return nil, errNotFast
	}
}

// cutMerge splits "a b" into its two tokens.
func cutMerge(s string) (string, string, bool) {
	for i := 0; i < len(s); i++ {
		if s[i] == ' ' {
			a, b := s[:i], s[i+1:]
			for j := 0; j < len(b); j++ {
				if b[j] == ' ' {
					return "", "", false
				}
			}
			return a, b, a != "" && b != ""
		}
	}
	return "", "", false
}
