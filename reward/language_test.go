package reward

import (
	"math"
	"strings"
	"testing"
)

func TestWordScripts(t *testing.T) {
	tests := []struct {
		text       string
		ignoreMath bool
		want       map[string]int
	}{
		{"Let me think about it.", true, map[string]int{"Latin": 5}},
		{"我们来算一下", true, map[string]int{"Han": 6}},
		{"首先 compute 2+2", true, map[string]int{"Han": 2, "Latin": 1}},
		{"café naïve", true, map[string]int{"Latin": 2}},      // accented letters stay in one word
		{"e\u0301te\u0301", true, map[string]int{"Latin": 1}}, // combining marks continue a word
		{"Привет мир", true, map[string]int{"Cyrillic": 2}},
		{"ひらがなカタカナ漢字", true, map[string]int{"Hiragana": 4, "Katakana": 4, "Han": 2}},
		{"안녕 하세요", true, map[string]int{"Hangul": 5}},
		{"x^2 + 3 = 7, 12345 !!!", false, map[string]int{"Latin": 1}},
		{`因为 $\frac{a}{b}$ 所以 \sqrt{x}`, true, map[string]int{"Han": 4, "Latin": 1}}, // the {x} argument remains
		{`因为 $\frac{a}{b}$ 所以`, false, map[string]int{"Han": 4, "Latin": 3}},
		{"代码：\n```python\nprint('hello world')\n```\n结束", true, map[string]int{"Han": 4}},
		{"abcΔέλτα", true, map[string]int{"Latin": 1, "Greek": 1}}, // a script change splits a word
		{"", true, map[string]int{}},
	}
	for _, tc := range tests {
		got := WordScripts(tc.text, tc.ignoreMath)
		if len(got) != len(tc.want) {
			t.Errorf("WordScripts(%q) = %v, want %v", tc.text, got, tc.want)
			continue
		}
		for k, v := range tc.want {
			if got[k] != v {
				t.Errorf("WordScripts(%q) = %v, want %v", tc.text, got, tc.want)
				break
			}
		}
	}
}

func TestLanguageShare(t *testing.T) {
	english := "First, let me compute the sum of the two numbers. Then I check it."
	chinese := "首先计算两个数的和然后检查结果"
	mixed := "First compute 两个数的和 then check"
	tests := []struct {
		text, lang string
		want       float64
	}{
		{english, "en", 1},
		{english, "zh", 0},
		{chinese, "zh", 1},
		{chinese, "en", 0},
		{mixed, "en", 4.0 / 9}, // First compute then check | 两 个 数 的 和
		{mixed, "zh", 5.0 / 9},
		{"日本語のテキスト", "ja", 1},       // kanji, hiragana and katakana
		{"日本語のテキスト", "zh", 3.0 / 8}, // only the kanji
		{"Это тест and test", "ru", 2.0 / 4},
		{"12 + 30 = 42", "en", 0}, // no words
	}
	for _, tc := range tests {
		got, err := LanguageShare(tc.text, tc.lang)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("LanguageShare(%q, %s) = %v, want %v", tc.text, tc.lang, got, tc.want)
		}
	}
	if _, err := LanguageShare("x", "klingon"); err == nil || !strings.Contains(err.Error(), "unknown language") {
		t.Errorf("unknown language: err = %v", err)
	}
}

func TestLanguageReward(t *testing.T) {
	en, err := New("language", nil)
	if err != nil {
		t.Fatal(err)
	}
	zh, err := New("language", map[string]any{"lang": "zh"})
	if err != nil {
		t.Fatal(err)
	}
	all, err := New("language", map[string]any{"lang": "zh", "scope": "all"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		f    Func
		s    Sample
		want float64
	}{
		// Only the chain of thought counts: the Chinese answer after </think> is ignored.
		{"cot only", en, Sample{Completion: "<think>Add the numbers now</think> 答案是四"}, 1},
		{"prompt-opened think", en, Sample{Prompt: "<think>\n", Completion: "add them 然后 check</think> ok"}, 3.0 / 5},
		{"chinese cot", zh, Sample{Completion: "<think>先算和 then</think> Answer"}, 3.0 / 4},
		{"scope all", all, Sample{Completion: "<think>先算和 then</think> Answer"}, 3.0 / 5},
		{"truncated think", zh, Sample{Completion: "<think>先算"}, 1},
		{"no words", en, Sample{Completion: "<think>1+1=2</think> 2"}, 0},
	}
	for _, tc := range tests {
		got := tc.f.Score(tc.s)
		if math.Abs(got.Value-tc.want) > 1e-12 || got.Err != nil {
			t.Errorf("%s: %+v, want %v", tc.name, got, tc.want)
		}
	}
	for _, p := range []map[string]any{{"lang": "xx"}, {"scope": "answer"}, {"lang": 3}} {
		if _, err := New("language", p); err == nil {
			t.Errorf("New(language, %v) succeeded", p)
		}
	}
}

func TestMixesLanguages(t *testing.T) {
	tests := []struct {
		text string
		want bool
	}{
		{"Let me compute the sum of these two numbers and then verify the result carefully.", false},
		{"首先计算这两个数的和，然后仔细验证结果。", false},
		{"日本語のテキストです", false}, // kanji + kana is one writing system
		{"Let me compute 这两个数的和 and then verify.", true},
		// A few foreign words in a long text are tolerated (fewer than 3, or under 2%).
		{"首先计算这两个数的和 GRPO 然后仔细验证结果", false},
		{strings.Repeat("word ", 300) + "一二三四五", false}, // 5 of 305 words: 1.6%
		{strings.Repeat("word ", 100) + "一二三四五", true},  // 5 of 105 words: 4.8%
		{`计算 $x^2 + y^2$ 的值`, false},                    // math is ignored
		{"Это тест на смешанный текст with some English", true},
		{"", false},
	}
	for _, tc := range tests {
		if got := MixesLanguages(tc.text); got != tc.want {
			t.Errorf("MixesLanguages(%.40q) = %v, want %v (counts %v)", tc.text, got, tc.want, WordScripts(tc.text, true))
		}
	}
}

func TestReflective(t *testing.T) {
	tests := []struct {
		text    string
		phrases []string
		want    bool
		count   int
	}{
		{"Wait, that is wrong.", nil, true, 1},
		{"WAIT. Let me check again. Hmm.", nil, true, 3},
		{"Let me\n  double-check the sum.", nil, true, 1},
		{"let me verify: 2+2=4. On second thought, re-examine the premise.", nil, true, 3},
		{"I awaited the result; the waiter checked it.", nil, false, 0},
		{"The answer is 4.", nil, false, 0},
		{"We reconsidered nothing.", nil, false, 0}, // "reconsider" needs a word boundary
		{"Aha! I see.", []string{"aha", "i see"}, true, 2},
		{"Wait.", []string{"aha"}, false, 0},
		{"anything", []string{}, false, 0},
		{"a.b", []string{"a.b"}, true, 1}, // phrases are quoted, not regexps
		{"axb", []string{"a.b"}, false, 0},
		{"(maybe) yes", []string{"(maybe)"}, true, 1},
	}
	for _, tc := range tests {
		if got := Reflective(tc.text, tc.phrases); got != tc.want {
			t.Errorf("Reflective(%q, %v) = %v, want %v", tc.text, tc.phrases, got, tc.want)
		}
		if got := CountReflective(tc.text, tc.phrases); got != tc.count {
			t.Errorf("CountReflective(%q, %v) = %d, want %d", tc.text, tc.phrases, got, tc.count)
		}
	}
}
