package rejection

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	r1backend "github.com/r1go/r1go/backend"
	"github.com/r1go/r1go/data"
	"github.com/r1go/r1go/internal/tiny"
	"github.com/r1go/r1go/model"
	"github.com/r1go/r1go/reward"
	"github.com/r1go/r1go/tokenizer"
	"github.com/r1go/r1go/train"
	"github.com/r1go/r1go/train/sft"
)

func TestFilters(t *testing.T) {
	long := strings.Repeat("word ", 500) // 2,500 characters in one paragraph
	cases := []struct {
		name, reasoning string
		f               Filters
		want            string
	}{
		{"clean", "First add 2 and 2.\n\nThat gives 4, so the answer is 4.", DefaultFilters(), ""},
		{"mixed", "We need to add these numbers. 我们 需要 把 这些 数字 加 起来 然后 得到 结果. So the sum is 4.", DefaultFilters(), ReasonMixedLanguage},
		{"mixed off", "We need to add these numbers. 我们 需要 把 这些 数字 加 起来 然后 得到 结果. So the sum is 4.", Filters{}, ""},
		{"math is not a language", "Let $x^2 + y^2 = z^2$ and \\(\\alpha + \\beta\\). Then x is 3.", DefaultFilters(), ""},
		{"long paragraph", "Short start.\n\n" + long + "\n\nShort end.", DefaultFilters(), ReasonLongParagraph},
		{"long paragraph, higher limit", "Short start.\n\n" + long, Filters{MaxParagraphChars: 3000}, ""},
		{"paragraphs under the limit", strings.Repeat("This line is fine.\n\n", 300), DefaultFilters(), ""},
		{"code block", "Let me check with code:\n```python\nprint(2+2)\n```\nIt prints 4.", DefaultFilters(), ReasonCodeBlock},
		{"indented tilde fence", "Check:\n  ~~~\n  2+2\n  ~~~", DefaultFilters(), ReasonCodeBlock},
		{"code block off", "```\nx\n```", Filters{}, ""},
		{"inline code is fine", "The value `x = 4` holds.", DefaultFilters(), ""},
		{"target language", "这个 问题 很 简单 答案 是 四", Filters{Language: "en", MinLanguageShare: 0.9}, ReasonLanguage},
		{"target language met", "this problem is easy and the answer is four", Filters{Language: "en", MinLanguageShare: 0.9}, ""},
	}
	for _, c := range cases {
		if got := c.f.Check(c.reasoning); got != c.want {
			t.Errorf("%s: Check = %q, want %q", c.name, got, c.want)
		}
	}
	if n := LongestParagraph("ab\ncd\n\n  \nxyz"); n != 5 {
		t.Errorf("LongestParagraph = %d, want 5 (ab, newline, cd)", n)
	}
}

// TestJudge: each sample is kept or dropped for the right reason, in order.
func TestJudge(t *testing.T) {
	cfg := DefaultConfig()
	cfg.MaxPerPrompt = 2
	ok := reward.Total{Correct: true, Reward: 1}
	good := "<think>\nadd two and two\n</think>\n\n\\boxed{4}"
	cands := []candidate{
		{prompt: 0, sample: 0, full: good, total: ok},
		{prompt: 0, sample: 1, full: good, total: reward.Total{Reward: 0}},                            // incorrect
		{prompt: 0, sample: 2, full: "<think>\nadd   two and two\n</think>\n\n\\boxed{4}", total: ok}, // duplicate up to spaces
		{prompt: 0, sample: 3, full: "<think>\nunfinished", total: ok, truncated: true},
		{prompt: 0, sample: 4, full: "\\boxed{4} without reasoning", total: ok},                             // format
		{prompt: 0, sample: 5, full: "<think>\nrun\n```\nprint(4)\n```\n</think>\n\n\\boxed{4}", total: ok}, // code block
		{prompt: 0, sample: 6, full: "<think>\nfour it is\n</think>\n\\boxed{4}", total: ok},
		{prompt: 0, sample: 7, full: "<think>\nyet another way\n</think>\n\\boxed{4}", total: ok}, // cap 2
		{prompt: 1, sample: 0, full: "<think>\n" + strings.Repeat("x", 2001) + "\n</think>\n\n\\boxed{9}", total: ok},
		{prompt: 1, sample: 1, full: "<think>think</think>", total: ok}, // empty summary
		{prompt: 1, sample: 2, full: good, total: reward.Total{Err: errors.New("math: sample has no gold answer")}},
	}
	ex := []data.Example{{ID: "p0", Prompt: "2+2?", Answer: "4"}, {ID: "p1", Prompt: "3*3?", Answer: "9"}}
	for i := range cands {
		cands[i].example = ex[cands[i].prompt]
	}
	// Shuffle the input order: judge sorts by prompt and sample.
	cands[0], cands[7] = cands[7], cands[0]
	st := Stats{Dropped: map[string]int{}}
	kept := cfg.judge(cands, &st)
	var ids []string
	for _, c := range kept {
		ids = append(ids, c.ID)
	}
	if strings.Join(ids, ",") != "p0-0,p0-6" {
		t.Errorf("kept %v, want p0-0, p0-6", ids)
	}
	want := map[string]int{ReasonIncorrect: 1, ReasonDuplicate: 1, ReasonTruncated: 1, ReasonFormat: 2, ReasonCodeBlock: 1, ReasonCap: 1, ReasonLongParagraph: 1, ReasonUnverifiable: 1}
	for k, v := range want {
		if st.Dropped[k] != v {
			t.Errorf("dropped[%s] = %d, want %d (all: %v)", k, st.Dropped[k], v, st.Dropped)
		}
	}
	if st.Samples != 11 || st.Correct != 9 || len(st.VerifierErrors) != 1 || st.Kept != 2 || st.PromptsWithKept != 1 {
		t.Errorf("stats %+v", st)
	}
	c := kept[1]
	if c.Messages[1].Content != "<think>\nfour it is\n</think>\n\n\\boxed{4}" || c.Messages[0].Content != "2+2?" || c.Fields["prompt_id"] != "p0" || c.Fields["sample"] != 6 {
		t.Errorf("kept conversation %+v", c)
	}
}

// TestSampleEndToEnd fine-tunes the tiny model to answer two questions, then rejection
// samples it: correct answers are kept once (duplicates dropped), a question whose gold
// answer the model does not give keeps nothing, and the output reads back as SFT data.
func TestSampleEndToEnd(t *testing.T) {
	b, err := r1backend.New("cpu")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	modelDir := filepath.Join(dir, "base")
	if err := os.MkdirAll(modelDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := tiny.WriteModel(modelDir, 7); err != nil {
		t.Fatal(err)
	}
	sftData := filepath.Join(dir, "sft.jsonl")
	if err := os.WriteFile(sftData, []byte(`{"prompt":"2+2=","completion":"<think>two and two</think>\\boxed{4}"}
{"prompt":"3*3=","completion":"<think>three threes</think>\\boxed{9}"}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	c := sft.DefaultConfig()
	c.Model, c.Data, c.Out = modelDir, sftData, filepath.Join(dir, "sft")
	c.MaxLength, c.BatchSize, c.EvalShare, c.Steps, c.LR, c.LRFloor, c.SaveEvery = 64, 2, 0, 40, 1e-2, 1e-3, 0
	tr, err := sft.NewTrainer(c, b, dtypes.Float32, false)
	if err != nil {
		t.Fatal(err)
	}
	if err := tr.Run(); err != nil {
		t.Fatal(err)
	}
	ckpt, _, err := train.Latest(c.Out)
	if err != nil {
		t.Fatal(err)
	}
	params, err := model.Load(ckpt)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := tokenizer.Load(ckpt)
	if err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig()
	cfg.Model, cfg.Template, cfg.N, cfg.MaxNewTokens, cfg.Temperature, cfg.TopP = "tiny", "none", 4, 40, 0.3, 1
	s, err := NewSampler(cfg, b, params, dtypes.Float32, tok)
	if err != nil {
		t.Fatal(err)
	}
	exs := []data.Example{{ID: "a", Prompt: "2+2=", Answer: "4"}, {ID: "b", Prompt: "3*3=", Answer: "9"}, {ID: "c", Prompt: "2+2=", Answer: "5"}}
	kept, st, err := s.Run(exs, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("stats %+v", st)
	if st.Samples != 12 || st.Prompts != 3 {
		t.Errorf("stats %+v: want 12 samples of 3 prompts", st)
	}
	math, err := reward.ParseSpec("math")
	if err != nil {
		t.Fatal(err)
	}
	byPrompt := map[string]int{}
	contents := map[string]bool{}
	for _, k := range kept {
		id := k.Fields["prompt_id"].(string)
		byPrompt[id]++
		gold := map[string]string{"a": "4", "b": "9", "c": "5"}[id]
		resp := k.Messages[1].Content
		if !math.Score(reward.Sample{Completion: resp, Gold: gold}).Correct || !strings.HasPrefix(resp, "<think>\n") {
			t.Errorf("kept an unverified or malformed sample: %+v", k)
		}
		if contents[id+resp] {
			t.Errorf("kept a duplicate: %+v", k)
		}
		contents[id+resp] = true
	}
	if byPrompt["c"] != 0 || byPrompt["a"] == 0 || byPrompt["b"] == 0 {
		t.Errorf("kept per prompt %v: want a and b, never c (gold 5: the model says 4)", byPrompt)
	}
	dropped := 0
	for _, n := range st.Dropped {
		dropped += n
	}
	if st.Dropped[ReasonIncorrect] < 4 || st.Dropped[ReasonDuplicate] == 0 || st.Kept+dropped != st.Samples {
		t.Errorf("stats %+v: want c's 4 samples incorrect, duplicates dropped, every sample accounted for", st)
	}
	// SampleToFile, one prompt per chunk: uninterrupted, and killed after the first chunk
	// then restarted, write the same file, which reads back as SFT data.
	cfg.PromptsPerChunk = 1
	full, resumed := filepath.Join(dir, "full.jsonl"), filepath.Join(dir, "resumed.jsonl")
	count := func(n *int) func(int) { return func(k int) { *n += k } }
	var tokFull, tokResumed int
	stFull, err := SampleToFile(cfg, b, dtypes.Float32, ckpt, exs, full, count(&tokFull))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sampleToFile(cfg, b, dtypes.Float32, ckpt, exs, resumed, nil, 1); err != errStopped {
		t.Fatalf("stopped run: %v", err)
	}
	if _, err := os.Stat(resumed); err == nil {
		t.Error("the output exists before the run finished")
	}
	stRes, err := SampleToFile(cfg, b, dtypes.Float32, ckpt, exs, resumed, count(&tokResumed))
	if err != nil {
		t.Fatal(err)
	}
	a, _ := os.ReadFile(full)
	r, _ := os.ReadFile(resumed)
	if string(a) != string(r) || stFull.Kept != stRes.Kept || stFull.Samples != stRes.Samples || stRes.Samples != 12 {
		t.Errorf("resumed output differs: %d vs %d bytes, stats %+v vs %+v", len(a), len(r), stFull, stRes)
	}
	if tokResumed >= tokFull || stRes.Tokens != stFull.Tokens {
		t.Errorf("the restarted run generated %d tokens (the full run %d): it did not resume after the saved chunk", tokResumed, tokFull)
	}
	for _, leftover := range []string{resumed + ".partial", resumed + ".partial.json"} {
		if _, err := os.Stat(leftover); err == nil {
			t.Errorf("%s left behind", leftover)
		}
	}
	back, err := data.LoadChat(full)
	if err != nil || len(back) != stFull.Kept || back[0].Fields["model"] != "tiny" {
		t.Errorf("output does not read back as SFT data: %v, %+v", err, back)
	}
}

func TestConfigValidate(t *testing.T) {
	cfg := DefaultConfig()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		set  func(*Config)
		want string
	}{
		{func(c *Config) { c.Reward = "format" }, "no accuracy term"},
		{func(c *Config) { c.N = 0 }, "n: 0"},
		{func(c *Config) { c.TopP = 0 }, "top_p"},
		{func(c *Config) { c.Template = "jinja" }, "template"},
		{func(c *Config) { c.Filters.Language = "klingon" }, "language"},
	} {
		cc := DefaultConfig()
		c.set(&cc)
		if err := cc.Validate(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("want an error with %q, got %v", c.want, err)
		}
	}
}
