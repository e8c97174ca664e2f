package model

import (
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/r1go/r1go/model/safetensors"
)

// TestBuiltinConfig checks the built-in shapes against the parameter counts of the published
// checkpoints (Qwen2.5-0.5B: 494,032,768; Qwen2.5-1.5B: 1,543,714,304, both tied).
func TestBuiltinConfig(t *testing.T) {
	for _, tc := range []struct {
		name   string
		params int64
		layers int
		heads  int
	}{
		{"0.5B", 494_032_768, 24, 14},
		{"1.5B", 1_543_714_304, 28, 12},
		{"tiny", 107_072, 2, 4},
	} {
		c, err := BuiltinConfig(tc.name)
		if err != nil {
			t.Fatal(err)
		}
		if got := c.NumParams(); got != tc.params {
			t.Errorf("%s: %d parameters, want %d", tc.name, got, tc.params)
		}
		if c.NumHiddenLayers != tc.layers || c.NumAttentionHeads != tc.heads || c.NumKeyValueHeads != 2 || !c.TieWordEmbeddings {
			t.Errorf("%s: %+v", tc.name, c)
		}
		// The config survives config.json.
		b, err := c.JSON()
		if err != nil {
			t.Fatal(err)
		}
		back, err := ParseConfig(b)
		if err != nil {
			t.Fatalf("%s: config.json does not parse back: %v", tc.name, err)
		}
		if back.NumParams() != tc.params || back.RopeTheta != c.RopeTheta || back.HeadDim != c.HeadDim {
			t.Errorf("%s: config.json round trip changed the model: %+v", tc.name, back)
		}
	}
	// Each call returns its own copy.
	a, _ := BuiltinConfig("0.5B")
	*a.BOSTokenID = 7
	a.VocabSize = 3
	b, _ := BuiltinConfig("0.5B")
	if *b.BOSTokenID != 151643 || b.VocabSize != 151936 {
		t.Errorf("BuiltinConfig returned shared state: %+v", b)
	}
	if _, err := BuiltinConfig("7B"); err == nil || !strings.Contains(err.Error(), "tiny, 0.5B, 1.5B") {
		t.Errorf("unknown shape: error %v should list the shapes", err)
	}
}

func TestInitDir(t *testing.T) {
	c, err := BuiltinConfig("tiny")
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "m")
	p, err := InitDir(dir, c, 5, safetensors.F32, false)
	if err != nil {
		t.Fatal(err)
	}
	q, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if q.Config.NumParams() != c.NumParams() {
		t.Fatalf("loaded %d parameters, want %d", q.Config.NumParams(), c.NumParams())
	}
	again := InitParams(c, 5)
	other := InitParams(c, 6)
	for i, s := range p.Specs {
		got := tensors.MustCopyFlatData[float32](q.Tensors[i])
		same := tensors.MustCopyFlatData[float32](again.Tensors[i])
		diff := tensors.MustCopyFlatData[float32](other.Tensors[i])
		changed := false
		for j := range got {
			if math.Float32bits(got[j]) != math.Float32bits(same[j]) {
				t.Fatalf("%s[%d]: saved %v, InitParams with the same seed gives %v", s.Name, j, got[j], same[j])
			}
			changed = changed || got[j] != diff[j]
		}
		// Initialisation as transformers does it: normal(0, initializer_range) matrices, zero
		// biases, unit norms.
		switch s.Init {
		case InitNormal:
			if !changed {
				t.Errorf("%s: seeds 5 and 6 give the same values", s.Name)
			}
			var sum, sq float64
			for _, x := range got {
				sum += float64(x)
				sq += float64(x) * float64(x)
			}
			n := float64(len(got))
			mean, std := sum/n, math.Sqrt(sq/n-(sum/n)*(sum/n))
			// 5 standard errors of the sample mean and standard deviation.
			if math.Abs(mean) > 5*0.02/math.Sqrt(n) || math.Abs(std-0.02) > 5*0.02/math.Sqrt(2*n) {
				t.Errorf("%s: mean %.5f std %.5f over %d values, want normal(0, 0.02)", s.Name, mean, std, len(got))
			}
		case InitZeros, InitOnes:
			want := float32(0)
			if s.Init == InitOnes {
				want = 1
			}
			for j, x := range got {
				if x != want {
					t.Fatalf("%s[%d] = %v, want %v", s.Name, j, x, want)
				}
			}
		}
	}

	// A non-empty directory is refused, and left alone.
	before, _ := os.ReadFile(filepath.Join(dir, "model.safetensors"))
	if _, err := InitDir(dir, c, 9, safetensors.F32, false); !errors.Is(err, ErrDirNotEmpty) {
		t.Fatalf("InitDir into a non-empty directory: %v, want ErrDirNotEmpty", err)
	}
	after, _ := os.ReadFile(filepath.Join(dir, "model.safetensors"))
	if string(before) != string(after) {
		t.Fatal("a refused InitDir changed the weights")
	}
	// With overwrite the model is replaced (bf16 now) and other files stay.
	if err := os.WriteFile(filepath.Join(dir, "README.md"), []byte("keep"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := InitDir(dir, c, 9, safetensors.BF16, true); err != nil {
		t.Fatal(err)
	}
	ck, err := safetensors.OpenDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	info, err := ck.Info(nameEmbed)
	ck.Close()
	if err != nil || info.DType != safetensors.BF16 {
		t.Errorf("overwritten weights: %+v, %v; want BF16", info, err)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "README.md")); err != nil || string(b) != "keep" {
		t.Errorf("overwrite removed an unrelated file: %v", err)
	}
	// A file where the directory should be, and a bad dtype, are errors.
	file := filepath.Join(t.TempDir(), "f")
	os.WriteFile(file, []byte("x"), 0o644)
	if _, err := InitDir(file, c, 1, safetensors.F32, false); err == nil || !strings.Contains(err.Error(), "not a directory") {
		t.Errorf("InitDir onto a file: %v", err)
	}
	if _, err := InitDir(filepath.Join(t.TempDir(), "x"), c, 1, safetensors.F16, false); err == nil {
		t.Error("InitDir accepted F16 weights")
	}
}

// wordEncoder encodes each space-separated word as its length: enough to tell sides apart.
type wordEncoder struct{}

func (wordEncoder) Encode(s string) []int32 {
	var out []int32
	for _, w := range strings.Fields(s) {
		out = append(out, int32(len(w)))
	}
	return out
}

func TestReadSequences(t *testing.T) {
	c, _ := BuiltinConfig("tiny") // vocabulary 512, 512 positions
	long, _ := json.Marshal(map[string]any{"prompt_ids": []int{1}, "completion_ids": make([]int, 600)})
	ids := func(v ...int32) []int32 { return v }
	for _, tc := range []struct {
		name, in string
		enc      Encoder
		want     []Sequence
		err      string // substring of the error; "" for success
	}{
		{name: "ids, extra keys ignored", in: "{\"prompt_ids\":[1,2],\"completion_ids\":[3]}\n{\"id\":7,\"prompt_ids\":[4],\"completion_ids\":[]}\n",
			want: []Sequence{{ids(1, 2), ids(3)}, {ids(4), ids()}}},
		{name: "no final newline, CRLF", in: "{\"prompt_ids\":[1],\"completion_ids\":[2]}\r\n{\"prompt_ids\":[3],\"completion_ids\":[4]}",
			want: []Sequence{{ids(1), ids(2)}, {ids(3), ids(4)}}},
		{name: "text with a tokenizer, sides encoded separately", enc: wordEncoder{},
			in:   "{\"prompt\":\"ab cde\",\"completion\":\"f\"}\n{\"prompt_ids\":[9],\"completion\":\"gh ijkl\"}\n",
			want: []Sequence{{ids(2, 3), ids(1)}, {ids(9), ids(2, 4)}}},
		{name: "empty file", in: "", want: nil},
		{name: "text without a tokenizer", in: "{\"prompt\":\"a\",\"completion\":\"b\"}\n", err: `in.jsonl: line 1: field "prompt" is text but there is no tokenizer`},
		{name: "blank line", in: "{\"prompt_ids\":[1],\"completion_ids\":[2]}\n\n", err: "in.jsonl: line 2: empty line"},
		{name: "malformed JSON", in: "{\"prompt_ids\":[1],\"completion_ids\":[2]}\n{\"prompt_ids\":[1],\n", err: "in.jsonl: line 2: invalid JSON object"},
		{name: "not an object", in: "[1,2]\n", err: "line 1: invalid JSON object"},
		{name: "missing completion", in: "{\"prompt_ids\":[1]}\n", err: `line 1: missing "completion_ids" (token ids) or "completion" (text)`},
		{name: "both forms", in: "{\"prompt_ids\":[1],\"prompt\":\"x\",\"completion_ids\":[2]}\n", enc: wordEncoder{}, err: `both "prompt_ids" and "prompt" given`},
		{name: "fractional id", in: "{\"prompt_ids\":[1.5],\"completion_ids\":[2]}\n", err: `line 1: field "prompt_ids": want a list of integer token ids`},
		{name: "string ids", in: "{\"prompt_ids\":\"1 2\",\"completion_ids\":[2]}\n", err: `field "prompt_ids": want a list`},
		{name: "text not a string", in: "{\"prompt\":5,\"completion_ids\":[2]}\n", enc: wordEncoder{}, err: `field "prompt": want a string`},
		{name: "empty prompt", in: "{\"prompt_ids\":[],\"completion_ids\":[2]}\n", err: "line 1: empty prompt"},
		{name: "id outside the vocabulary", in: "{\"prompt_ids\":[1],\"completion_ids\":[2,512]}\n", err: "line 1: completion token 1 is id 512, outside the vocabulary [0, 512)"},
		{name: "negative id", in: "{\"prompt_ids\":[-1],\"completion_ids\":[2]}\n", err: "prompt token 0 is id -1"},
		{name: "id beyond int32", in: "{\"prompt_ids\":[4294967297],\"completion_ids\":[2]}\n", err: "token id 4294967297 out of range"},
		{name: "too long", in: string(long) + "\n", err: "line 1: 601 tokens exceed the model's max_position_embeddings 512"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ReadSequences(strings.NewReader(tc.in), "in.jsonl", c, tc.enc)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want one containing %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("%d sequences, want %d", len(got), len(tc.want))
			}
			for i := range got {
				if !slices.Equal(got[i].Prompt, tc.want[i].Prompt) || !slices.Equal(got[i].Completion, tc.want[i].Completion) {
					t.Errorf("sequence %d: %v, want %v", i, got[i], tc.want[i])
				}
			}
		})
	}
}

func TestAppendLogProbsJSONL(t *testing.T) {
	got, err := AppendLogProbsJSONL([]byte("x\n"), [][]float32{{-0.5, -1.25}, {}, {-3.4028235e38, -1e-7}})
	if err != nil {
		t.Fatal(err)
	}
	want := "x\n" +
		`{"logprobs":[-0.5,-1.25],"sum":-1.75}` + "\n" +
		`{"logprobs":[],"sum":0}` + "\n" +
		`{"logprobs":[-3.4028235e+38,-1e-07],"sum":-3.4028234663852886e+38}` + "\n"
	if string(got) != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	for _, bad := range []float32{float32(math.NaN()), float32(math.Inf(-1))} {
		if _, err := AppendLogProbsJSONL(nil, [][]float32{{-1}, {-2, bad}}); err == nil || !strings.Contains(err.Error(), "sequence 2 token 1") {
			t.Errorf("log-prob %v: error %v, want one naming sequence 2 token 1", bad, err)
		}
	}
}

// TestScoreFileParity runs what `r1go logprobs` runs (ReadSequences, Scorer, AppendLogProbsJSONL)
// on the transformers fixture, with the prompt/completion split at several places, and compares
// every number with transformers' (testdata/make_fixtures.py).
func TestScoreFileParity(t *testing.T) {
	p, f := loadFixture(t, "tiny-qwen2")
	var in strings.Builder
	var want [][]float64
	for i, s := range f.Sequences {
		split := 1 + i%3
		b, _ := json.Marshal(map[string]any{"prompt_ids": s.IDs[:split], "completion_ids": s.IDs[split:]})
		in.Write(b)
		in.WriteByte('\n')
		want = append(want, s.LogProbs[split-1:])
	}
	seqs, err := ReadSequences(strings.NewReader(in.String()), "fixture", p.Config, nil)
	if err != nil {
		t.Fatal(err)
	}
	lps, err := NewScorer(cpuBackend(t), p, dtypes.Float32).LogProbs(seqs)
	if err != nil {
		t.Fatal(err)
	}
	out, err := AppendLogProbsJSONL(nil, lps)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	if len(lines) != len(want) {
		t.Fatalf("%d output lines, want %d", len(lines), len(want))
	}
	for i, line := range lines {
		var r struct {
			LogProbs []float64 `json:"logprobs"`
			Sum      float64   `json:"sum"`
		}
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("line %d: %v", i+1, err)
		}
		if len(r.LogProbs) != len(want[i]) {
			t.Fatalf("line %d: %d log-probs, want %d", i+1, len(r.LogProbs), len(want[i]))
		}
		var sum float64
		for j, x := range r.LogProbs {
			if math.Abs(x-want[i][j]) > 1e-4 {
				t.Errorf("line %d token %d: %v, transformers %v", i+1, j, x, want[i][j])
			}
			sum += want[i][j]
		}
		if math.Abs(r.Sum-sum) > 1e-3 {
			t.Errorf("line %d: sum %v, transformers %v", i+1, r.Sum, sum)
		}
	}
}

func TestUseTokenizer(t *testing.T) {
	c, _ := BuiltinConfig("0.5B") // bos 151643, eos 151643 from the shape
	bos, pad := int32(1), int32(0)
	if err := c.UseTokenizer(TokenizerIDs{VocabSize: 151665, BOS: &bos, Pad: &pad, EOS: []int32{151645, 151643}}); err != nil {
		t.Fatal(err)
	}
	b, err := c.JSON()
	if err != nil {
		t.Fatal(err)
	}
	back, err := ParseConfig(b)
	if err != nil {
		t.Fatal(err)
	}
	if *back.BOSTokenID != 1 || *back.PadTokenID != 0 || !slices.Equal(back.EOSTokenIDs(), []int32{151645, 151643}) {
		t.Errorf("config.json after UseTokenizer: %s", b)
	}
	// A tokenizer without BOS/pad removes the ids a config.json file had.
	c, err = LoadConfig(filepath.Join("testdata", "tiny-llama")) // bos 1, eos 2
	if err != nil {
		t.Fatal(err)
	}
	if err := c.UseTokenizer(TokenizerIDs{VocabSize: 10, EOS: []int32{7}}); err != nil {
		t.Fatal(err)
	}
	b, _ = c.JSON()
	if back, err = ParseConfig(b); err != nil || back.BOSTokenID != nil || back.PadTokenID != nil || !slices.Equal(back.EOSTokenIDs(), []int32{7}) {
		t.Errorf("config.json after UseTokenizer without BOS: %s (%v)", b, err)
	}
	if err := c.UseTokenizer(TokenizerIDs{VocabSize: 257}); err == nil || !strings.Contains(err.Error(), `"vocab_size": 256 is smaller than the tokenizer's 257`) {
		t.Errorf("tokenizer larger than the vocabulary: %v", err)
	}
	pad = 300
	if err := c.UseTokenizer(TokenizerIDs{VocabSize: 10, Pad: &pad}); err == nil || !strings.Contains(err.Error(), "pad_token_id") {
		t.Errorf("pad id outside the vocabulary: %v", err)
	}
}
