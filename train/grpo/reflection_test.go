package grpo

import "testing"

func TestReflective(t *testing.T) {
	phrases := DefaultConfig().ReflectionPhrases
	tests := []struct {
		text string
		want bool
	}{
		{"Wait, that is wrong.", true},
		{"so x = 3.\nWAIT. Let me redo it", true},
		{"Let me\n  check the sum again", true},
		{"I need to re-examine step 2", true},
		{"We awaited the result; waiting is fine.", false},
		{"the waitress", false},
		{"letme check", false},
		{"<think>计算 wait 一下</think>", true},
		{"", false},
	}
	for _, tc := range tests {
		if got := Reflective(tc.text, phrases); got != tc.want {
			t.Errorf("Reflective(%q) = %v, want %v", tc.text, got, tc.want)
		}
	}
	texts := []string{"wait", "no", "Let me verify: ok", "x"}
	if got := ReflectionRate(texts, phrases); got != 0.5 {
		t.Errorf("ReflectionRate = %v, want 0.5", got)
	}
	if got := ReflectionRate(nil, phrases); got != 0 {
		t.Errorf("ReflectionRate(nil) = %v", got)
	}
	if Reflective("wait", nil) || Reflective("wait", []string{"  "}) {
		t.Errorf("no phrases must match nothing")
	}
}
