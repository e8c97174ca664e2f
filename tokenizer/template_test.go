package tokenizer

import (
	"bufio"
	"encoding/json"
	"os"
	"strings"
	"testing"
)

// TestTemplatesJinja compares the Go templates with the original Jinja templates
// rendered by transformers.js (testdata/templates.jsonl, made by make_templates.js).
func TestTemplatesJinja(t *testing.T) {
	f, err := os.Open("testdata/templates.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	n := 0
	for sc.Scan() {
		var c struct {
			Template string    `json:"template"`
			Messages []Message `json:"messages"`
			Gen      bool      `json:"add_generation_prompt"`
			Text     string    `json:"text"`
		}
		if err := json.Unmarshal(sc.Bytes(), &c); err != nil {
			t.Fatal(err)
		}
		tpl, err := TemplateByName(c.Template)
		if err != nil {
			t.Fatal(err)
		}
		if got := tpl.Render(c.Messages, c.Gen); got != c.Text {
			t.Errorf("%s(gen=%v) %v:\n got %q\nwant %q", c.Template, c.Gen, c.Messages, got, c.Text)
		}
		n++
	}
	if n < 20 {
		t.Fatalf("only %d template cases", n)
	}
}

func TestTemplates(t *testing.T) {
	q := []Message{{"system", "ignored by r1zero"}, {"user", "first"}, {"assistant", "a"}, {"user", "What is 1+1?"}}
	hist := []Message{{"user", "u1"}, {"assistant", "<think>\nr1\n</think>\n\nans1"}, {"user", "u2"}}
	sft := []Message{{"user", "q"}, {"assistant", "<think>\nr\n</think>\n\na"}}
	r1zeroWant := "A conversation between User and Assistant. The user asks a question, and the Assistant solves it. The assistant first thinks about the reasoning process in the mind and then provides the user with the answer. The reasoning process and answer are enclosed within <think> </think> and <answer> </answer> tags, respectively, i.e., <think> reasoning process here </think> <answer> answer here </answer>. User: What is 1+1?. Assistant:"
	for _, c := range []struct {
		name string
		msgs []Message
		gen  bool
		want string
	}{
		{"r1zero", q, false, r1zeroWant},
		{"r1zero", q, true, r1zeroWant + " <think>\n"},
		{"r1zero", sft, false, strings.Replace(r1zeroWant, "What is 1+1?", "q", 1) + " <think>\nr\n</think>\n\na"},
		{"r1", hist, true, "<｜begin▁of▁sentence｜><｜User｜>u1<｜Assistant｜>\n\nans1<｜end▁of▁sentence｜><｜User｜>u2<｜Assistant｜><think>\n"},
		{"r1", sft, false, "<｜begin▁of▁sentence｜><｜User｜>q<｜Assistant｜><think>\nr\n</think>\n\na<｜end▁of▁sentence｜>"},
		{"chatml-think", hist, true, "<|im_start|>user\nu1<|im_end|>\n<|im_start|>assistant\nans1<|im_end|>\n<|im_start|>user\nu2<|im_end|>\n<|im_start|>assistant\n<think>\n"},
		{"chatml-think", sft, false, "<|im_start|>user\nq<|im_end|>\n<|im_start|>assistant\n<think>\nr\n</think>\n\na<|im_end|>\n"},
		{"none", q, true, "What is 1+1?"},
		{"none", sft, false, "q<think>\nr\n</think>\n\na"},
		{"none", nil, true, ""},
		{"r1zero", nil, false, strings.Replace(r1zeroWant, "What is 1+1?", "", 1)},
	} {
		tpl, err := TemplateByName(c.name)
		if err != nil {
			t.Fatal(err)
		}
		if got := tpl.Render(c.msgs, c.gen); got != c.want {
			t.Errorf("%s(gen=%v):\n got %q\nwant %q", c.name, c.gen, got, c.want)
		}
	}
	if R1ZeroPrompt != strings.Replace(r1zeroWant, "What is 1+1?", "{prompt}", 1) {
		t.Error("R1ZeroPrompt is not the DESIGN.md text")
	}
}

func TestTemplateByName(t *testing.T) {
	names := TemplateNames()
	want := []string{"r1zero", "r1", "chatml", "chatml-think", "none"}
	if strings.Join(names, ",") != strings.Join(want, ",") {
		t.Errorf("TemplateNames = %v, want %v", names, want)
	}
	for _, n := range names {
		tpl, err := TemplateByName(n)
		if err != nil || tpl.Name() != n {
			t.Errorf("TemplateByName(%q) = %v, %v", n, tpl, err)
		}
	}
	_, err := TemplateByName("llama")
	if err == nil || !strings.Contains(err.Error(), `unknown chat template "llama"`) || !strings.Contains(err.Error(), "r1zero") {
		t.Errorf("TemplateByName(llama) err = %v", err)
	}
	for name, want := range map[string]string{"r1zero": "<think>\n", "r1": "<think>\n", "chatml": "", "chatml-think": "<think>\n", "none": ""} {
		tpl, _ := TemplateByName(name)
		if got := ThinkPrefix(tpl); got != want {
			t.Errorf("ThinkPrefix(%s) = %q, want %q", name, got, want)
		}
		// The generation prompt ends with exactly the think prefix.
		if got := tpl.Render([]Message{{"user", "x"}}, true); want != "" && !strings.HasSuffix(got, want) {
			t.Errorf("%s generation prompt %q does not end with %q", name, got, want)
		}
	}
}

// TestTemplateTokens checks that the markers the templates write are single special
// tokens of the real tokenizers (so Encode of a rendered prompt is what the models saw).
func TestTemplateTokens(t *testing.T) {
	ds := loadRef(t, "deepseek_v3")
	tpl, _ := TemplateByName("r1")
	ids := ds.Encode(tpl.Render([]Message{{"user", "hi"}}, true))
	bos, ok := ds.BOS()
	if !ok || ids[0] != bos || !ds.AddBOS() {
		t.Errorf("r1 prompt ids %v do not start with BOS %d (add_bos_token %v)", ids, bos, ds.AddBOS())
	}
	user, _ := ds.TokenID(R1User)
	asst, _ := ds.TokenID(R1Assistant)
	if ids[1] != user || !containsID(ids, asst) {
		t.Errorf("r1 prompt ids %v lack <｜User｜> %d / <｜Assistant｜> %d", ids, user, asst)
	}
	qw := loadRef(t, "qwen3")
	ids = qw.Encode(mustTemplate("chatml").Render([]Message{{"user", "hi"}}, true))
	start, _ := qw.TokenID("<|im_start|>")
	end, _ := qw.TokenID("<|im_end|>")
	if ids[0] != start || !containsID(ids, end) {
		t.Errorf("chatml prompt ids %v", ids)
	}
}

func mustTemplate(name string) Template {
	t, err := TemplateByName(name)
	if err != nil {
		panic(err)
	}
	return t
}

func containsID(ids []int32, id int32) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}
