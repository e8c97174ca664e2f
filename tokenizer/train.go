package tokenizer

import (
	"bytes"
	"container/heap"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"unicode/utf8"
)

// DefaultAddedTokens are the added tokens every tokenizer made by Train has, in this
// order from id 0: the end-of-text and ChatML turn markers (special: Decode drops them
// with skipSpecial) and the reasoning tags the R1 templates and rewards use (not
// special, like Qwen3's <think>: they survive decoding).
var DefaultAddedTokens = []struct {
	Content string
	Special bool
}{
	{"<|endoftext|>", true},
	{"<|im_start|>", true},
	{"<|im_end|>", true},
	{"<think>", false},
	{"</think>", false},
	{"<answer>", false},
	{"</answer>", false},
}

// Train learns a byte-level BPE tokenizer from the text of corpus, for tiny models
// trained from scratch. The vocabulary holds DefaultAddedTokens, then specialTokens
// (marked special), then the 256 byte symbols, then one token per merge, up to
// vocabSize ids in all (fewer when the corpus has no pair occurring twice). Text is
// NFC-normalised and pre-tokenized with the Qwen2 regex (one digit per piece, which
// suits arithmetic), so the result behaves like a small Qwen tokenizer. Added tokens
// written in the corpus are not learned as merges. Ties between equally frequent pairs
// go to the pair of smaller ids, so training is deterministic.
func Train(corpus io.Reader, vocabSize int, specialTokens []string) (*Tokenizer, error) {
	var added []addedToken
	seen := map[string]bool{}
	for _, d := range DefaultAddedTokens {
		added = append(added, addedToken{ID: int32(len(added)), Content: d.Content, Special: d.Special})
		seen[d.Content] = true
	}
	for _, s := range specialTokens {
		if s == "" {
			return nil, fmt.Errorf("tokenizer: train: empty special token")
		}
		if !utf8.ValidString(s) {
			return nil, fmt.Errorf("tokenizer: train: special token %q is not valid UTF-8", s)
		}
		if seen[s] {
			continue
		}
		seen[s] = true
		added = append(added, addedToken{ID: int32(len(added)), Content: s, Special: true})
	}
	base := len(added) + 256
	if vocabSize < base {
		return nil, fmt.Errorf("tokenizer: train: vocab size %d is below the %d added tokens + 256 byte symbols", vocabSize, len(added))
	}
	data, err := io.ReadAll(corpus)
	if err != nil {
		return nil, fmt.Errorf("tokenizer: train: reading corpus: %w", err)
	}
	text := validUTF8(string(data))

	// Count the pre-tokenized words (raw bytes) of the corpus, outside added tokens.
	tr := newTrie()
	for k, a := range added {
		tr.insert(a.Content, int32(k))
	}
	nfc := unicodeNormNFC()
	f := handFinder(patQwen2)
	counts := map[string]int64{}
	for _, sp := range findAdded(text, tr, added, nil) {
		if sp.token >= 0 {
			continue
		}
		piece := nfc.normalize(text[sp.start:sp.end])
		for i := 0; i < len(piece); {
			a, b, ok := f.find(piece, i)
			if !ok {
				break
			}
			counts[piece[a:b]]++
			i = b
		}
	}

	// Symbols: ids are base-relative while training; tokens hold their raw bytes.
	tokens := make([]string, 256, vocabSize)
	for b := 0; b < 256; b++ {
		tokens[b] = string([]byte{byte(b)})
	}
	tokenID := map[string]int32{}
	for b := 0; b < 256; b++ {
		tokenID[tokens[b]] = int32(b)
	}
	keys := make([]string, 0, len(counts))
	for w := range counts {
		keys = append(keys, w)
	}
	slices.Sort(keys) // deterministic word order
	words := make([][]int32, len(keys))
	freq := make([]int64, len(keys))
	pairs := map[uint64]int64{}
	where := map[uint64][]int32{}
	for wi, w := range keys {
		ws := make([]int32, len(w))
		for i := 0; i < len(w); i++ {
			ws[i] = int32(w[i])
		}
		words[wi], freq[wi] = ws, counts[w]
		for i := 0; i+1 < len(ws); i++ {
			k := pairKey(ws[i], ws[i+1])
			pairs[k] += freq[wi]
			where[k] = append(where[k], int32(wi))
		}
	}
	h := &pairHeap{}
	for k, c := range pairs {
		*h = append(*h, pairCount{k, c})
	}
	heap.Init(h)

	var merges [][2]int32
	stamp := make([]int, len(words))
	iter := 0
	for len(tokens)+len(added) < vocabSize && h.Len() > 0 {
		top := heap.Pop(h).(pairCount)
		cur := pairs[top.pair]
		if cur != top.count {
			if cur > 0 {
				heap.Push(h, pairCount{top.pair, cur})
			}
			continue
		}
		if cur < 2 {
			break
		}
		a, b := int32(top.pair>>32), int32(uint32(top.pair))
		merged := tokens[a] + tokens[b]
		newID, ok := tokenID[merged]
		if !ok {
			newID = int32(len(tokens))
			tokens = append(tokens, merged)
			tokenID[merged] = newID
		}
		merges = append(merges, [2]int32{a, b})
		iter++
		touched := map[uint64]bool{}
		for _, wi := range where[top.pair] {
			if stamp[wi] == iter {
				continue
			}
			stamp[wi] = iter
			w := words[wi]
			fq := freq[wi]
			if !containsPair(w, a, b) {
				continue
			}
			for i := 0; i+1 < len(w); i++ {
				k := pairKey(w[i], w[i+1])
				pairs[k] -= fq
				touched[k] = true
			}
			out := w[:0]
			for i := 0; i < len(w); i++ {
				if i+1 < len(w) && w[i] == a && w[i+1] == b {
					out = append(out, newID)
					i++
				} else {
					out = append(out, w[i])
				}
			}
			words[wi] = out
			for i := 0; i+1 < len(out); i++ {
				k := pairKey(out[i], out[i+1])
				pairs[k] += fq
				touched[k] = true
				if out[i] == newID || out[i+1] == newID {
					where[k] = append(where[k], wi)
				}
			}
		}
		delete(where, top.pair)
		for k := range touched {
			if c := pairs[k]; c > 0 {
				heap.Push(h, pairCount{k, c})
			} else {
				delete(pairs, k)
			}
		}
	}

	cfg := trainedConfig(added)
	js := trainedJSON(added, tokens, merges)
	t, err := parse(js)
	if err != nil {
		return nil, fmt.Errorf("tokenizer: train: the trained tokenizer does not load: %w", err)
	}
	if err := t.applyConfig(cfg); err != nil {
		return nil, fmt.Errorf("tokenizer: train: %w", err)
	}
	t.finishSpecials()
	return t, nil
}

func unicodeNormNFC() normalizer {
	n, _ := parseNormalizer([]byte(`{"type":"NFC"}`))
	return n
}

func containsPair(w []int32, a, b int32) bool {
	for i := 0; i+1 < len(w); i++ {
		if w[i] == a && w[i+1] == b {
			return true
		}
	}
	return false
}

type pairCount struct {
	pair  uint64
	count int64
}

// pairHeap pops the most frequent pair, the smaller pair of ids on ties.
type pairHeap []pairCount

func (h pairHeap) Len() int { return len(h) }
func (h pairHeap) Less(i, j int) bool {
	if h[i].count != h[j].count {
		return h[i].count > h[j].count
	}
	return h[i].pair < h[j].pair
}
func (h pairHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *pairHeap) Push(x any)   { *h = append(*h, x.(pairCount)) }
func (h *pairHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// trainedJSON writes the tokenizer.json of a trained tokenizer. Added tokens take ids
// 0..len(added)-1 and are also in the model vocabulary, as the Rust trainer does.
func trainedJSON(added []addedToken, tokens []string, merges [][2]int32) []byte {
	off := int32(len(added))
	var b bytes.Buffer
	b.WriteString(`{"version":"1.0","truncation":null,"padding":null,"added_tokens":[`)
	for k, a := range added {
		if k > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"id":%d,"content":%s,"single_word":false,"lstrip":false,"rstrip":false,"normalized":false,"special":%t}`,
			a.ID, marshalNoEscape(a.Content), a.Special)
	}
	b.WriteString(`],"normalizer":{"type":"NFC"},"pre_tokenizer":{"type":"Sequence","pretokenizers":[`)
	fmt.Fprintf(&b, `{"type":"Split","pattern":{"Regex":%s},"behavior":"Isolated","invert":false},`, marshalNoEscape(patQwen2))
	b.WriteString(`{"type":"ByteLevel","add_prefix_space":false,"trim_offsets":false,"use_regex":false}]},`)
	b.WriteString(`"post_processor":{"type":"ByteLevel","add_prefix_space":false,"trim_offsets":false,"use_regex":false},`)
	b.WriteString(`"decoder":{"type":"ByteLevel","add_prefix_space":false,"trim_offsets":false,"use_regex":false},`)
	b.WriteString(`"model":{"type":"BPE","dropout":null,"unk_token":null,"continuing_subword_prefix":null,"end_of_word_suffix":null,"fuse_unk":false,"byte_fallback":false,"ignore_merges":false,"vocab":{`)
	for k, a := range added {
		if k > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "\n%s:%d", marshalNoEscape(a.Content), a.ID)
	}
	for i, tok := range tokens {
		fmt.Fprintf(&b, ",\n%s:%d", marshalNoEscape(byteLevelEncode(tok)), int32(i)+off)
	}
	b.WriteString("},\n\"merges\":[")
	for k, m := range merges {
		if k > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "\n[%s,%s]", marshalNoEscape(byteLevelEncode(tokens[m[0]])), marshalNoEscape(byteLevelEncode(tokens[m[1]])))
	}
	b.WriteString("]}}\n")
	return b.Bytes()
}

// trainedConfig writes the tokenizer_config.json of a trained tokenizer.
func trainedConfig(added []addedToken) []byte {
	dec := map[string]any{}
	for _, a := range added {
		dec[fmt.Sprint(a.ID)] = map[string]any{
			"content": a.Content, "single_word": false, "lstrip": false, "rstrip": false,
			"normalized": false, "special": a.Special,
		}
	}
	var extra []string
	for _, a := range added[len(DefaultAddedTokens):] {
		extra = append(extra, a.Content)
	}
	cfg := map[string]any{
		"tokenizer_class":              "PreTrainedTokenizerFast",
		"bos_token":                    nil,
		"eos_token":                    "<|endoftext|>",
		"pad_token":                    "<|endoftext|>",
		"unk_token":                    nil,
		"add_bos_token":                false,
		"clean_up_tokenization_spaces": false,
		"model_max_length":             131072,
		"added_tokens_decoder":         dec,
	}
	if len(extra) > 0 {
		cfg["additional_special_tokens"] = extra
	}
	var b bytes.Buffer
	enc := newIndentEncoder(&b)
	if err := enc.Encode(cfg); err != nil {
		panic(err)
	}
	return b.Bytes()
}

func newIndentEncoder(w io.Writer) interface{ Encode(any) error } {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc
}
