package mathverify

import (
	"fmt"
	"testing"
)

// TestVerifyResponses grades realistic model responses, including the ways a response
// can look right without being right.
func TestVerifyResponses(t *testing.T) {
	opts := DefaultOptions()
	tests := []struct {
		name, gold, response string
		want                 bool
	}{
		{"r1 format", `\frac{3}{4}`, "<think>\nThe area is 3/4 of the square.\n</think>\n<answer>\\frac{3}{4}</answer>", true},
		{"r1 format, prose in tag", `72`, "<think>6 * 12 = 72</think> <answer>She needs 72 eggs.</answer>", true},
		{"answer tag beats box in thinking", `6`, "<think>maybe \\boxed{5}</think><answer>6</answer>", true},
		{"box in answer tag", `\sqrt{2}`, "<think>…</think><answer>The length is $\\boxed{\\sqrt 2}$.</answer>", true},
		{"qwen math format", `\frac{\sqrt{3}}{2}`, "So $\\sin 60^\\circ = \\frac{\\sqrt3}{2}$.\n\n**Final Answer**\n\\[\n\\boxed{\\dfrac{\\sqrt{3}}{2}}\n\\]", true},
		{"llama math format", `12`, "Therefore, the final answer is: $\\boxed{12}$. I hope it is correct.", true},
		{"gsm8k format", "…\n#### 1234", "Total is 1,000 + 234.\n#### 1,234", true},
		{"wrong box, right number elsewhere", `12`, "We get 12 at first, but correcting the carry gives $\\boxed{13}$.", false},
		{"box wins over a later phrase", `7`, "So $\\boxed{6}$. Actually the answer is 7.", false},
		{"equation in box", `3`, `Solving, $\boxed{x = 3}$.`, true},
		{"variable outside box", `3`, `Hence $x = \boxed{3}$.`, true},
		{"two roots in two boxes", `3, 5`, `The roots are $\boxed{3}$ and $\boxed{5}$.`, true},
		{"two roots with and", `3, 5`, `The roots are $\boxed{3 \text{ and } 5}$.`, true},
		{"one root of two", `3, 5`, `The root is $\boxed{3}$.`, false},
		{"extra root", `3`, `The roots are $\boxed{3, 5}$.`, false},
		{"ordered pair", `(3,5)`, `The point is $\boxed{(3, 5)}$.`, true},
		{"ordered pair swapped", `(3,5)`, `The point is $\boxed{(5, 3)}$.`, false},
		{"choice in text", `C`, `The answer is $\boxed{\text{(C)}}$.`, true},
		{"choice phrase", `\text{(C)}`, `Comparing the options, the answer is (C).`, true},
		{"wrong choice", `\text{(C)}`, `Comparing the options, the answer is (D).`, false},
		{"percent", `50`, `The discount is $\boxed{50\%}$.`, true},
		{"units in box", `15`, `The area is $\boxed{15\text{ cm}^2}$.`, true},
		{"dollars", `\$18.90`, `She pays $\boxed{\$18.90}$ in total.`, true},
		{"interval", `(-\infty, 2) \cup (3, \infty)`, `So $x \in \boxed{(-\infty,2)\cup(3,\infty)}$.`, true},
		{"inequality answer", `(-\infty, 2)`, `Therefore $\boxed{x < 2}$.`, true},
		{"matrix", `\begin{pmatrix} 1 & 2 \\ 3 & 4 \end{pmatrix}`, `$\boxed{\begin{bmatrix}1&2\\3&4\end{bmatrix}}$`, true},
		{"symbolic", `(x+1)^2`, `Factoring, $\boxed{x^2+2x+1}$.`, true},
		{"symbolic wrong", `(x+1)^2`, `Factoring, $\boxed{x^2+x+1}$.`, false},
		{"last number fallback", `42`, `After all that, I get 42`, true},
		{"truncated response", `42`, `Let me think about this carefully and`, false},
		{"calculation chain", `7`, `$\boxed{3 + 4 = 7}$`, true},
		{"aligned environment", `(1,2)`, `$\boxed{\begin{aligned} x &= 1 \\ y &= 2 \end{aligned}}$`, true},
		{"aligned environment wrong", `(1,2)`, `$\boxed{\begin{aligned} x &= 2 \\ y &= 1 \end{aligned}}$`, false},
		{"aligned equations", `(1,2)`, `$\boxed{x &= 1 \\ y &= 2}$`, true},
		{"restating an equation is not an answer", `5`, `$\boxed{2x + 1 = 11}$`, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := Verify(tc.gold, tc.response, opts)
			if r.Correct != tc.want {
				t.Errorf("Verify(%q, %q) = %v (pred %q, gold %q, err %v), want %v", tc.gold, tc.response, r.Correct, r.Pred, r.Gold, r.Err, tc.want)
			}
		})
	}
}

// TestCasesInResponseFormats puts every table prediction inside the output formats of
// R1 (<answer> tag), Qwen-Math (boxed display math) and Llama ("the final answer is:")
// and checks that the verdict is the table's.
func TestCasesInResponseFormats(t *testing.T) {
	opts := DefaultOptions()
	formats := []string{
		"<think>\nWorking it out carefully.\n</think>\n<answer>%s</answer>",
		"Putting it together.\n\n**Final Answer**\n\\[\n\\boxed{%s}\n\\]",
		"Therefore, the final answer is: $\\boxed{%s}$. I hope it is correct.",
	}
	for _, tc := range equalCases {
		for _, f := range formats {
			resp := fmt.Sprintf(f, tc.pred)
			if r := Verify(tc.gold, resp, opts); r.Correct != tc.want {
				t.Errorf("Verify(%q, %q) = %v (extracted %q, err %v), want %v", tc.gold, resp, r.Correct, r.Pred, r.Err, tc.want)
			}
		}
	}
}
