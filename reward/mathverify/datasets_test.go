package mathverify

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// sharedData is where the real benchmark files live on development machines.
const sharedData = "/work/shared/data"

// readJSONL decodes every line of a JSONL file into maps, skipping the test when the
// file is absent.
func readJSONL(t *testing.T, path string) []map[string]any {
	t.Helper()
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		t.Skipf("%s is absent: dataset test skipped (set up /work/shared/data to run it)", path)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var rows []map[string]any
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for line := 1; sc.Scan(); line++ {
		var row map[string]any
		if err := json.Unmarshal(sc.Bytes(), &row); err != nil {
			t.Fatalf("%s:%d: %v", path, line, err)
		}
		rows = append(rows, row)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return rows
}

// TestMATH500Solutions checks that every MATH-500 solution verifies against its own
// answer: the boxed answer of the worked solution equals the reference answer.
func TestMATH500Solutions(t *testing.T) {
	rows := readJSONL(t, filepath.Join(sharedData, "math500", "test.jsonl"))
	opts := DefaultOptions()
	ok := 0
	for i, row := range rows {
		sol, _ := row["solution"].(string)
		ans, _ := row["answer"].(string)
		r := Verify(ans, sol, opts)
		if r.Correct {
			ok++
			continue
		}
		t.Errorf("row %d: answer %q, extracted %q: not verified (err %v)", i+1, ans, r.Pred, r.Err)
	}
	t.Logf("MATH-500: %d/%d solutions verify against their answers (%.1f%%)", ok, len(rows), 100*float64(ok)/float64(len(rows)))
}

var (
	fracRe  = regexp.MustCompile(`\\[dt]?frac\{([^{}]*)\}\{([^{}]*)\}`)
	digitRe = regexp.MustCompile(`[0-9]`)
	intRe   = regexp.MustCompile(`^-?[0-9]+$`)
	mixedRe = regexp.MustCompile(`[0-9]\s*\\[dt]?frac`)
)

// rewrite spells an answer differently without changing its value: fractions as
// (a)/(b), Unicode symbols for some commands, \left/\right dropped, extra spaces.
func rewrite(s string) string {
	if intRe.MatchString(s) {
		return s + ".0"
	}
	for range 4 {
		if mixedRe.MatchString(s) {
			break // 1\frac{4}{5} is a mixed number, not 1·(4/5)
		}
		s = fracRe.ReplaceAllString(s, "(($1)/($2))")
	}
	s = strings.NewReplacer(`\left`, "", `\right`, "", `\pi`, "π ", `\infty`, "∞", `\le `, `\leq `,
		`^\circ`, "°", `\cdot`, "*", `\sqrt`, `√`, `,`, `, `, `\!`, "").Replace(s)
	return s
}

// TestMATH500Rewritten checks every MATH-500 answer against a differently written
// equivalent (through the parser, not string equality) and against a perturbed
// answer (its first digit changed), which must not verify.
func TestMATH500Rewritten(t *testing.T) {
	rows := readJSONL(t, filepath.Join(sharedData, "math500", "test.jsonl"))
	opts := DefaultOptions()
	rewritten, perturbed := 0, 0
	for i, row := range rows {
		ans, _ := row["answer"].(string)
		if alt := rewrite(ans); quickKey(alt) != quickKey(ans) {
			rewritten++
			if ok, err := Compare(ans, alt, opts); !ok {
				t.Errorf("row %d: %q vs rewritten %q: not equal (err %v)", i+1, ans, alt, err)
			}
		}
		if loc := digitRe.FindStringIndex(ans); loc != nil {
			d := ans[loc[0]]
			bad := ans[:loc[0]] + string('0'+(d-'0'+1)%10) + ans[loc[1]:]
			perturbed++
			if ok, _ := Compare(ans, bad, opts); ok {
				t.Errorf("row %d: %q verified against perturbed %q", i+1, ans, bad)
			}
		}
	}
	t.Logf("MATH-500: %d answers rewritten and verified, %d perturbed and rejected", rewritten, perturbed)
}

// TestMATH500ResponseFormats checks that every MATH-500 answer is found and verified in
// the output formats of R1 (<answer> tag), Qwen-Math (boxed display math) and Llama
// ("the final answer is: $\boxed{}$").
func TestMATH500ResponseFormats(t *testing.T) {
	rows := readJSONL(t, filepath.Join(sharedData, "math500", "test.jsonl"))
	opts := DefaultOptions()
	formats := []string{
		"<think>\nWorking it out carefully.\n</think>\n<answer>%s</answer>",
		"Putting it together.\n\n**Final Answer**\n\\[\n\\boxed{%s}\n\\]",
		"Therefore, the final answer is: $\\boxed{%s}$. I hope it is correct.",
	}
	for i, row := range rows {
		ans, _ := row["answer"].(string)
		for _, f := range formats {
			resp := fmt.Sprintf(f, ans)
			if r := Verify(ans, resp, opts); !r.Correct {
				t.Errorf("row %d: %q in %q: extracted %q, not verified (err %v)", i+1, ans, resp, r.Pred, r.Err)
			}
		}
	}
}

// TestGSM8KAnswers checks that every GSM8K answer verifies against its own solution
// and against the number written with thousands separators, a dollar sign or a unit,
// and that a neighbouring number does not.
func TestGSM8KAnswers(t *testing.T) {
	rows := readJSONL(t, filepath.Join(sharedData, "gsm8k", "test.jsonl"))
	opts := DefaultOptions()
	for i, row := range rows {
		sol, _ := row["answer"].(string)
		gold := ExtractGold(sol)
		if gold == "" {
			t.Errorf("row %d: no #### answer", i+1)
			continue
		}
		commas := withCommas(gold)
		for _, pred := range []string{gold, commas, `\$` + commas, commas + " dollars", "The answer is " + commas + ".", `\boxed{` + commas + `}`} {
			if r := Verify(sol, pred, opts); !r.Correct {
				t.Errorf("row %d: gold %q, response %q: extracted %q, not verified (err %v)", i+1, gold, pred, r.Pred, r.Err)
			}
		}
		if r := Verify(sol, `\boxed{`+gold+`1}`, opts); r.Correct {
			t.Errorf("row %d: gold %q verified against %q", i+1, gold, gold+"1")
		}
	}
}

// withCommas writes an integer with comma thousands separators (1234567 → 1,234,567).
func withCommas(s string) string {
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	if strings.ContainsAny(s, ".,/") || len(s) <= 3 {
		if neg {
			return "-" + s
		}
		return s
	}
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}
