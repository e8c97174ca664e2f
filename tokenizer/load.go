package tokenizer

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// fileJSON is the part of a Hugging Face tokenizer.json that r1go reads.
type fileJSON struct {
	Version       string          `json:"version"`
	AddedTokens   []addedToken    `json:"added_tokens"`
	Normalizer    json.RawMessage `json:"normalizer"`
	PreTokenizer  json.RawMessage `json:"pre_tokenizer"`
	PostProcessor json.RawMessage `json:"post_processor"`
	Decoder       json.RawMessage `json:"decoder"`
	Model         *modelJSON      `json:"model"`
}

type modelJSON struct {
	Type                    string          `json:"type"`
	Dropout                 *float64        `json:"dropout"`
	UnkToken                *string         `json:"unk_token"`
	ContinuingSubwordPrefix *string         `json:"continuing_subword_prefix"`
	EndOfWordSuffix         *string         `json:"end_of_word_suffix"`
	FuseUnk                 bool            `json:"fuse_unk"`
	ByteFallback            bool            `json:"byte_fallback"`
	IgnoreMerges            bool            `json:"ignore_merges"`
	Vocab                   json.RawMessage `json:"vocab"`
	Merges                  json.RawMessage `json:"merges"`
}

// Load reads a Hugging Face tokenizer: path is a tokenizer.json file or a directory
// holding one. A tokenizer_config.json (BOS/EOS/pad, add_bos_token) and a
// generation_config.json (eos_token_id) beside it are read when present.
func Load(path string) (*Tokenizer, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("tokenizer: %w", err)
	}
	file, dir := path, filepath.Dir(path)
	if st.IsDir() {
		dir = path
		file = filepath.Join(path, "tokenizer.json")
		if _, err := os.Stat(file); err != nil {
			return nil, fmt.Errorf("tokenizer: directory %s has no tokenizer.json (byte-level BPE tokenizers in the Hugging Face format are supported)", path)
		}
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("tokenizer: %w", err)
	}
	t, err := parse(data)
	if err != nil {
		return nil, fmt.Errorf("tokenizer %s: %w", file, err)
	}
	cfgPath := filepath.Join(dir, "tokenizer_config.json")
	if cfg, err := os.ReadFile(cfgPath); err == nil {
		if err := t.applyConfig(cfg); err != nil {
			return nil, fmt.Errorf("tokenizer %s: %w", cfgPath, err)
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("tokenizer: %w", err)
	}
	genPath := filepath.Join(dir, "generation_config.json")
	if gen, err := os.ReadFile(genPath); err == nil {
		if err := t.applyGenerationConfig(gen); err != nil {
			return nil, fmt.Errorf("tokenizer %s: %w", genPath, err)
		}
	}
	t.finishSpecials()
	return t, nil
}

// Parse builds a tokenizer from the bytes of a tokenizer.json (no tokenizer_config.json:
// BOS, EOS and pad then come from the special tokens' names alone).
func Parse(data []byte) (*Tokenizer, error) {
	t, err := parse(data)
	if err != nil {
		return nil, err
	}
	t.finishSpecials()
	return t, nil
}

func parse(data []byte) (*Tokenizer, error) {
	var f fileJSON
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, jsonError(data, err)
	}
	if f.Model == nil {
		return nil, fmt.Errorf(`no "model" object (is this a tokenizer.json?)`)
	}
	t := &Tokenizer{raw: data, postProcessor: f.PostProcessor}
	if err := t.buildModel(f.Model); err != nil {
		return nil, fmt.Errorf("model: %w", err)
	}
	var err error
	if t.normalizer, err = parseNormalizer(f.Normalizer); err != nil {
		return nil, err
	}
	if err := t.buildPreTokenizer(f.PreTokenizer); err != nil {
		return nil, fmt.Errorf("pre_tokenizer: %w", err)
	}
	if err := t.buildDecoder(f.Decoder); err != nil {
		return nil, fmt.Errorf("decoder: %w", err)
	}
	if err := t.buildAdded(f.AddedTokens); err != nil {
		return nil, fmt.Errorf("added_tokens: %w", err)
	}
	return t, nil
}

// jsonError names the line and column of a JSON syntax or type error.
func jsonError(data []byte, err error) error {
	var off int64 = -1
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		off = se.Offset
	case errors.As(err, &te):
		off = te.Offset
	}
	if off < 0 || off > int64(len(data)) {
		return fmt.Errorf("invalid JSON: %w", err)
	}
	line := 1 + bytes.Count(data[:off], []byte("\n"))
	col := int(off) - bytes.LastIndexByte(data[:off], '\n')
	return fmt.Errorf("invalid JSON at line %d, column %d: %w", line, col, err)
}

func (t *Tokenizer) buildModel(m *modelJSON) error {
	typ := m.Type
	if typ == "" && m.Merges != nil {
		typ = "BPE"
	}
	if typ != "BPE" {
		if typ == "" {
			return fmt.Errorf(`missing "type"`)
		}
		return fmt.Errorf("model type %q is not supported (only byte-level BPE is)", typ)
	}
	if m.Dropout != nil && *m.Dropout > 0 {
		return fmt.Errorf("dropout %g is not supported (it makes encoding random)", *m.Dropout)
	}
	if m.ContinuingSubwordPrefix != nil && *m.ContinuingSubwordPrefix != "" {
		return fmt.Errorf("continuing_subword_prefix %q is not supported by byte-level BPE", *m.ContinuingSubwordPrefix)
	}
	if m.EndOfWordSuffix != nil && *m.EndOfWordSuffix != "" {
		return fmt.Errorf("end_of_word_suffix %q is not supported by byte-level BPE", *m.EndOfWordSuffix)
	}
	var vocab map[string]int32
	if len(m.Vocab) > 0 {
		var err error
		if vocab, err = fastVocab(m.Vocab); err != nil {
			err = json.Unmarshal(m.Vocab, &vocab)
		}
		if err != nil {
			return fmt.Errorf(`"vocab" must map token strings to ids: %w`, err)
		}
	}
	if len(vocab) == 0 {
		return fmt.Errorf(`"vocab" is missing or empty`)
	}
	t.vocab = vocab
	t.ignoreMerges = m.IgnoreMerges
	maxID := int32(-1)
	for tok, id := range vocab {
		if id < 0 {
			return fmt.Errorf("vocab: token %q has negative id %d", tok, id)
		}
		maxID = max(maxID, id)
	}
	t.idToToken = make([]string, maxID+1)
	t.hasID = make([]bool, maxID+1)
	for tok, id := range vocab {
		t.idToToken[id] = tok
		t.hasID[id] = true
	}
	t.unk = -1
	if m.UnkToken != nil {
		id, ok := vocab[*m.UnkToken]
		if !ok {
			return fmt.Errorf("unk_token %q is not in the vocab", *m.UnkToken)
		}
		t.unk = id
	}
	for b := 0; b < 256; b++ {
		id, ok := vocab[string(byteChar[b])]
		if !ok {
			id = -1
		}
		t.byteIDs[b] = id
	}
	merges, err := parseMerges(m.Merges)
	if err != nil {
		return err
	}
	t.merges = newMergeTable(len(merges))
	for k, mg := range merges {
		a, ok := vocab[mg[0]]
		if !ok {
			return fmt.Errorf("merges[%d] (%q %q): token %q is not in the vocab", k, mg[0], mg[1], mg[0])
		}
		b, ok := vocab[mg[1]]
		if !ok {
			return fmt.Errorf("merges[%d] (%q %q): token %q is not in the vocab", k, mg[0], mg[1], mg[1])
		}
		id, ok := vocab[mg[0]+mg[1]]
		if !ok {
			return fmt.Errorf("merges[%d] (%q %q): merged token %q is not in the vocab", k, mg[0], mg[1], mg[0]+mg[1])
		}
		t.merges.put(a, b, int32(k), id)
	}
	t.nMerges = len(merges)
	if t.ignoreMerges {
		t.rawVocab = make(map[string]int32, len(m.Vocab))
		for tok, id := range vocab {
			if raw, ok := byteLevelDecode(tok); ok {
				t.rawVocab[string(raw)] = id
			}
		}
	}
	return nil
}

// parseMerges accepts both merge formats: ["a b", ...] (tokenizers < 0.20) and
// [["a", "b"], ...].
func parseMerges(raw json.RawMessage) ([][2]string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	if out, err := fastMerges(raw); err == nil {
		return out, nil
	}
	// Whole-list decodes (one Unmarshal call, not one per item).
	var pairs [][]string
	if err := json.Unmarshal(raw, &pairs); err == nil {
		out := make([][2]string, len(pairs))
		for k, p := range pairs {
			if len(p) != 2 {
				return nil, fmt.Errorf("merges[%d] = %q: want a pair [\"a\", \"b\"]", k, p)
			}
			out[k] = [2]string{p[0], p[1]}
		}
		return out, nil
	}
	var strs []string
	if err := json.Unmarshal(raw, &strs); err == nil {
		out := make([][2]string, len(strs))
		for k, s := range strs {
			a, b, ok := strings.Cut(s, " ")
			if !ok || a == "" || b == "" || strings.Contains(b, " ") {
				return nil, fmt.Errorf("merges[%d] = %q: want two tokens separated by one space", k, s)
			}
			out[k] = [2]string{a, b}
		}
		return out, nil
	}
	// Mixed or malformed: find the first bad item.
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		return nil, fmt.Errorf("merges: not a list: %w", err)
	}
	out := make([][2]string, len(items))
	for k, it := range items {
		if len(it) > 0 && it[0] == '"' {
			var s string
			if err := json.Unmarshal(it, &s); err != nil {
				return nil, fmt.Errorf("merges[%d]: %w", k, err)
			}
			a, b, ok := strings.Cut(s, " ")
			if !ok || a == "" || b == "" || strings.Contains(b, " ") {
				return nil, fmt.Errorf("merges[%d] = %q: want two tokens separated by one space", k, s)
			}
			out[k] = [2]string{a, b}
			continue
		}
		var pair []string
		if err := json.Unmarshal(it, &pair); err != nil || len(pair) != 2 {
			return nil, fmt.Errorf("merges[%d] = %s: want a string \"a b\" or a pair [\"a\", \"b\"]", k, string(it))
		}
		out[k] = [2]string{pair[0], pair[1]}
	}
	return out, nil
}

func (t *Tokenizer) buildPreTokenizer(raw json.RawMessage) error {
	steps, err := t.parsePreTokenizer(raw)
	if err != nil {
		return err
	}
	if !t.byteLevel {
		return fmt.Errorf("no ByteLevel pre-tokenizer: only byte-level BPE tokenizers are supported")
	}
	t.preSteps = steps
	return nil
}

// preStep describes one pre-tokenizer step; make builds a fresh splitter for one encoder.
type preStep struct {
	name         string
	make         func() splitter // nil for a ByteLevel step without regex
	prefixSpace  bool            // ByteLevel add_prefix_space
	isByteLevel  bool
	regexPattern string
}

func (t *Tokenizer) parsePreTokenizer(raw json.RawMessage) ([]preStep, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var h struct {
		Type           string            `json:"type"`
		PreTokenizers  []json.RawMessage `json:"pretokenizers"`
		AddPrefixSpace bool              `json:"add_prefix_space"`
		UseRegex       *bool             `json:"use_regex"`
		Behavior       string            `json:"behavior"`
		Invert         bool              `json:"invert"`
		IndividualDigs bool              `json:"individual_digits"`
		Pattern        struct {
			String *string `json:"String"`
			Regex  *string `json:"Regex"`
		} `json:"pattern"`
	}
	if err := json.Unmarshal(raw, &h); err != nil {
		return nil, err
	}
	switch h.Type {
	case "Sequence":
		var out []preStep
		for k, r := range h.PreTokenizers {
			s, err := t.parsePreTokenizer(r)
			if err != nil {
				return nil, fmt.Errorf("pretokenizers[%d]: %w", k, err)
			}
			out = append(out, s...)
		}
		return out, nil
	case "ByteLevel":
		t.byteLevel = true
		st := preStep{name: "ByteLevel", isByteLevel: true, prefixSpace: h.AddPrefixSpace}
		useRegex := h.UseRegex == nil || *h.UseRegex
		if useRegex {
			f, err := t.makeFinder(patGPT2)
			if err != nil {
				return nil, err
			}
			st.make = func() splitter { return &splitStep{f: f(), behavior: bIsolated} }
			st.regexPattern = patGPT2
		}
		return []preStep{st}, nil
	case "Split":
		b, err := parseBehavior(h.Behavior)
		if err != nil {
			return nil, err
		}
		st := preStep{name: "Split"}
		switch {
		case h.Pattern.Regex != nil:
			f, err := t.makeFinder(*h.Pattern.Regex)
			if err != nil {
				return nil, err
			}
			st.regexPattern = *h.Pattern.Regex
			st.make = func() splitter { return &splitStep{f: f(), behavior: b, invert: h.Invert} }
		case h.Pattern.String != nil:
			lit := *h.Pattern.String
			st.make = func() splitter { return &splitStep{f: literalFinder{lit}, behavior: b, invert: h.Invert} }
		default:
			return nil, fmt.Errorf("Split: pattern needs String or Regex")
		}
		return []preStep{st}, nil
	case "Digits":
		// Rust's Digits splits on char::is_numeric (Nd, Nl, No), each numeric rune
		// alone with individual_digits, else runs of them.
		mx := 0
		if h.IndividualDigs {
			mx = 1
		}
		st := preStep{name: "Digits", make: func() splitter {
			return &splitStep{f: &classRunFinder{c: newClassifier(), class: cN, max: mx}, behavior: bIsolated}
		}}
		return []preStep{st}, nil
	case "":
		return nil, fmt.Errorf(`missing "type"`)
	}
	return nil, fmt.Errorf("pre-tokenizer type %q is not supported (Sequence, Split, ByteLevel, Digits are)", h.Type)
}

// makeFinder returns a constructor of finders for pattern: the hand-written matcher for
// the known patterns (unless the tokenizer was told to use regexp2), else regexp2.
func (t *Tokenizer) makeFinder(pattern string) (func() finder, error) {
	if !ForceRegexp2 {
		if f := handFinder(pattern); f != nil {
			return func() finder { return handFinder(pattern) }, nil
		}
	}
	rf, err := newRegexFinder(pattern)
	if err != nil {
		return nil, err
	}
	return func() finder { return rf.clone() }, nil
}

// ForceRegexp2 makes Load use regexp2 for every pre-tokenizer pattern, even those with a
// hand-written matcher. Tests and benchmarks set it to compare the two; it is read when
// a tokenizer is loaded.
var ForceRegexp2 = false

func (t *Tokenizer) buildDecoder(raw json.RawMessage) error {
	if len(raw) == 0 || string(raw) == "null" {
		t.joinDecode = true
		return nil
	}
	var h struct {
		Type     string            `json:"type"`
		Decoders []json.RawMessage `json:"decoders"`
	}
	if err := json.Unmarshal(raw, &h); err != nil {
		return err
	}
	switch h.Type {
	case "ByteLevel":
		return nil
	case "Sequence":
		if len(h.Decoders) == 1 {
			return t.buildDecoder(h.Decoders[0])
		}
	}
	return fmt.Errorf("decoder type %q is not supported (ByteLevel is)", h.Type)
}

func (t *Tokenizer) buildAdded(list []addedToken) error {
	t.added = list
	t.addedByID = make(map[int32]int32, len(list))
	t.rawTrie, t.normTrie = newTrie(), newTrie()
	maxID := int32(len(t.idToToken) - 1)
	for k, a := range list {
		if a.Content == "" {
			return fmt.Errorf("added_tokens[%d] (id %d): empty content", k, a.ID)
		}
		if a.ID < 0 {
			return fmt.Errorf("added_tokens[%d] (%q): negative id %d", k, a.Content, a.ID)
		}
		maxID = max(maxID, a.ID)
	}
	if int(maxID)+1 > len(t.idToToken) {
		grow := int(maxID) + 1 - len(t.idToToken)
		t.idToToken = append(t.idToToken, make([]string, grow)...)
		t.hasID = append(t.hasID, make([]bool, grow)...)
	}
	t.special = make([]bool, len(t.idToToken))
	t.addedIDs = map[string]int32{}
	// Rust matches special tokens first, then the others, each in file order; the trie
	// keeps the first token inserted for a given content.
	for pass := 0; pass < 2; pass++ {
		for k := range list {
			a := &list[k]
			if a.Special != (pass == 0) {
				continue
			}
			t.idToToken[a.ID] = a.Content
			t.hasID[a.ID] = true
			t.addedByID[a.ID] = int32(k)
			t.addedIDs[a.Content] = a.ID
			if a.Special {
				t.special[a.ID] = true
			}
			if a.Normalized {
				c := a.Content
				if t.normalizer != nil {
					c = t.normalizer.normalize(c)
				}
				t.normTrie.insert(c, int32(k))
			} else {
				t.rawTrie.insert(a.Content, int32(k))
			}
		}
	}
	// Decoding bytes of every id, as the Rust ByteLevel decoder produces them.
	t.idBytes = make([][]byte, len(t.idToToken))
	for id, tok := range t.idToToken {
		if !t.hasID[id] {
			continue
		}
		if t.joinDecode {
			t.idBytes[id] = []byte(tok)
			continue
		}
		if b, ok := byteLevelDecode(tok); ok {
			t.idBytes[id] = b
		} else {
			t.idBytes[id] = []byte(tok)
		}
	}
	return nil
}

// asType is errors.As for the JSON error types.
func asType[T error](err error, target *T) bool { return errors.As(err, target) }
