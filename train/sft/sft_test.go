package sft

import (
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	r1backend "github.com/r1go/r1go/backend"
	"github.com/r1go/r1go/data"
	"github.com/r1go/r1go/internal/tiny"
	"github.com/r1go/r1go/model"
	"github.com/r1go/r1go/tokenizer"
	"github.com/r1go/r1go/train"
)

func tinyModelDir(t testing.TB, seed uint64) string {
	t.Helper()
	dir := t.TempDir()
	if err := tiny.WriteModel(dir, seed); err != nil {
		t.Fatal(err)
	}
	return dir
}

func cpu(t testing.TB) backends.Backend {
	t.Helper()
	b, err := r1backend.New("cpu")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func tinyEncoder(t testing.TB, dir, template string) *Encoder {
	t.Helper()
	tok, err := tokenizer.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	tm, err := tokenizer.TemplateByName(template)
	if err != nil {
		t.Fatal(err)
	}
	return &Encoder{Tok: tok, Template: tm, Format: "keep", MaxLength: 256, Overlong: "truncate"}
}

func chat(user, assistant string) []data.Message {
	return []data.Message{{Role: "user", Content: user}, {Role: "assistant", Content: assistant}}
}

// lossText decodes the tokens an example trains on.
func lossText(tok *tokenizer.Tokenizer, ex Example) string {
	var ids []int32
	for i, l := range ex.Loss {
		if l {
			ids = append(ids, ex.Tokens[i])
		}
	}
	return tok.Decode(ids, false)
}

func TestEncodeMarksAssistantTokens(t *testing.T) {
	dir := tinyModelDir(t, 1)
	cases := []struct {
		template string
		msgs     []data.Message
		want     string // decoded loss tokens
	}{
		{"none", chat("2+2?", "<think>\nadd\n</think>\n\n4"), "<think>\nadd\n</think>\n\n4<|endoftext|>"},
		{"r1", chat("2+2?", "<think>\nadd\n</think>\n\n4"), "<think>\nadd\n</think>\n\n4" + tokenizer.R1EOS},
		{"chatml", chat("hi", "hello"), "hello<|im_end|>"},
		// Two assistant turns: both train; the R1 template strips the earlier one's reasoning.
		{"r1", []data.Message{{Role: "user", Content: "a"}, {Role: "assistant", Content: "<think>x</think>B"}, {Role: "user", Content: "c"}, {Role: "assistant", Content: "D"}},
			"B" + tokenizer.R1EOS + "D" + tokenizer.R1EOS},
		// Answers that also occur in the prompt or in the template's own markers.
		{"chatml", chat("say assistant", "assistant"), "assistant<|im_end|>"},
		{"none", chat("4 or 4?", "4"), "4<|endoftext|>"},
		{"r1", []data.Message{{Role: "user", Content: "x"}, {Role: "assistant", Content: "y"}, {Role: "user", Content: "y again"}, {Role: "assistant", Content: "y"}},
			"y" + tokenizer.R1EOS + "y" + tokenizer.R1EOS},
	}
	for _, c := range cases {
		enc := tinyEncoder(t, dir, c.template)
		ex, err := enc.Encode("x.jsonl:1", c.msgs)
		if err != nil {
			t.Fatalf("%s: %v", c.template, err)
		}
		if got := lossText(enc.Tok, ex); got != c.want {
			t.Errorf("%s: loss tokens %q, want %q", c.template, got, c.want)
		}
		if ex.Loss[0] {
			t.Errorf("%s: the first (prompt) token is marked for the loss", c.template)
		}
	}
	for _, c := range []struct {
		template string
		msgs     []data.Message
		want     string
	}{
		{"none", chat("4 or 4?", "4"), "4 or 4?⟦4<|endoftext|>⟧"},
		{"chatml", chat("say assistant", "assistant"), "<|im_start|>system\n" + tokenizer.Qwen25DefaultSystem + "<|im_end|>\n<|im_start|>user\nsay assistant<|im_end|>\n<|im_start|>assistant\n⟦assistant<|im_end|>⟧\n"},
	} {
		enc := tinyEncoder(t, dir, c.template)
		ex, err := enc.Encode("x", c.msgs)
		if err != nil {
			t.Fatal(err)
		}
		if got := Preview(enc.Tok, ex); got != c.want {
			t.Errorf("%s: Preview %q, want %q", c.template, got, c.want)
		}
	}
}

func TestFormatResponse(t *testing.T) {
	r, s, ok := SplitReasoning("<think>\n  step 1\nstep 2 \n</think>\n\n**42**")
	if !ok || r != "step 1\nstep 2" || s != "**42**" {
		t.Fatalf("SplitReasoning = %q, %q, %v", r, s, ok)
	}
	if _, _, ok := SplitReasoning("no reasoning"); ok {
		t.Error("SplitReasoning accepted a turn without </think>")
	}
	for _, c := range []struct{ format, token, want string }{
		{"coldstart", DefaultSpecialToken, "|special_token|step 1\nstep 2|special_token|**42**"},
		{"coldstart", "<sep>", "<sep>step 1\nstep 2<sep>**42**"},
		{"r1", "", "<think>\nstep 1\nstep 2\n</think>\n\n**42**"},
	} {
		got, err := FormatResponse(c.format, c.token, r, s)
		if err != nil || got != c.want {
			t.Errorf("FormatResponse(%s, %q) = %q, %v; want %q", c.format, c.token, got, err, c.want)
		}
	}
	if _, err := FormatResponse("other", "", r, s); err == nil {
		t.Error("unknown format accepted")
	}
	// Encoding with format coldstart trains on the cold-start layout.
	enc := tinyEncoder(t, tinyModelDir(t, 1), "none")
	enc.Format, enc.SpecialToken = "coldstart", "|s|"
	ex, err := enc.Encode("f:3", chat("q", "<think>r</think>a"))
	if err != nil {
		t.Fatal(err)
	}
	if got := lossText(enc.Tok, ex); got != "|s|r|s|a<|endoftext|>" {
		t.Errorf("coldstart loss tokens %q", got)
	}
	if got := Preview(enc.Tok, ex); got != "q⟦|s|r|s|a<|endoftext|>⟧" {
		t.Errorf("Preview = %q", got)
	}
	// Cold-start data rewritten into the R1 layout.
	enc.Format = "r1"
	ex, err = enc.Encode("f:5", chat("q", "|s| r |s| a"))
	if err != nil {
		t.Fatal(err)
	}
	if got := Preview(enc.Tok, ex); got != "q⟦<think>\nr\n</think>\n\na<|endoftext|>⟧" {
		t.Errorf("coldstart → r1: %q", got)
	}
	if _, err := enc.Encode("f:4", chat("q", "plain answer")); err == nil || !strings.Contains(err.Error(), "f:4") {
		t.Errorf("format coldstart without reasoning: err %v, want one naming f:4", err)
	}
}

func TestEncodeOverlong(t *testing.T) {
	dir := tinyModelDir(t, 1)
	enc := tinyEncoder(t, dir, "none")
	enc.MaxLength = 10
	ex, err := enc.Encode("d.jsonl:2", chat("abc", "0123456789"))
	if err != nil || !ex.Truncated || len(ex.Tokens) != 10 || ex.LossTokens() != 7 {
		t.Fatalf("truncate: %+v, %v; want 10 tokens, 7 targets", ex, err)
	}
	enc.Overlong = "refuse"
	if _, err := enc.Encode("d.jsonl:2", chat("abc", "0123456789")); err == nil || !strings.Contains(err.Error(), "d.jsonl:2") || !strings.Contains(err.Error(), "max_length 10") {
		t.Errorf("refuse: err %v", err)
	}
	enc.Overlong = "truncate"
	if _, err := enc.Encode("d.jsonl:3", chat("0123456789abc", "x")); err == nil || !strings.Contains(err.Error(), "no assistant token left") {
		t.Errorf("prompt longer than max_length: err %v", err)
	}
}

func writeFile(t testing.TB, path, text string) string {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestLoadBadInput(t *testing.T) {
	dir := tinyModelDir(t, 1)
	tmp := t.TempDir()
	cases := []struct{ name, text, want string }{
		{"noassistant", `{"messages":[{"role":"user","content":"a"},{"role":"assistant","content":"b"}]}` + "\n\n" + `{"messages":[{"role":"user","content":"only a question"}]}` + "\n", "noassistant.jsonl line 3"},
		{"emptycompletion", `{"prompt":"a","completion":"b"}` + "\n" + `{"prompt":"a","completion":"  "}` + "\n", "emptycompletion.jsonl line 2"},
		{"badjson", `{"prompt":"a","completion":"b"}` + "\n" + `{"prompt":` + "\n", "badjson.jsonl line 2"},
	}
	for _, c := range cases {
		path := writeFile(t, filepath.Join(tmp, c.name+".jsonl"), c.text)
		_, _, err := tinyEncoder(t, dir, "none").Load(path, data.ChatMapping{})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err %v, want one naming %s", c.name, err, c.want)
		}
	}
	// An encoding error (overlong: refuse) before a read error is the one reported.
	path0 := writeFile(t, filepath.Join(tmp, "first.jsonl"), `{"prompt":"a","completion":"b"}`+"\n"+`{"prompt":"`+strings.Repeat("p", 300)+`","completion":"c"}`+"\n"+`{"prompt":`+"\n")
	enc0 := tinyEncoder(t, dir, "none")
	enc0.Overlong = "refuse"
	if _, _, err := enc0.Load(path0, data.ChatMapping{}); err == nil || !strings.Contains(err.Error(), "first.jsonl line 2") {
		t.Errorf("first error: %v, want the one of line 2", err)
	}
	// Truncation is counted; a record with no target left is dropped and named.
	path := writeFile(t, filepath.Join(tmp, "long.jsonl"), `{"prompt":"ab","completion":"cdefghijklmnop"}`+"\n"+`{"prompt":"abcdefghijklmnop","completion":"q"}`+"\n"+`{"prompt":"a","completion":"b"}`+"\n")
	enc := tinyEncoder(t, dir, "none")
	enc.MaxLength = 8
	exs, st, err := enc.Load(path, data.ChatMapping{})
	if err != nil {
		t.Fatal(err)
	}
	if len(exs) != 2 || st.Records != 3 || st.Truncated != 2 || st.Dropped != 1 || len(st.DroppedSources) != 1 || st.DroppedSources[0] != path+" line 2" {
		t.Errorf("stats %+v, %d examples", st, len(exs))
	}
}

func TestPack(t *testing.T) {
	mk := func(n int) Example {
		ex := Example{Tokens: make([]int32, n), Loss: make([]bool, n)}
		for i := range ex.Tokens {
			ex.Tokens[i] = int32(n)
			ex.Loss[i] = i > 0
		}
		return ex
	}
	exs := []Example{mk(5), mk(9), mk(3), mk(7), mk(1), mk(6)}
	rows := Pack(exs, 10)
	total := 0
	for _, r := range rows {
		if r.Len() > 10 {
			t.Errorf("row of %d tokens > 10", r.Len())
		}
		total += r.Len()
		for i := range r.Tokens {
			if i > 0 && r.Segments[i] == r.Segments[i-1] {
				if r.Positions[i] != r.Positions[i-1]+1 || r.Tokens[i] != r.Tokens[i-1] {
					t.Errorf("segment broken at %d: %+v", i, r)
				}
			} else if r.Positions[i] != 0 {
				t.Errorf("segment does not start at position 0: %+v", r)
			}
		}
	}
	// 31 tokens in rows of 10: best-fit decreasing needs 4 rows (9+1, 7+3, 6, 5).
	if total != 31 || len(rows) != 4 {
		t.Errorf("%d rows, %d tokens; want 4 rows of 31 tokens: %v", len(rows), total, rows)
	}
	// Two examples in the fullest row; three (1 + 2 + 3 tokens) round up to four.
	if got := MaxSegments(rows); got != 2 {
		t.Errorf("MaxSegments = %d, want 2", got)
	}
	if got := MaxSegments(Pack([]Example{mk(1), mk(2), mk(3)}, 10)); got != 4 {
		t.Errorf("MaxSegments of one row of three examples = %d, want 4", got)
	}
	if got := MaxSegments(nil); got != 1 {
		t.Errorf("MaxSegments of no rows = %d, want 1", got)
	}
}

// runNLL evaluates the summed NLL and target count of one micro-batch.
func runNLL(t *testing.T, b backends.Backend, p *model.Params, rows []Row, B, T int) (float64, float64) {
	t.Helper()
	e := &Evaluator{Backend: b, Params: p, Compute: dtypes.Float32}
	s, c, err := e.Sums(Batch(rows, B, T))
	if err != nil {
		t.Fatal(err)
	}
	return s, c
}

// TestPackingMatchesUnpacked: the loss of examples packed into one row (block-diagonal mask,
// positions restarting per example) equals the loss of each example in a row of its own.
func TestPackingMatchesUnpacked(t *testing.T) {
	dir := tinyModelDir(t, 3)
	b := cpu(t)
	p, err := model.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	enc := tinyEncoder(t, dir, "none")
	var exs []Example
	for _, c := range [][2]string{{"12+30=", "<think>\nsum\n</think>\n\n42"}, {"hello", "world"}, {"abc", "abcabcabc"}} {
		ex, err := enc.Encode("t", chat(c[0], c[1]))
		if err != nil {
			t.Fatal(err)
		}
		exs = append(exs, ex)
	}
	var sumUnpacked, countUnpacked float64
	for _, r := range Unpacked(exs) {
		s, c := runNLL(t, b, p, []Row{r}, 1, 64)
		sumUnpacked += s
		countUnpacked += c
	}
	// Reference: model.Scorer (checked against transformers in package model) scoring each
	// example's completion (its loss tokens, a suffix for the none template).
	var seqs []model.Sequence
	var refCount float64
	for _, ex := range exs {
		first := slices.Index(ex.Loss, true)
		seqs = append(seqs, model.Sequence{Prompt: ex.Tokens[:first], Completion: ex.Tokens[first:]})
		refCount += float64(len(ex.Tokens) - first)
	}
	lps, err := model.NewScorer(b, p, dtypes.Float32).LogProbs(seqs)
	if err != nil {
		t.Fatal(err)
	}
	var ref float64
	for _, lp := range lps {
		for _, x := range lp {
			ref -= float64(x)
		}
	}
	if countUnpacked != refCount || math.Abs(sumUnpacked-ref) > 1e-4*ref {
		t.Errorf("NLL %.6f over %v targets; model.Scorer gives %.6f over %v", sumUnpacked, countUnpacked, ref, refCount)
	}
	packed := Pack(exs, 64)
	if len(packed) != 1 {
		t.Fatalf("want the 3 examples in one row, got %d rows", len(packed))
	}
	s, c := runNLL(t, b, p, packed, 2, 64) // a padding row too
	if c != countUnpacked || math.Abs(s-sumUnpacked) > 1e-4*math.Abs(sumUnpacked) {
		t.Errorf("packed NLL %.6f over %v targets, unpacked %.6f over %v", s, c, sumUnpacked, countUnpacked)
	}
	// Without the block-diagonal mask the examples would see each other: check the test
	// can fail by giving all tokens one segment.
	leak := packed[0]
	leak.Segments = make([]int32, len(leak.Segments))
	for i := range leak.Segments {
		leak.Segments[i] = 1
	}
	if s2, _ := runNLL(t, b, p, []Row{leak}, 1, 64); math.Abs(s2-sumUnpacked) < 1e-3 {
		t.Errorf("one segment for all examples gives the same NLL (%.6f): the mask test cannot fail", s2)
	}
}

// TestPromptTokensGetNoGradient: changing the targets of prompt (weight 0) positions leaves
// the loss and every parameter gradient unchanged; changing a completion target does not.
func TestPromptTokensGetNoGradient(t *testing.T) {
	dir := tinyModelDir(t, 4)
	b := cpu(t)
	p, err := model.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	enc := tinyEncoder(t, dir, "none")
	ex, err := enc.Encode("t", chat("what is 6*7?", "42"))
	if err != nil {
		t.Fatal(err)
	}
	row := Unpacked([]Example{ex})[0]
	np := len(p.Tensors)
	exec := graph.MustNewExec(b, func(in []*graph.Node) []*graph.Node {
		w := model.Bind(p.Config, in[:np], dtypes.Float32)
		loss, _ := Objective{Micro: 1}.Build(w, in[np:])
		grads := graph.Gradient(loss, in[:np]...)
		return append([]*graph.Node{loss}, grads...)
	})
	run := func(r Row) []float32 {
		args := []any{}
		for _, x := range p.Tensors {
			args = append(args, x)
		}
		for _, x := range Batch([]Row{r}, 1, 32) {
			args = append(args, x)
		}
		var flat []float32
		for _, o := range exec.MustExec(args...) {
			o.ConstFlatData(func(f any) { flat = append(flat, f.([]float32)...) })
		}
		return flat
	}
	base := run(row)
	prompt, completion := clone(row), clone(row)
	firstLoss := -1
	for i, w := range row.Weights {
		if w == 0 {
			prompt.Targets[i] = (row.Targets[i] + 7) % 256
		} else if firstLoss < 0 {
			firstLoss = i
		}
	}
	completion.Targets[firstLoss] = (row.Targets[firstLoss] + 7) % 256
	if got := run(prompt); !slices.Equal(got, base) {
		t.Error("changing prompt-token targets changed the loss or a gradient")
	}
	if got := run(completion); slices.Equal(got, base) {
		t.Error("changing a completion target left loss and gradients unchanged: the test cannot fail")
	}
}

func clone(r Row) Row {
	return Row{Tokens: append([]int32(nil), r.Tokens...), Targets: append([]int32(nil), r.Targets...), Weights: append([]float32(nil), r.Weights...),
		Positions: append([]int32(nil), r.Positions...), Segments: append([]int32(nil), r.Segments...)}
}

func tinyData(t testing.TB) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "sft.jsonl")
	lines := []string{
		`{"messages":[{"role":"user","content":"2+2="},{"role":"assistant","content":"<think>two and two</think>4"}]}`,
		`{"messages":[{"role":"user","content":"3*3="},{"role":"assistant","content":"<think>three threes</think>9"}]}`,
		`{"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":"hello!"}]}`,
		`{"messages":[{"role":"user","content":"bye"},{"role":"assistant","content":"see you"}]}`,
	}
	return writeFile(t, path, strings.Join(lines, "\n")+"\n")
}

func tinyConfig(t testing.TB) Config {
	c := DefaultConfig()
	c.Model, c.Data, c.Out = tinyModelDir(t, 5), tinyData(t), t.TempDir()
	c.MaxLength, c.BatchSize, c.EvalShare = 64, 2, 0
	c.LR, c.LRFloor, c.WarmupRatio, c.Steps = 1e-2, 1e-3, 0.1, 40
	c.SaveEvery, c.EvalEvery = 0, 0
	return c
}

// TestLossGoesToZero: the tiny model memorises four short examples.
func TestLossGoesToZero(t *testing.T) {
	b := cpu(t)
	c := tinyConfig(t)
	tr, err := NewTrainer(c, b, dtypes.Float32, false)
	if err != nil {
		t.Fatal(err)
	}
	if tr.Template != "none" {
		t.Errorf("auto template for the tiny tokenizer: %q, want none", tr.Template)
	}
	var losses []float64
	tr.OnStep = func(step int, m map[string]any) { losses = append(losses, m["loss"].(float64)) }
	if err := tr.Run(); err != nil {
		t.Fatal(err)
	}
	t.Logf("losses: %.3f", losses)
	if losses[0] < 4 || losses[len(losses)-1] > 0.1 {
		t.Errorf("loss %.3f → %.3f; want from ≈ ln(264) = 5.6 to below 0.1", losses[0], losses[len(losses)-1])
	}
	if _, step, err := train.Latest(c.Out); err != nil || step != 40 {
		t.Errorf("final checkpoint: step %d, %v", step, err)
	}
	if _, err := model.Load(filepath.Join(c.Out, "checkpoint-40")); err != nil {
		t.Errorf("checkpoint does not load as a model: %v", err)
	}
}

// TestResume: a run killed after step 4 (last checkpoint at 3) and resumed writes the same
// metrics as an uninterrupted run (eval_loss, bucketing and gradient accumulation on).
func TestResume(t *testing.T) {
	for _, mode := range AccumModes {
		t.Run(mode, func(t *testing.T) {
			b := cpu(t)
			c := tinyConfig(t)
			c.Steps, c.SaveEvery, c.EvalEvery, c.GradAccum, c.BatchSize, c.Packing, c.AccumMode = 6, 3, 2, 2, 1, false, mode
			c.EvalData = c.Data
			newTrainer := func(out string, resume bool) *Trainer {
				cc := c
				cc.Out = out
				tr, err := NewTrainer(cc, b, dtypes.Float32, resume)
				if err != nil {
					t.Fatal(err)
				}
				return tr
			}
			full, part := t.TempDir(), t.TempDir()
			if err := newTrainer(full, false).Run(); err != nil {
				t.Fatal(err)
			}
			if err := newTrainer(part, false).RunUntil(4); err != nil {
				t.Fatal(err)
			}
			tr := newTrainer(part, true)
			if tr.StartStep() != 3 {
				t.Fatalf("resumed at step %d, want 3", tr.StartStep())
			}
			if err := tr.Run(); err != nil {
				t.Fatal(err)
			}
			if err := train.CompareLogs(filepath.Join(full, "metrics.jsonl"), filepath.Join(part, "metrics.jsonl"), "time_*", "*_per_s"); err != nil {
				t.Error(err)
			}
		})
	}
}

// TestAccumulationEqualsBigBatch: two micro-batches of one row give the loss and gradients
// of one batch of both rows (the mean over all their completion tokens).
func TestAccumulationEqualsBigBatch(t *testing.T) {
	dir := tinyModelDir(t, 6)
	b := cpu(t)
	p, err := model.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	enc := tinyEncoder(t, dir, "none")
	var rows []Row
	for _, c := range [][2]string{{"1+1=", "2"}, {"say", "something longer"}} {
		ex, err := enc.Encode("t", chat(c[0], c[1]))
		if err != nil {
			t.Fatal(err)
		}
		rows = append(rows, Unpacked([]Example{ex})[0])
	}
	np := len(p.Tensors)
	lossAndGrads := func(micro int, batch []*tensors.Tensor) []float32 {
		exec := graph.MustNewExec(b, func(in []*graph.Node) []*graph.Node {
			w := model.Bind(p.Config, in[:np], dtypes.Float32)
			loss, _ := Objective{Micro: micro}.Build(w, in[np:])
			return append([]*graph.Node{loss}, graph.Gradient(loss, in[:np]...)...)
		})
		args := []any{}
		for _, x := range p.Tensors {
			args = append(args, x)
		}
		for _, x := range batch {
			args = append(args, x)
		}
		var flat []float32
		for _, o := range exec.MustExec(args...) {
			o.ConstFlatData(func(f any) { flat = append(flat, f.([]float32)...) })
		}
		return flat
	}
	big := lossAndGrads(1, Batch(rows, 2, 32))
	acc := lossAndGrads(2, append(Batch(rows[:1], 1, 32), Batch(rows[1:], 1, 32)...))
	var maxDiff, maxAbs float64
	for i := range big {
		maxDiff = max(maxDiff, math.Abs(float64(big[i]-acc[i])))
		maxAbs = max(maxAbs, math.Abs(float64(big[i])))
	}
	if maxDiff > 1e-5*maxAbs {
		t.Errorf("accumulated loss/gradients differ from the big batch by %g (max |value| %g)", maxDiff, maxAbs)
	}
	if math.Abs(float64(big[0]-acc[0])) > 1e-6*math.Abs(float64(big[0])) {
		t.Errorf("loss %v vs %v", big[0], acc[0])
	}
}

// TestExampleConfig: the documented R1 config file loads and validates.
func TestExampleConfig(t *testing.T) {
	c, err := ReadConfig(filepath.Join("testdata", "r1-sft.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	c.Model, c.Data = "m", "d"
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	s := c.Schedule(1000)
	if c.Format != "r1" || c.GradAccum != 4 || s.LR(0) >= 5e-5 || s.LR(29) != 5e-5 || math.Abs(s.LR(1000)-5e-6) > 1e-12 {
		t.Errorf("config %+v, lr %v %v %v", c, s.LR(0), s.LR(29), s.LR(1000))
	}
}

func TestConfig(t *testing.T) {
	dir := t.TempDir()
	path := writeFile(t, filepath.Join(dir, "c.yaml"), "lr: 1e-4\npacking: false\nbatch_sise: 4\n")
	if _, err := ReadConfig(path); err == nil || !strings.Contains(err.Error(), "c.yaml:3") || !strings.Contains(err.Error(), "batch_sise") {
		t.Errorf("unknown key: err %v", err)
	}
	path = writeFile(t, filepath.Join(dir, "ok.yaml"), "lr: 1e-4\npacking: false\nformat: coldstart\n")
	c, err := ReadConfig(path)
	if err != nil || c.LR != 1e-4 || c.Packing || c.Format != "coldstart" || c.LRFloor != 5e-6 {
		t.Errorf("ReadConfig = %+v, %v", c, err)
	}
	c.Model, c.Data = "m", "d"
	for _, kv := range [][2]string{{"grad_accum", "0"}, {"overlong", "drop"}, {"template", "jinja"}, {"eval_share", "1"}} {
		cc := c
		if err := cc.Set(kv[0], kv[1]); err != nil {
			t.Fatal(err)
		}
		if err := cc.Validate(); err == nil || !strings.Contains(err.Error(), kv[0]) {
			t.Errorf("%s=%s: err %v", kv[0], kv[1], err)
		}
	}
	if err := c.Set("packing", "maybe"); err == nil {
		t.Error("packing=maybe accepted")
	}
	fused := c
	fused.FusedAttention = "sometimes"
	if err := fused.Validate(); err == nil || !strings.Contains(err.Error(), "fused_attention") {
		t.Errorf("fused_attention sometimes: err %v", err)
	}
	for _, ok := range []struct {
		mode    string
		packing bool
	}{{"on", false}, {"on", true}, {"auto", true}, {"off", true}} {
		fused.FusedAttention, fused.Packing = ok.mode, ok.packing
		if err := fused.Validate(); err != nil {
			t.Errorf("fused_attention %s, packing %v refused: %v", ok.mode, ok.packing, err)
		}
	}
	if err := c.Validate(); err != nil {
		t.Errorf("valid config refused: %v", err)
	}
}

// TestAccumulatorMatchesFused: one update from two micro-batches run one at a time (loop
// mode) leaves the same weights, loss and gradient norm as the fused two-micro-batch program.
func TestAccumulatorMatchesFused(t *testing.T) {
	dir := tinyModelDir(t, 8)
	b := cpu(t)
	enc := tinyEncoder(t, dir, "none")
	var rows []Row
	for _, c := range [][2]string{{"1+1=", "2"}, {"say", "something longer"}, {"abc", "def"}} {
		ex, err := enc.Encode("t", chat(c[0], c[1]))
		if err != nil {
			t.Fatal(err)
		}
		rows = append(rows, Unpacked([]Example{ex})[0])
	}
	micro := [][]*tensors.Tensor{Batch(rows[:2], 2, 32), Batch(rows[2:], 2, 32)}
	newPolicy := func() *train.Policy {
		p, err := model.Load(dir)
		if err != nil {
			t.Fatal(err)
		}
		return train.NewPolicy(b, p, dtypes.Float32, train.DefaultAdamW())
	}
	fused, loop := newPolicy(), newPolicy()
	rf, err := fused.Update(Objective{Micro: 2}, append(append([]*tensors.Tensor{}, micro[0]...), micro[1]...), 1e-3)
	if err != nil {
		t.Fatal(err)
	}
	rl, err := Accumulate(loop, micro, 1, 1e-3)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(rf.Loss-rl.Loss) > 1e-5*rf.Loss || math.Abs(rf.GradNorm-rl.GradNorm) > 1e-4*rf.GradNorm || rl.Stats["tokens"] != rf.Stats["tokens"] {
		t.Errorf("fused loss %v norm %v tokens %v; loop loss %v norm %v tokens %v", rf.Loss, rf.GradNorm, rf.Stats["tokens"], rl.Loss, rl.GradNorm, rl.Stats["tokens"])
	}
	if loop.Updates != 1 {
		t.Errorf("loop updates %d", loop.Updates)
	}
	var maxDiff, maxMove float64
	orig, _ := model.Load(dir)
	for i := range fused.Params.Tensors {
		a, c, o := flat(fused.Params.Tensors[i]), flat(loop.Params.Tensors[i]), flat(orig.Tensors[i])
		for j := range a {
			maxDiff = max(maxDiff, math.Abs(float64(a[j]-c[j])))
			maxMove = max(maxMove, math.Abs(float64(a[j]-o[j])))
		}
	}
	if maxMove < 1e-4 || maxDiff > 1e-3*maxMove {
		t.Errorf("weights moved by up to %g; loop and fused differ by up to %g", maxMove, maxDiff)
	}
}

func flat(x *tensors.Tensor) []float32 {
	var out []float32
	x.ConstFlatData(func(f any) { out = append(out, f.([]float32)...) })
	return out
}
