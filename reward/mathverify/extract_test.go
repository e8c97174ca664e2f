package mathverify

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

func TestExtractAnswer(t *testing.T) {
	all := DefaultOptions()
	only := func(m ExtractMode) Options { o := DefaultOptions(); o.Extract = m; return o }
	tests := []struct {
		name, response string
		opts           Options
		want           string
		ok             bool
	}{
		{"boxed", `So the result is $\boxed{42}$.`, all, `42`, true},
		{"nested braces", `Thus $\boxed{\frac{\sqrt{3}}{2}}$`, all, `\frac{\sqrt{3}}{2}`, true},
		{"last box wins", `First \boxed{1}, after checking: the total is 7. Final: \boxed{2}`, all, `2`, true},
		{"box beats a right number elsewhere", `The answer is 5. Therefore \boxed{6}`, all, `6`, true},
		{"fbox", `\fbox{17}`, all, `17`, true},
		{"boxed with space", `hence \boxed 5 is it`, all, `5`, true},
		{"boxed with space in math", `$\boxed 5$`, all, `5`, true},
		{"escaped braces in box", `\boxed{\{1,2\}}`, all, `\{1,2\}`, true},
		{"joined boxes", `The roots are $\boxed{1}$ and $\boxed{-2}$.`, all, `1, -2`, true},
		{"joined boxes with comma", `\boxed{3}, \boxed{5}`, all, `3, 5`, true},
		{"boxes apart are not joined", `\boxed{3} is wrong, so we get \boxed{5}`, all, `5`, true},
		{"unbalanced last box falls back to earlier", `\boxed{7} then \boxed{8`, all, `7`, true},
		{"answer tag", `<think>2+2 is 4, or 5?</think> <answer>4</answer>`, all, `4`, true},
		{"answer tag with box", `<think>…</think><answer>The answer is $\boxed{\frac12}$</answer>`, all, `\frac12`, true},
		{"answer tag with math", `<think>x</think><answer> $x = 3$ </answer>`, all, `x = 3`, true},
		{"answer tag with matrix", `<answer>\begin{pmatrix} 1 \\ 2 \end{pmatrix}</answer>`, all, `\begin{pmatrix} 1 \\ 2 \end{pmatrix}`, true},
		{"answer tag with text", `<answer>\text{Evelyn}</answer>`, all, `\text{Evelyn}`, true},
		{"answer tag prose", `<think>x</think><answer>We get 12 apples in total.</answer>`, all, `12`, true},
		{"answer tag over box in think", `<think>maybe \boxed{3}</think><answer>4</answer>`, all, `4`, true},
		{"last answer tag", `<answer>1</answer> wait <answer>2</answer>`, all, `2`, true},
		{"unclosed answer tag ignored", `<answer>1</answer> <answer>2`, all, `1`, true},
		{"empty answer tag falls back", `<answer> </answer> so \boxed{9}`, all, `9`, true},
		{"the answer is", `Adding up, the answer is 17.`, all, `17`, true},
		{"the answer is math", `So the answer is $\frac{3}{4}$, as claimed.`, all, `\frac{3}{4}`, true},
		{"final answer colon", "Final Answer: 3\\sqrt{2}\nDone", all, `3\sqrt{2}`, true},
		{"final answer bold", `**Final answer:** $x=5$`, all, `x=5`, true},
		{"answer is decimal", `The answer is 3.5. Next`, all, `3.5`, true},
		{"last phrase wins", `The answer is 3. Hmm, actually the answer is 4.`, all, `4`, true},
		{"phrase with two spans", `So the answer is $x = \frac{1}{2}$ or $x = -3$.`, all, `x = \frac{1}{2} or x = -3`, true},
		{"phrase math then prose", `The answer is $5$, because 2+3 = 5.`, all, `5`, true},
		{"phrase then display math", "The final answer is\n$$\n7\n$$", all, `7`, true},
		{"gsm8k marker", "She pays 3 * 4 = 12 dollars.\n#### 12", all, `12`, true},
		{"marker beats earlier phrase", "The answer is 3.\nNo wait.\n#### 4", all, `4`, true},
		{"llama math format", `Therefore, the final answer is: $\boxed{12}$. I hope it is correct.`, all, `12`, true},
		{"answer choice phrase", `The answer is (B).`, all, `(B)`, true},
		{"final answer heading", "**Final Answer**\n\\[\n\\boxed{\\dfrac{3}{4}}\n\\]", all, `\dfrac{3}{4}`, true},
		{"last math", `We find $x = 2$ and then $y = 7$`, all, `y = 7`, true},
		{"number after a symbolic span", `Let $x$ be the count. Doubling gives 10, so it is 5`, all, `5`, true},
		{"numeric span beats a later number", `The value is $5.25$ (rounded to 2 places)`, all, `5.25`, true},
		{"last display math", `so \[ 5\pi \] is the area`, all, `5\pi`, true},
		{"currency dollars are not math", `He pays $10 for apples and $8 for pears, so 18 in total.`, all, `18`, true},
		{"last number", `I think it's 12 or maybe 13 apples`, all, `13`, true},
		{"last number with commas", `Total: 1,234,567 dollars`, all, `1,234,567`, true},
		{"last number negative decimal", `temperature fell to -3.5 degrees`, all, `-3.5`, true},
		{"last number fraction", `probability 3/4`, all, `3/4`, true},
		{"nothing", `I don't know.`, all, ``, false},
		{"empty", ``, all, ``, false},
		{"boxed only: no box", `the answer is 5`, only(ExtractBoxed), ``, false},
		{"boxed only", `the answer is 5, \boxed{6}`, only(ExtractBoxed), `6`, true},
		{"phrase only", `\boxed{6} the answer is 5`, only(ExtractPhrase), `5`, true},
		{"no last number", `it is 5 apples`, only(ExtractBoxed | ExtractPhrase | ExtractLastMath), ``, false},
		{"tag only ignores box", `\boxed{6}`, only(ExtractAnswerTag), ``, false},
		{"zero options extract nothing", `\boxed{6}`, Options{}, ``, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := ExtractAnswer(tc.response, tc.opts)
			if got != tc.want || ok != tc.ok {
				t.Errorf("ExtractAnswer(%q) = %q, %v; want %q, %v", tc.response, got, ok, tc.want, tc.ok)
			}
		})
	}
}

func TestExtractGold(t *testing.T) {
	tests := []struct{ in, want string }{
		{`Hence $\boxed{\left( 3, \frac{\pi}{2} \right)}.$`, `\left( 3, \frac{\pi}{2} \right)`},
		{"She makes 9 * 2 = $<<9*2=18>>18 every day.\n#### 18", `18`},
		{"#### 1,000", `1,000`},
		{`  \frac{1}{2} `, `\frac{1}{2}`},
	}
	for _, tc := range tests {
		if got := ExtractGold(tc.in); got != tc.want {
			t.Errorf("ExtractGold(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestVerify(t *testing.T) {
	opts := DefaultOptions()
	tests := []struct {
		name, gold, response string
		correct              bool
		err                  error
	}{
		{"bare gold", `\frac{1}{2}`, `so \boxed{0.5}`, true, nil},
		{"boxed gold", `We get $\boxed{\frac{1}{2}}$.`, `<answer>1/2</answer>`, true, nil},
		{"gsm8k gold", "3 + 4 = 7\n#### 7", `The answer is 7.`, true, nil},
		{"wrong box beats right number", `5`, `5 apples plus 1 gives \boxed{6}`, false, nil},
		{"wrong", `\frac{1}{2}`, `\boxed{\frac{1}{3}}`, false, nil},
		{"no answer", `5`, `no idea`, false, ErrNoAnswer},
		{"unparseable prediction", `5`, `\boxed{\frac{1}{}}`, false, ErrParse},
		{"too long", `5`, `\boxed{` + strings.Repeat("1+", 5000) + `1}`, false, ErrTooLong},
		{"bad gold", `\frac{1}{}`, `\boxed{1}`, false, ErrGold},
		{"bad gold is still parse error", `\frac{1}{}`, `\boxed{1}`, false, ErrParse},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := Verify(tc.gold, tc.response, opts)
			if r.Correct != tc.correct {
				t.Errorf("Verify(%q, %q).Correct = %v (pred %q, gold %q, err %v), want %v", tc.gold, tc.response, r.Correct, r.Pred, r.Gold, r.Err, tc.correct)
			}
			if tc.err == nil && r.Err != nil || tc.err != nil && !errors.Is(r.Err, tc.err) {
				t.Errorf("Verify(%q, %q).Err = %v, want %v", tc.gold, tc.response, r.Err, tc.err)
			}
			if errors.Is(r.Err, ErrGold) != strings.HasPrefix(fmt.Sprint(r.Err), "gold: ") {
				t.Errorf("Verify(%q, %q).Err = %q: ErrGold and the \"gold: \" prefix disagree", tc.gold, tc.response, r.Err)
			}
		})
	}
}

// TestOptions checks the options that change verdicts.
func TestOptions(t *testing.T) {
	with := func(f func(*Options)) Options { o := DefaultOptions(); f(&o); return o }
	prec2 := with(func(o *Options) { o.Precision = 2 })
	frac := with(func(o *Options) { o.Percent = PercentFraction })
	num := with(func(o *Options) { o.Percent = PercentNumber })
	comma := with(func(o *Options) { o.DecimalComma = true })
	noRad := with(func(o *Options) { o.DegreesAsRadians = false })
	loose := with(func(o *Options) { o.RelTol = 1e-3 })
	tests := []struct {
		name       string
		opts       Options
		gold, pred string
		want       bool
	}{
		{"precision rounds both", prec2, `\frac{1}{3}`, `0.333`, true},
		{"precision irrational", prec2, `\pi`, `3.14`, true},
		{"precision still rejects", prec2, `\pi`, `3.15`, false},
		{"precision of integers", prec2, `3`, `3.001`, true},
		{"no precision by default", DefaultOptions(), `\pi`, `3.14`, false},
		{"percent as fraction", frac, `50\%`, `0.5`, true},
		{"percent as fraction rejects number", frac, `50\%`, `50`, false},
		{"percent as number", num, `50\%`, `50`, true},
		{"percent as number rejects fraction", num, `50\%`, `0.5`, false},
		{"decimal comma", comma, `3.5`, `3,5`, true},
		{"decimal comma keeps thousands", comma, `3500`, `3,500`, true},
		{"no decimal comma: list", DefaultOptions(), `3.5`, `3,5`, false},
		{"braced decimal comma always", DefaultOptions(), `3.5`, `3{,}5`, true},
		{"degrees not radians", noRad, `30^\circ`, `\frac{\pi}{6}`, false},
		{"degrees still numbers", noRad, `30^\circ`, `30`, true},
		{"relative tolerance", loose, `\pi`, `\sqrt{9.8696}`, true},
		{"relative tolerance too tight", DefaultOptions(), `\pi`, `\sqrt{9.8696}`, false},
		{"rational approximation of an irrational", loose, `\pi`, `3.1416`, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got, err := Compare(tc.gold, tc.pred, tc.opts); got != tc.want {
				t.Errorf("Compare(%q, %q) = %v (err %v), want %v", tc.gold, tc.pred, got, err, tc.want)
			}
		})
	}
}

// TestPathological checks that hostile inputs return quickly with an error or a verdict.
func TestPathological(t *testing.T) {
	opts := DefaultOptions()
	big := strings.Repeat("1", 1<<20)
	tests := []struct {
		name, gold, response string
		correct              bool
		err                  error // nil: a plain verdict
	}{
		{"100k nested braces", `1`, `\boxed{` + strings.Repeat("{", 100000) + "1" + strings.Repeat("}", 100000) + `}`, false, ErrTooLong},
		{"100k unclosed braces", `1`, `\boxed{` + strings.Repeat("{", 100000), false, ErrNoAnswer},
		{"deep nesting under the length limit", `1`, `\boxed{` + strings.Repeat("(", 2000) + "1" + strings.Repeat(")", 2000) + `}`, false, ErrParse},
		{"deep fractions", `1`, `\boxed{` + strings.Repeat(`\frac{1}{`, 400) + "1" + strings.Repeat("}", 400) + `}`, false, ErrParse},
		{"tower of powers", `1`, `\boxed{2^{2^{100}}}`, false, nil},
		{"tower of powers equals itself", `2^{2^{100}}`, `\boxed{2^{2^{100}}}`, true, nil},
		{"huge power", `1`, `\boxed{10^{10^{10}}}`, false, nil},
		{"one to a huge power", `1`, `\boxed{1^{10^{30}}}`, true, nil},
		{"minus one to a huge odd power", `-1`, `\boxed{(-1)^{10^{30}+1}}`, true, nil},
		{"power tower chain", `1`, `\boxed{2^2^2^2^2^2^2^2^2^2}`, false, nil},
		{"huge factorial", `1`, `\boxed{100000000!}`, false, nil},
		{"symbolic huge power", `x`, `\boxed{x^{2^{100}}}`, false, nil},
		{"huge exponent of a negative power", `0`, `\boxed{2^{-9223372036854775808}}`, false, nil},
		{"1 MB answer", `1`, `\boxed{` + big + `}`, false, ErrTooLong},
		{"1 MB answer in tags", `1`, `<answer>` + big + `</answer>`, false, ErrTooLong},
		{"150k unclosed boxes", `1`, `</think>` + strings.Repeat(`\boxed{`, 150000), false, ErrNoAnswer},
		{"70k unclosed fbox and box pairs", `1`, `</think>` + strings.Repeat(`\fbox{\boxed{`, 70000), false, ErrNoAnswer},
		{"a box before 150k unclosed boxes", `1`, `\boxed{1}` + strings.Repeat(`\boxed{`, 150000), true, nil},
		{"150k nested boxes, only the empty innermost closed", `1`, strings.Repeat(`\boxed{`, 150000) + `}`, false, ErrNoAnswer},
		{"150k escaped braces in a box", `1`, `\boxed{` + strings.Repeat(`\{`, 150000) + `}`, false, ErrTooLong},
		{"1 MB response without box", `1`, big, false, ErrNoAnswer},
		{"1 MB of text", `1`, strings.Repeat("the answer is ", 80000), false, ErrNoAnswer},
		{"1 MB of dollars", `1`, strings.Repeat("$", 1<<20), false, ErrNoAnswer},
		{"many boxes", `1`, strings.Repeat(`\boxed{1} and `, 50000), true, nil},
		{"many ± expansions", `1`, `\boxed{` + strings.Repeat(`1\pm `, 40) + `1}`, false, nil},
		{"long list", `1`, `\boxed{` + strings.Repeat("1,", 2000) + `1}`, false, ErrParse},
		{"long set against long set", strings.Repeat("1,", 200) + `1`, `\boxed{` + strings.Repeat("2,", 200) + `1}`, false, nil},
		{"big equal sets", `\{` + seq(1, 256) + `\}`, `\boxed{\{` + seq(256, 1) + `\}}`, true, nil},
		{"big symbolic sets", `\{` + seqSym(1, 128) + `\}`, `\boxed{\{` + seqSym(128, 1) + `\}}`, true, nil},
		{"too many symbolic elements", `\{` + seqSym(1, 250) + `\}`, `\boxed{\{` + seqSym(250, 1) + `\}}`, false, ErrTooComplex},
		{"nested sets", strings.Repeat(`\{1,`, 30) + "1" + strings.Repeat(`\}`, 30), `\boxed{` + strings.Repeat(`\{2,`, 30) + "1" + strings.Repeat(`\}`, 30) + `}`, false, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// The fastest of three runs in process CPU time (wall time where that is
			// unavailable), so that other processes on a shared CI machine do not make
			// the bound flaky.
			best := time.Hour
			var r Result
			for range 3 {
				start, cpu0 := time.Now(), cpuSeconds()
				r = Verify(tc.gold, tc.response, opts)
				d := time.Since(start)
				if cpu0 > 0 {
					d = time.Duration((cpuSeconds() - cpu0) * float64(time.Second))
				}
				best = min(best, d)
			}
			if best > 100*time.Millisecond {
				t.Errorf("took %v (correct %v, err %v)", best, r.Correct, r.Err)
			}
			if r.Correct != tc.correct || tc.err == nil && r.Err != nil || tc.err != nil && !errors.Is(r.Err, tc.err) {
				t.Errorf("got correct %v, err %v; want %v, %v", r.Correct, r.Err, tc.correct, tc.err)
			}
			t.Logf("%v: correct %v, err %v", best, r.Correct, r.Err)
		})
	}
}

func TestOptionsValidate(t *testing.T) {
	if err := DefaultOptions().Validate(); err != nil {
		t.Errorf("DefaultOptions().Validate() = %v", err)
	}
	if err := (Options{}).Validate(); err != nil {
		t.Errorf("Options{}.Validate() = %v", err)
	}
	tests := []struct {
		name  string
		edit  func(*Options)
		field string
	}{
		{"extract bits", func(o *Options) { o.Extract = 0x80 }, "Extract"},
		{"percent mode", func(o *Options) { o.Percent = 7 }, "Percent"},
		{"negative precision", func(o *Options) { o.Precision = -1 }, "Precision"},
		{"huge precision", func(o *Options) { o.Precision = 31 }, "Precision"},
		{"negative tolerance", func(o *Options) { o.RelTol = -1e-9 }, "RelTol"},
		{"tolerance one", func(o *Options) { o.RelTol = 1 }, "RelTol"},
		{"negative max length", func(o *Options) { o.MaxLen = -1 }, "MaxLen"},
		{"too many points", func(o *Options) { o.Points = 65 }, "Points"},
	}
	for _, tc := range tests {
		o := DefaultOptions()
		tc.edit(&o)
		err := o.Validate()
		if err == nil || !strings.Contains(err.Error(), tc.field+":") {
			t.Errorf("%s: Validate() = %v, want an error naming %s", tc.name, err, tc.field)
		}
	}
}

// seq writes the integers from a to b (either direction) separated by commas.
func seq(a, b int) string {
	var parts []string
	step := 1
	if b < a {
		step = -1
	}
	for i := a; ; i += step {
		parts = append(parts, fmt.Sprint(i))
		if i == b {
			break
		}
	}
	return strings.Join(parts, ",")
}

// seqSym is seq with each integer n written as n\sqrt{2}, so no element is rational.
func seqSym(a, b int) string {
	parts := strings.Split(seq(a, b), ",")
	for i, p := range parts {
		parts[i] = p + `\sqrt{2}`
	}
	return strings.Join(parts, ",")
}

// TestExtractUnclosedBoxesLinear checks that extraction from a response full of
// unclosed boxes costs time linear in its length: it was quadratic (1.5 s at 8,000
// boxes), because every unclosed box was scanned to the end of the response.
func TestExtractUnclosedBoxesLinear(t *testing.T) {
	opts := DefaultOptions()
	for _, n := range []int{1000, 10000, 150000} {
		s := "</think>" + strings.Repeat(`\boxed{`, n)
		best := time.Hour
		for range 3 {
			start, cpu0 := time.Now(), cpuSeconds()
			a, ok := ExtractAnswer(s, opts)
			d := time.Since(start)
			if cpu0 > 0 {
				d = time.Duration((cpuSeconds() - cpu0) * float64(time.Second))
			}
			best = min(best, d)
			if ok || a != "" {
				t.Errorf("n = %d: ExtractAnswer = %q, %v; want nothing", n, a, ok)
			}
		}
		if best > 100*time.Millisecond {
			t.Errorf("n = %d unclosed boxes: extraction took %v CPU, want < 100ms", n, best)
		}
	}
}

// forwardClose is the reference for braces.closing: the forward scan from the '{' at
// j, skipping the character after each backslash, as extraction did before it was
// made linear.
func forwardClose(s string, j int) int {
	depth := 0
	for k := j; k < len(s); k++ {
		switch s[k] {
		case '\\':
			k++
		case '{':
			depth++
		case '}':
			depth--
			if depth == 0 {
				return k
			}
		}
	}
	return -1
}

// TestBracesMatchForwardScan checks the backward brace matcher against the forward
// scan on random strings of braces, backslashes and letters, querying every unescaped
// '{' from the last to the first (lastBoxed's order) and then a few out of order.
func TestBracesMatchForwardScan(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	const alphabet = `{{}}\\a`
	for trial := range 3000 {
		b := make([]byte, rng.IntN(40))
		for i := range b {
			b[i] = alphabet[rng.IntN(len(alphabet))]
		}
		s := string(b)
		var opens []int
		for k := 0; k < len(s); k++ {
			switch s[k] {
			case '\\':
				k++
			case '{':
				opens = append(opens, k)
			}
		}
		br := newBraces(s)
		for q := len(opens) - 1; q >= 0; q-- {
			j := opens[q]
			if got, want := br.closing(j), forwardClose(s, j); got != want {
				t.Fatalf("trial %d: closing(%q, %d) = %d, want %d", trial, s, j, got, want)
			}
		}
		for range 3 {
			if len(opens) == 0 {
				break
			}
			j := opens[rng.IntN(len(opens))]
			if got, want := br.closing(j), forwardClose(s, j); got != want {
				t.Fatalf("trial %d: out-of-order closing(%q, %d) = %d, want %d", trial, s, j, got, want)
			}
		}
	}
}
