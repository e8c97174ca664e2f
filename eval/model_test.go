package eval

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/r1go/r1go/backend"
	"github.com/r1go/r1go/data"
	"github.com/r1go/r1go/generate"
	"github.com/r1go/r1go/internal/tiny"
	"github.com/r1go/r1go/model"
	"github.com/r1go/r1go/tokenizer"
)

// tinyTokenizer loads the embedded tiny model's byte-level tokenizer (one token per
// byte; EOS <|endoftext|>; no BOS).
func tinyTokenizer(t *testing.T) *tokenizer.Tokenizer {
	t.Helper()
	dir := t.TempDir()
	if err := tiny.WriteTokenizer(dir); err != nil {
		t.Fatal(err)
	}
	tok, err := tokenizer.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func TestEncodePrompts(t *testing.T) {
	tok := tinyTokenizer(t)
	exs := []data.Example{{ID: "a", Prompt: "1+1", Answer: "2"}, {ID: "long", Prompt: strings.Repeat("x", 50), Answer: "x"}}
	r1zero, err := tokenizer.TemplateByName("r1zero")
	if err != nil {
		t.Fatal(err)
	}
	plain := R1Sampling()
	zero := plain
	zero.Template = r1zero
	zeroLen := func(q string) int { // tokens of q in the R1-Zero prompt (tags are single tokens)
		return len(tok.AppendEncode(nil, r1zero.Render([]tokenizer.Message{{Role: "user", Content: q}}, true)))
	}
	tests := []struct {
		name       string
		cfg        SampleConfig
		context    int
		wantMaxNew int
		wantThink  string
		wantLen0   int    // tokens of the first prompt
		wantErr    string // substring of the error, "" for none
	}{
		{"question as is, budget capped by the context", plain, 256, 256 - 50, "", 3, ""},
		{"default budget under a long context", plain, 10000, DefaultMaxNewTokens, "", 3, ""},
		{"explicit budget", func() SampleConfig { c := plain; c.MaxNewTokens = 100; return c }(), 256, 100, "", 3, ""},
		{"budget past the context names the longest problem", func() SampleConfig { c := plain; c.MaxNewTokens = 207; return c }(), 256, 0, "", 0, `problem "long"`},
		{"no room at all", plain, 50, 0, "", 0, `problem "long"`},
		{"r1zero opens <think>", zero, 1024, 1024 - zeroLen(exs[1].Prompt), "<think>\n", zeroLen("1+1"), ""},
		{"text template opening <think>", withTemplate(plain, TextTemplate("Q: {prompt}\nA: <think>\n")), 256, 256 - len("Q: \nA: <think>\n") - 50 + 6, "<think>\n", len("Q: 1+1\nA: ") + 2, ""},
		{"text template without <think>", withTemplate(plain, TextTemplate("Q: {{.Prompt}} =")), 256, 256 - len("Q:  =") - 50, "", len("Q: 1+1 ="), ""},
		{"text template with a system prompt", func() SampleConfig {
			c := withTemplate(plain, TextTemplate("{prompt}"))
			c.System = "be brief"
			return c
		}(), 256, 0, "", 0, "system prompt"},
		{"k zero", func() SampleConfig { c := plain; c.K = 0; return c }(), 256, 0, "", 0, "k = 0"},
		{"top-p zero", func() SampleConfig { c := plain; c.TopP = 0; return c }(), 256, 0, "", 0, "top_p"},
		{"negative budget", func() SampleConfig { c := plain; c.MaxNewTokens = -1; return c }(), 256, 0, "", 0, "max_new_tokens"},
	}
	if _, err := EncodePrompts(tok, exs, plain, &model.Config{MaxPositionEmbeddings: 256, VocabSize: 64}); err == nil || !strings.Contains(err.Error(), `problem "long": token id 120 is outside`) {
		t.Errorf("a tokenizer larger than the model's vocabulary: error %v", err)
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := EncodePrompts(tok, exs, tc.cfg, &model.Config{MaxPositionEmbeddings: tc.context, VocabSize: 264})
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if p.MaxNewTokens != tc.wantMaxNew || p.Think != tc.wantThink || len(p.IDs[0]) != tc.wantLen0 {
				t.Errorf("max new %d, think %q, first prompt %d tokens; want %d, %q, %d", p.MaxNewTokens, p.Think, len(p.IDs[0]), tc.wantMaxNew, tc.wantThink, tc.wantLen0)
			}
			if got := tok.Decode(p.IDs[0], false); tc.cfg.Template == nil && got != "1+1" {
				t.Errorf("first prompt decodes to %q, want the question as is", got)
			}
		})
	}
}

// TestWriteSamplesRoundTrip checks that samples written for re-scoring come back equal.
func TestWriteSamplesRoundTrip(t *testing.T) {
	in := []Sample{
		{ID: "p1", Prompt: "Q1", Gold: `\frac{1}{2}`, Completion: "<think>\nhm</think> \\boxed{0.5}", Tokens: 9, Finish: "stop",
			Fields: map[string]any{"level": 3, "numbers": []int{1, 2}, "subject": "Algebra"}},
		{ID: "p1", Prompt: "Q1", Gold: `\frac{1}{2}`, Completion: "<think>\n", Tokens: 4096, Finish: "length",
			Fields: map[string]any{"level": 3, "numbers": []int{1, 2}, "subject": "Algebra"}},
		{ID: "p2", Gold: "7", Completion: "7 <&>", Fields: map[string]any{}},
	}
	path := t.TempDir() + "/samples.jsonl"
	if err := WriteSamples(path, in); err != nil {
		t.Fatal(err)
	}
	out, err := LoadSamples(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != len(in) {
		t.Fatalf("%d samples back, want %d", len(out), len(in))
	}
	for i := range in {
		a, b := in[i], out[i]
		if a.ID != b.ID || a.Prompt != b.Prompt || a.Gold != b.Gold || a.Completion != b.Completion || a.Tokens != b.Tokens || a.Finish != b.Finish ||
			len(a.Fields) != len(b.Fields) {
			t.Errorf("sample %d: wrote %+v, read %+v", i, a, b)
		}
		for k, v := range a.Fields {
			if got := b.Fields[k]; !equalJSON(got, v) {
				t.Errorf("sample %d field %s: wrote %v (%T), read %v (%T)", i, k, v, v, got, got)
			}
		}
	}
}

// equalJSON compares decoded field values (ints, int lists, strings).
func equalJSON(a, b any) bool {
	if x, ok := a.([]int); ok {
		y, ok := b.([]int)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if x[i] != y[i] {
				return false
			}
		}
		return true
	}
	return a == b
}

// tinyEngine returns the embedded tiny model's tokenizer and a generation engine for it
// on the pure Go backend.
func tinyEngine(t *testing.T) (*tokenizer.Tokenizer, *generate.Engine, *model.Config) {
	t.Helper()
	t.Setenv("GOMLX_NO_AUTO_INSTALL", "1")
	dir := t.TempDir()
	if err := tiny.WriteModel(dir, 3); err != nil {
		t.Fatal(err)
	}
	tok, err := tokenizer.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	params, err := model.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	b, err := backend.New("cpu")
	if err != nil {
		t.Fatal(err)
	}
	return tok, generate.NewEngine(b, params, dtypes.Float32), params.Config
}

// TestSampleToFileResumes checks the crash-safe sampler: a run stopped after its first
// chunk leaves only the partial files; started again it resumes after that chunk and
// writes the same file as an uninterrupted run; a single chunk equals Sample; another
// key starts over.
func TestSampleToFileResumes(t *testing.T) {
	tok, engine, mc := tinyEngine(t)
	exs := data.NewArith(1).Test(5)
	cfg := R1Sampling()
	cfg.K, cfg.MaxNewTokens, cfg.Temperature = 3, 5, 1
	p, err := EncodePrompts(tok, exs, cfg, mc)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	whole := filepath.Join(dir, "whole.jsonl")
	all, resumed, err := p.SampleToFile(engine, whole, "m", 2, nil)
	if err != nil || resumed != 0 {
		t.Fatalf("uninterrupted run: resumed %d, %v", resumed, err)
	}
	if len(all) != 15 {
		t.Fatalf("%d samples, want 5 problems × 3", len(all))
	}
	for i, s := range all {
		if s.ID != exs[i/3].ID || s.Gold != exs[i/3].Answer || s.Tokens < 1 || s.Tokens > 5 {
			t.Errorf("sample %d: %+v", i, s)
		}
	}

	cut := filepath.Join(dir, "cut.jsonl")
	if _, _, err := p.sampleToFile(engine, cut, "m", 2, nil, 1); !errors.Is(err, errStopped) {
		t.Fatalf("stopped run: %v", err)
	}
	if _, err := os.Stat(cut); err == nil {
		t.Fatal("a stopped run wrote its final file")
	}
	var st fileState
	raw, err := os.ReadFile(cut + ".partial.json")
	if err != nil || json.Unmarshal(raw, &st) != nil || st.Problems != 2 {
		t.Fatalf("partial state after one chunk: %s (%v), want 2 problems done", raw, err)
	}
	again, resumed, err := p.SampleToFile(engine, cut, "m", 2, nil)
	if err != nil || resumed != 2 {
		t.Fatalf("resumed run: resumed %d, %v; want 2", resumed, err)
	}
	a, _ := os.ReadFile(whole)
	b, _ := os.ReadFile(cut)
	if string(a) != string(b) || len(again) != len(all) {
		t.Errorf("the resumed run wrote another file than the uninterrupted one:\n%s\nwant\n%s", b, a)
	}
	for _, leftover := range []string{cut + ".partial", cut + ".partial.json"} {
		if _, err := os.Stat(leftover); err == nil {
			t.Errorf("%s left behind", leftover)
		}
	}

	// One chunk is Sample.
	one, _, err := p.SampleToFile(engine, filepath.Join(dir, "one.jsonl"), "m", 100, nil)
	if err != nil {
		t.Fatal(err)
	}
	direct, err := p.Sample(engine, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range direct {
		if one[i].Completion != direct[i].Completion || one[i].Finish != direct[i].Finish {
			t.Fatalf("sample %d: SampleToFile with one chunk gave %q, Sample %q", i, one[i].Completion, direct[i].Completion)
		}
	}

	// Another key (another model) does not resume a partial run.
	other := filepath.Join(dir, "other.jsonl")
	if _, _, err := p.sampleToFile(engine, other, "m", 2, nil, 1); !errors.Is(err, errStopped) {
		t.Fatal(err)
	}
	if _, resumed, err := p.SampleToFile(engine, other, "another model", 2, nil); err != nil || resumed != 0 {
		t.Errorf("run with another key: resumed %d, %v; want a fresh start", resumed, err)
	}
}

func withTemplate(c SampleConfig, t tokenizer.Template) SampleConfig {
	c.Template = t
	return c
}
