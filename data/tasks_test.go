package data

import (
	"fmt"
	"math/big"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// evalExpr is an independent recursive-descent evaluator (exact rationals) used to
// check the generated answers: expr = term {(+|-) term}; term = factor {(*|/) factor};
// factor = number | -factor | ( expr ).
func evalExpr(s string) (*big.Rat, error) {
	p := &exprParser{s: strings.ReplaceAll(s, " ", "")}
	v, err := p.expr()
	if err != nil {
		return nil, err
	}
	if p.i != len(p.s) {
		return nil, fmt.Errorf("trailing %q", p.s[p.i:])
	}
	return v, nil
}

type exprParser struct {
	s string
	i int
}

func (p *exprParser) expr() (*big.Rat, error) {
	v, err := p.term()
	for err == nil && p.i < len(p.s) && (p.s[p.i] == '+' || p.s[p.i] == '-') {
		op := p.s[p.i]
		p.i++
		var w *big.Rat
		if w, err = p.term(); err == nil {
			if op == '+' {
				v = new(big.Rat).Add(v, w)
			} else {
				v = new(big.Rat).Sub(v, w)
			}
		}
	}
	return v, err
}

func (p *exprParser) term() (*big.Rat, error) {
	v, err := p.factor()
	for err == nil && p.i < len(p.s) && (p.s[p.i] == '*' || p.s[p.i] == '/') {
		op := p.s[p.i]
		p.i++
		var w *big.Rat
		if w, err = p.factor(); err == nil {
			if op == '*' {
				v = new(big.Rat).Mul(v, w)
			} else if w.Sign() == 0 {
				err = fmt.Errorf("division by zero")
			} else {
				v = new(big.Rat).Quo(v, w)
			}
		}
	}
	return v, err
}

func (p *exprParser) factor() (*big.Rat, error) {
	if p.i >= len(p.s) {
		return nil, fmt.Errorf("unexpected end")
	}
	switch c := p.s[p.i]; {
	case c == '-':
		p.i++
		v, err := p.factor()
		if err != nil {
			return nil, err
		}
		return new(big.Rat).Neg(v), nil
	case c == '(':
		p.i++
		v, err := p.expr()
		if err != nil {
			return nil, err
		}
		if p.i >= len(p.s) || p.s[p.i] != ')' {
			return nil, fmt.Errorf("missing )")
		}
		p.i++
		return v, nil
	case c >= '0' && c <= '9':
		j := p.i
		for j < len(p.s) && p.s[j] >= '0' && p.s[j] <= '9' {
			j++
		}
		v, _ := new(big.Rat).SetString(p.s[p.i:j])
		p.i = j
		return v, nil
	}
	return nil, fmt.Errorf("unexpected %q", p.s[p.i])
}

func allTasks(t *testing.T) []Task {
	t.Helper()
	var out []Task
	for _, name := range []string{"countdown", "arith:1", "arith:2", "arith:3", "arith:4", "arith:5", "copy-digit"} {
		task, err := TaskByName(name)
		if err != nil {
			t.Fatal(err)
		}
		if task.Name() != name {
			t.Fatalf("TaskByName(%q).Name() = %q", name, task.Name())
		}
		out = append(out, task)
	}
	return out
}

func checkAnswer(t *testing.T, task Task, ex Example) {
	t.Helper()
	switch {
	case task.Name() == "countdown":
		nums, _ := ex.Fields["numbers"].([]int)
		target, _ := ex.Fields["target"].(int)
		sol, _ := ex.Fields["solution"].(string)
		if len(nums) < 3 || len(nums) > 4 || target < 1 || target > 999 || ex.Answer != strconv.Itoa(target) {
			t.Fatalf("%s: bad problem %#v", ex.ID, ex)
		}
		for _, n := range nums {
			if n < 1 || n > 99 {
				t.Fatalf("%s: number %d out of range", ex.ID, n)
			}
		}
		v, err := evalExpr(sol)
		if err != nil || v.Cmp(big.NewRat(int64(target), 1)) != 0 {
			t.Fatalf("%s: solution %q = %v (%v), want %d", ex.ID, sol, v, err, target)
		}
		var used []int
		for _, m := range regexp.MustCompile(`\d+`).FindAllString(sol, -1) {
			n, _ := strconv.Atoi(m)
			used = append(used, n)
		}
		a, b := slices.Clone(nums), used
		slices.Sort(a)
		slices.Sort(b)
		if !slices.Equal(a, b) {
			t.Fatalf("%s: solution %q uses %v, numbers are %v", ex.ID, sol, b, a)
		}
		if !strings.Contains(ex.Prompt, intList(nums)) || !strings.Contains(ex.Prompt, "equals "+ex.Answer+".") {
			t.Fatalf("%s: prompt %q does not state the numbers and target", ex.ID, ex.Prompt)
		}
	case strings.HasPrefix(task.Name(), "arith"):
		e, ok := strings.CutPrefix(ex.Prompt, "Compute: ")
		if !ok {
			t.Fatalf("%s: prompt %q", ex.ID, ex.Prompt)
		}
		v, err := evalExpr(e)
		if err != nil || v.RatString() != ex.Answer {
			t.Fatalf("%s: %q = %v (%v), answer says %s", ex.ID, e, v, err, ex.Answer)
		}
	case task.Name() == "copy-digit":
		if ex.Answer != ex.Prompt[len(ex.Prompt)-1:] || !strings.HasPrefix(ex.Prompt, "Copy the last digit: ") {
			t.Fatalf("%s: prompt %q answer %q", ex.ID, ex.Prompt, ex.Answer)
		}
	default:
		t.Fatalf("no check for task %s", task.Name())
	}
}

func TestTasksAnswersAreRight(t *testing.T) {
	for _, task := range allTasks(t) {
		t.Run(task.Name(), func(t *testing.T) {
			for _, ex := range append(task.Train(1, 500), task.Test(200)...) {
				checkAnswer(t, task, ex)
			}
		})
	}
}

func TestTasksDeterministicAndDisjoint(t *testing.T) {
	for _, task := range allTasks(t) {
		t.Run(task.Name(), func(t *testing.T) {
			a, b := task.Train(42, 300), task.Train(42, 300)
			if !reflect.DeepEqual(a, b) {
				t.Fatal("Train(42, 300) differs between calls")
			}
			if len(a) != 300 {
				t.Fatalf("Train gave %d examples, want 300", len(a))
			}
			if c := task.Train(43, 300); reflect.DeepEqual(prompts(a), prompts(c)) {
				t.Fatal("Train with seeds 42 and 43 gave the same prompts")
			}
			test := task.Test(300)
			if len(test) != 300 {
				// Only a small problem space may give fewer: then Test returns all of it.
				if all := task.Test(1000); len(all) != len(test) || len(test) < 10 {
					t.Fatalf("Test(300) gave %d examples, Test(1000) %d", len(test), len(all))
				}
			}
			if !reflect.DeepEqual(task.Test(10), test[:10]) {
				t.Fatal("Test(10) is not a prefix of Test(300)")
			}
			inTest := map[string]bool{}
			for _, ex := range test {
				if inTest[ex.Prompt] {
					t.Fatalf("test set repeats %q", ex.Prompt)
				}
				inTest[ex.Prompt] = true
			}
			for seed := int64(0); seed < 5; seed++ {
				for _, ex := range task.Train(seed, 2000) {
					if inTest[ex.Prompt] {
						t.Fatalf("train seed %d holds test problem %q", seed, ex.Prompt)
					}
				}
			}
		})
	}
}

func prompts(exs []Example) []string {
	out := make([]string, len(exs))
	for i, ex := range exs {
		out[i] = ex.Prompt
	}
	return out
}

// TestTaskTestSetsAreStable pins the first held-out problem of each task: the test
// sets are a benchmark, and a change to a generator must be deliberate.
func TestTaskTestSetsAreStable(t *testing.T) {
	want := map[string][2]string{
		"countdown": {"Using the numbers [24, 15, 69, 66], create an equation that equals 96. " +
			"You can use basic arithmetic operations (+, -, *, /) and each number can only be used once.", "96"},
		"arith:1":    {"Compute: 7 + 3", "10"},
		"arith:2":    {"Compute: 9 + 88", "97"},
		"arith:3":    {"Compute: 47 * 20 - 76", "864"},
		"arith:4":    {"Compute: (102 + 748 - 517) * 499", "166167"},
		"arith:5":    {"Compute: 791 - (-846) + (-766) + 699 + 597", "2167"},
		"copy-digit": {"Copy the last digit: 6 8 3", "3"},
	}
	for _, task := range allTasks(t) {
		ex := task.Test(1)[0]
		if w := want[task.Name()]; ex.Prompt != w[0] || ex.Answer != w[1] {
			t.Errorf("%s: first test problem = {%q, %q}, want {%q, %q}", task.Name(), ex.Prompt, ex.Answer, w[0], w[1])
		}
	}
}

func TestCopyDigitCoversEveryAnswer(t *testing.T) {
	task, _ := TaskByName("copy-digit")
	for name, exs := range map[string][]Example{"train": task.Train(0, 200), "test": task.Test(200)} {
		seen := map[string]bool{}
		for _, ex := range exs {
			seen[ex.Answer] = true
		}
		if len(seen) != 10 {
			t.Errorf("%s split covers %d of 10 answers", name, len(seen))
		}
	}
	// The held-out space is finite: asking for more than exists returns all of it.
	if n := len(task.Test(5000)); n < 1200 || n > 1500 {
		t.Errorf("Test(5000) = %d problems, want the whole held-out space (about 11110/%d)", n, TestShare)
	}
}

func TestArithDifficulty(t *testing.T) {
	for d := 1; d <= 5; d++ {
		task := NewArith(d)
		maxAbs, parens, negatives := 0.0, 0, 0
		for _, ex := range task.Test(300) {
			v, _ := strconv.ParseFloat(ex.Answer, 64)
			maxAbs = max(maxAbs, abs(v))
			if strings.Contains(ex.Prompt, "(") {
				parens++
			}
			if strings.Contains(ex.Prompt, "(-") {
				negatives++
			}
		}
		switch d {
		case 1:
			if maxAbs > 18 || parens > 0 {
				t.Errorf("arith:1 max |answer| %v, %d with parentheses", maxAbs, parens)
			}
		case 2, 3:
			if parens > 0 {
				t.Errorf("arith:%d has %d prompts with parentheses", d, parens)
			}
		case 4:
			if parens == 0 || negatives > 0 {
				t.Errorf("arith:4: %d with parentheses, %d with negative literals", parens, negatives)
			}
		case 5:
			if negatives == 0 || maxAbs < 1e6 {
				t.Errorf("arith:5: %d with negative literals, max |answer| %v", negatives, maxAbs)
			}
		}
	}
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

func TestTaskByNameErrors(t *testing.T) {
	for _, c := range []struct{ name, want string }{
		{"nope", `unknown task "nope" (known: arith, copy-digit, countdown)`},
		{"arith:9", `task arith: difficulty "9": want an integer from 1 to 5`},
		{"arith:x", `task arith: difficulty "x": want an integer from 1 to 5`},
		{"countdown:3", `task countdown takes no parameter, got "3"`},
	} {
		if _, err := TaskByName(c.name); err == nil || err.Error() != c.want {
			t.Errorf("TaskByName(%q) error = %v, want %q", c.name, err, c.want)
		}
	}
	if task, err := TaskByName("arith"); err != nil || task.Name() != "arith:2" {
		t.Errorf("TaskByName(arith) = %v, %v; want the default difficulty 2", task, err)
	}
	if !reflect.DeepEqual(TaskNames(), []string{"arith", "copy-digit", "countdown"}) {
		t.Errorf("TaskNames() = %v", TaskNames())
	}
	for _, n := range TaskNames() {
		if TaskSummary(n) == "" {
			t.Errorf("task %s has no summary", n)
		}
	}
}
