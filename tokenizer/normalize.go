package tokenizer

import (
	"encoding/json"
	"fmt"
	"strings"
	"unicode"

	"github.com/dlclark/regexp2/v2"
	"golang.org/x/text/unicode/norm"
)

// normalizer rewrites text before pre-tokenization (tokenizer.json "normalizer").
type normalizer interface {
	normalize(s string) string
}

type unicodeNorm struct{ form norm.Form }

func (n unicodeNorm) normalize(s string) string {
	if n.form.IsNormalString(s) {
		return s
	}
	return n.form.String(s)
}

type lowercase struct{}

func (lowercase) normalize(s string) string { return rustLower(s) }

// rustLower lowercases like the Rust library's Lowercase normalizer, which maps each
// char with char::to_lowercase: the simple lowercase mapping (what strings.ToLower
// does) except U+0130 (İ), whose lowercase is two runes, "i̇" (i + U+0307). Being per
// char, it has no final-sigma rule: Σ always becomes σ.
func rustLower(s string) string {
	if !strings.ContainsRune(s, 'İ') {
		return strings.ToLower(s)
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for _, r := range s {
		if r == 'İ' {
			b.WriteString("i\u0307")
		} else {
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return b.String()
}

type strip struct{ left, right bool }

func (st strip) normalize(s string) string {
	if st.left {
		s = strings.TrimLeftFunc(s, unicode.IsSpace)
	}
	if st.right {
		s = strings.TrimRightFunc(s, unicode.IsSpace)
	}
	return s
}

type prepend struct{ prefix string }

func (p prepend) normalize(s string) string {
	if s == "" {
		return s
	}
	return p.prefix + s
}

type replace struct {
	lit     string
	re      *regexFinder
	content string
}

func (r replace) normalize(s string) string {
	if r.re == nil {
		return strings.ReplaceAll(s, r.lit, r.content)
	}
	// The content is literal (no $1 substitutions), as in the Rust library.
	out, err := r.re.re.ReplaceFunc(s, func(regexp2.Match) string { return r.content }, -1, -1)
	if err != nil {
		return s
	}
	return out
}

type normSequence []normalizer

func (q normSequence) normalize(s string) string {
	for _, n := range q {
		s = n.normalize(s)
	}
	return s
}

// parseNormalizer builds a normalizer from its tokenizer.json form; nil JSON means none.
func parseNormalizer(raw json.RawMessage) (normalizer, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var h struct {
		Type        string            `json:"type"`
		Normalizers []json.RawMessage `json:"normalizers"`
		Left        bool              `json:"strip_left"`
		Right       bool              `json:"strip_right"`
		Prepend     string            `json:"prepend"`
		Pattern     struct {
			String *string `json:"String"`
			Regex  *string `json:"Regex"`
		} `json:"pattern"`
		Content string `json:"content"`
	}
	if err := json.Unmarshal(raw, &h); err != nil {
		return nil, fmt.Errorf("normalizer: %w", err)
	}
	switch h.Type {
	case "NFC":
		return unicodeNorm{norm.NFC}, nil
	case "NFD":
		return unicodeNorm{norm.NFD}, nil
	case "NFKC":
		return unicodeNorm{norm.NFKC}, nil
	case "NFKD":
		return unicodeNorm{norm.NFKD}, nil
	case "Lowercase":
		return lowercase{}, nil
	case "Strip":
		return strip{h.Left, h.Right}, nil
	case "Prepend":
		return prepend{h.Prepend}, nil
	case "Replace":
		switch {
		case h.Pattern.String != nil:
			return replace{lit: *h.Pattern.String, content: h.Content}, nil
		case h.Pattern.Regex != nil:
			re, err := newRegexFinder(*h.Pattern.Regex)
			if err != nil {
				return nil, fmt.Errorf("normalizer Replace: %w", err)
			}
			return replace{re: re, content: h.Content}, nil
		}
		return nil, fmt.Errorf("normalizer Replace: pattern needs String or Regex")
	case "Sequence":
		var seq normSequence
		for k, r := range h.Normalizers {
			n, err := parseNormalizer(r)
			if err != nil {
				return nil, fmt.Errorf("normalizers[%d]: %w", k, err)
			}
			if n != nil {
				seq = append(seq, n)
			}
		}
		if len(seq) == 0 {
			return nil, nil
		}
		return seq, nil
	case "":
		return nil, fmt.Errorf("normalizer: missing \"type\"")
	}
	return nil, fmt.Errorf("normalizer type %q is not supported (NFC, NFD, NFKC, NFKD, Lowercase, Strip, Prepend, Replace, Sequence are)", h.Type)
}
