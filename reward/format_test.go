package reward

import (
	"math"
	"testing"
)

func TestFormatR1(t *testing.T) {
	f, err := New("format", nil)
	if err != nil {
		t.Fatal(err)
	}
	chatPrompt := "<｜User｜>What is 2+2?<｜Assistant｜><think>\n"
	tests := []struct {
		name               string
		prompt, completion string
		want               float64
	}{
		{"well formed", "Q", "<think>\n2+2 is 4.\n</think>\nThe answer is \\boxed{4}.", 1},
		{"leading whitespace", "Q", "  \n<think>x</think> 4", 1},
		{"prompt opened think", chatPrompt, "2+2 is 4.\n</think>\n\\boxed{4}", 1},
		{"prompt opened, model repeats tag", chatPrompt, "<think>2+2 is 4.</think> 4", 1},
		{"prompt opened, model opens a second think", chatPrompt, "hmm <think>2+2 is 4.</think> 4", 0},
		{"no tags", "Q", "The answer is 4.", 0},
		{"no closing tag (truncated)", "Q", "<think>2+2 is", 0},
		{"text before think", "Q", "Sure! <think>x</think> 4", 0},
		{"empty reasoning", "Q", "<think>  </think> 4", 0},
		{"empty answer", "Q", "<think>2+2=4</think>\n", 0},
		{"two think blocks", "Q", "<think>a</think><think>b</think> 4", 0},
		{"two closing tags", "Q", "<think>a</think> b </think> 4", 0},
		{"close before open", "Q", "</think> a <think> 4", 0},
		{"prompt ends with other text", "Q: <think> means thinking. Answer:", "4", 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := f.Score(Sample{Prompt: tc.prompt, Completion: tc.completion})
			if got.Value != tc.want || got.Err != nil || got.Correct {
				t.Errorf("Score = %+v, want value %v", got, tc.want)
			}
		})
	}
}

func TestFormatR1Zero(t *testing.T) {
	f, err := New("format", map[string]any{"style": "r1-zero"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		completion string
		want       float64
	}{
		{"well formed", "<think> 3*8 = 24 </think> <answer> 3*8 </answer>", 1},
		{"newlines", "<think>\nreason\n</think>\n<answer>\n42\n</answer>\n", 1},
		{"missing answer tags", "<think> r </think> 42", 0},
		{"text after answer", "<think> r </think> <answer>42</answer> and more", 0},
		{"text between", "<think> r </think> so <answer>42</answer>", 0},
		{"answer inside think", "<think> r <answer>42</answer></think>", 0},
		{"two answers", "<think> r </think> <answer>1</answer><answer>2</answer>", 0},
		{"empty answer", "<think> r </think> <answer> </answer>", 0},
		{"answer first", "<answer>42</answer><think> r </think>", 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := f.Score(Sample{Prompt: "A conversation ... Assistant:", Completion: tc.completion})
			if got.Value != tc.want {
				t.Errorf("Score = %+v, want value %v", got, tc.want)
			}
		})
	}
}

func TestFormatPartialAndCustomTags(t *testing.T) {
	zero, err := New("format", map[string]any{"style": "r1-zero", "partial": true})
	if err != nil {
		t.Fatal(err)
	}
	chat, err := New("format", map[string]any{"partial": true})
	if err != nil {
		t.Fatal(err)
	}
	custom, err := New("format", map[string]any{"think_open": "<reasoning>", "think_close": "</reasoning>"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		f    Func
		s    Sample
		want float64
	}{
		// R1-Zero: 4 tags, each present once earns 1/5; only well-formed earns 1.
		{"zero: all tags, well formed", zero, Sample{Completion: "<think>a</think><answer>b</answer>"}, 1},
		{"zero: all tags, text after", zero, Sample{Completion: "<think>a</think><answer>b</answer>x"}, 4.0 / 5},
		{"zero: think only", zero, Sample{Completion: "<think>a</think> b"}, 2.0 / 5},
		{"zero: duplicated think close", zero, Sample{Completion: "<think>a</think></think><answer>b</answer>"}, 3.0 / 5},
		{"zero: nothing", zero, Sample{Completion: "b"}, 0},
		// Chat form with a prompt-opened <think>: only </think> is the model's to write.
		{"chat: prompt opened, closed, empty answer", chat, Sample{Prompt: "<think>\n", Completion: "a</think>"}, 1.0 / 2},
		{"chat: prompt opened, well formed", chat, Sample{Prompt: "<think>\n", Completion: "a</think> b"}, 1},
		{"chat: no tags", chat, Sample{Completion: "b"}, 0},
		{"chat: open only", chat, Sample{Completion: "<think> b"}, 1.0 / 3},
		{"custom tags", custom, Sample{Completion: "<reasoning>r</reasoning> 4"}, 1},
		{"custom tags, default tags used", custom, Sample{Completion: "<think>r</think> 4"}, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.f.Score(tc.s).Value
			if math.Abs(got-tc.want) > 1e-12 {
				t.Errorf("value = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestFormatBadOptions(t *testing.T) {
	bad := []map[string]any{
		{"style": "r2"},
		{"think_open": ""},
		{"think_open": "<t>", "think_close": "<t>"},
		{"prompt_think": "maybe"},
		{"partial": "sometimes"},
		{"strict": true},
	}
	for _, p := range bad {
		if _, err := New("format", p); err == nil {
			t.Errorf("New(format, %v) succeeded, want an error", p)
		}
	}
}
