package data

import (
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"
)

// Task is a built-in synthetic reasoning task: a generator of problems with their
// answers and the reward that scores them.
//
// Train and test sets are disjoint by construction: every problem belongs to exactly
// one split, decided by a hash of its prompt (TestShare of the problem space is held
// out), so no seed or size can make a training problem appear in the test set.
type Task interface {
	// Name is the name TaskByName accepts.
	Name() string
	// Reward is the reward spec that scores the task, e.g. "countdown:1,format:1"
	// (see reward.ParseSpec).
	Reward() string
	// Train returns n training problems drawn with the given seed (duplicates possible
	// when the problem space is small).
	Train(seed int64, n int) []Example
	// Test returns the first n problems of the fixed held-out test set: the same for
	// every call, and a prefix of Test(m) for m > n. Tasks with a small problem space
	// return fewer than n when the held-out space is exhausted.
	Test(n int) []Example
}

// TestShare is the fraction (1/TestShare) of each task's problem space held out for testing.
const TestShare = 8

// testSeed seeds every task's test set; train seeds are mixed with the task name.
const testSeed = 0x7e57

// taskInfo describes one registered task.
type taskInfo struct {
	summary string
	build   func(param string) (Task, error)
}

func tasks() map[string]taskInfo {
	return map[string]taskInfo{
		"countdown": {"TinyZero countdown: reach the target with + - * / over 3-4 given numbers, solvable by construction",
			func(p string) (Task, error) {
				if p != "" {
					return nil, fmt.Errorf("task countdown takes no parameter, got %q", p)
				}
				return countdownTask{}, nil
			}},
		"arith": {"integer arithmetic; arith:D sets the difficulty D = 1 (one-digit a±b) … 5 (five signed 3-digit operands, nested parentheses), default 2",
			func(p string) (Task, error) {
				d := 2
				if p != "" {
					var err error
					if d, err = strconv.Atoi(p); err != nil || d < 1 || d > 5 {
						return nil, fmt.Errorf("task arith: difficulty %q: want an integer from 1 to 5", p)
					}
				}
				return NewArith(d), nil
			}},
		"copy-digit": {"copy the last digit of a short digit string: a warm-up task whose reward is dense for a tiny random model (accuracy about 7% by chance, format with partial credit)",
			func(p string) (Task, error) {
				if p != "" {
					return nil, fmt.Errorf("task copy-digit takes no parameter, got %q", p)
				}
				return copyDigitTask{}, nil
			}},
	}
}

// TaskNames lists the built-in tasks, sorted. Some take a parameter after a colon
// (arith:3); TaskSummary explains each.
func TaskNames() []string {
	var names []string
	for n := range tasks() {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// TaskSummary returns a one-line description of the named task.
func TaskSummary(name string) string {
	base, _, _ := strings.Cut(name, ":")
	return tasks()[base].summary
}

// TaskByName returns the built-in task called name; "name:param" passes a parameter
// (the difficulty of arith).
func TaskByName(name string) (Task, error) {
	base, param, _ := strings.Cut(name, ":")
	info, ok := tasks()[base]
	if !ok {
		return nil, fmt.Errorf("unknown task %q (known: %s)", name, strings.Join(TaskNames(), ", "))
	}
	return info.build(param)
}

// inTest reports whether the problem with this key belongs to the task's test split.
func inTest(task, key string) bool {
	h := fnv.New64a()
	h.Write([]byte(task))
	h.Write([]byte{0})
	h.Write([]byte(key))
	return h.Sum64()%TestShare == 0
}

// maxMisses bounds the consecutive draws without a new problem before generate
// concludes that the split is exhausted.
const maxMisses = 100000

// generate draws problems from gen until n of the wanted split are found, giving up
// after maxMisses draws in a row without one (for splits smaller than n). The test
// split never repeats a problem; the train split may.
func generate(task string, seed int64, n int, test bool, gen func(r *rand.Rand) Example) []Example {
	h := fnv.New64a()
	h.Write([]byte(task))
	r := rand.New(rand.NewPCG(uint64(seed), h.Sum64()))
	out := make([]Example, 0, max(n, 0))
	seen := map[string]bool{}
	misses := 0 // consecutive draws that gave nothing new
	for len(out) < n && misses < maxMisses {
		ex := gen(r)
		if inTest(task, ex.Prompt) != test || (test && seen[ex.Prompt]) {
			misses++
			continue
		}
		misses = 0
		if test {
			seen[ex.Prompt] = true
			ex.ID = fmt.Sprintf("%s-test-%d", task, len(out))
		} else {
			ex.ID = fmt.Sprintf("%s-train-%d-%d", task, seed, len(out))
		}
		out = append(out, ex)
	}
	return out
}

// countdownTask is the TinyZero countdown game.
type countdownTask struct{}

func (countdownTask) Name() string   { return "countdown" }
func (countdownTask) Reward() string { return "countdown:1,format:1" }
func (t countdownTask) Train(seed int64, n int) []Example {
	return generate(t.Name(), seed, n, false, genCountdown)
}
func (t countdownTask) Test(n int) []Example {
	return generate(t.Name(), testSeed, n, true, genCountdown)
}

// genCountdown builds a countdown problem that is solvable by construction: it draws
// 3 or 4 numbers in [1, 99] and folds them with random operations into the target
// (subtraction kept positive, division only when exact, the target in [1, 999]), so
// the folding expression uses every number exactly once and is a solution.
func genCountdown(r *rand.Rand) Example {
	for {
		k := 3 + r.IntN(2)
		nums := make([]int, k)
		for i := range nums {
			nums[i] = 1 + r.IntN(99)
		}
		type item struct {
			val  int
			expr string
			atom bool
		}
		items := make([]item, k)
		for i, v := range nums {
			items[i] = item{v, strconv.Itoa(v), true}
		}
		ok := true
		for len(items) > 1 && ok {
			i := r.IntN(len(items))
			j := r.IntN(len(items) - 1)
			if j >= i {
				j++
			}
			a, b := items[i], items[j]
			if a.val < b.val {
				a, b = b, a
			}
			paren := func(it item) string {
				if it.atom {
					return it.expr
				}
				return "(" + it.expr + ")"
			}
			var c item
			switch r.IntN(4) {
			case 0:
				c = item{a.val + b.val, paren(a) + " + " + paren(b), false}
			case 1:
				if a.val == b.val {
					ok = false
					continue
				}
				c = item{a.val - b.val, paren(a) + " - " + paren(b), false}
			case 2:
				c = item{a.val * b.val, paren(a) + " * " + paren(b), false}
			case 3:
				if b.val <= 1 || a.val%b.val != 0 {
					ok = false
					continue
				}
				c = item{a.val / b.val, paren(a) + " / " + paren(b), false}
			}
			if c.val > 999 {
				ok = false
				continue
			}
			rest := make([]item, 0, len(items)-1)
			for x, it := range items {
				if x != i && x != j {
					rest = append(rest, it)
				}
			}
			items = append(rest, c)
		}
		if !ok || items[0].val < 1 {
			continue
		}
		target := items[0].val
		prompt := fmt.Sprintf("Using the numbers %s, create an equation that equals %d. "+
			"You can use basic arithmetic operations (+, -, *, /) and each number can only be used once.",
			intList(nums), target)
		return Example{
			Prompt: prompt,
			Answer: strconv.Itoa(target),
			Fields: map[string]any{"numbers": nums, "target": target, "solution": items[0].expr},
		}
	}
}

func intList(nums []int) string {
	s := make([]string, len(nums))
	for i, v := range nums {
		s[i] = strconv.Itoa(v)
	}
	return "[" + strings.Join(s, ", ") + "]"
}

// Arith is integer arithmetic at a difficulty from 1 to 5:
//
//	1: a + b or a - b, one-digit operands
//	2: a op b, op in + - *, operands 0-99
//	3: three operands 0-99, + - *, usual precedence, no parentheses
//	4: four operands 0-999, + - *, parentheses where the expression tree needs them
//	5: five operands -999..999, + - *, nested parentheses
type Arith struct {
	Difficulty int
}

// NewArith returns the arith task at difficulty d (clamped to 1..5).
func NewArith(d int) Arith { return Arith{Difficulty: min(max(d, 1), 5)} }

// Name returns "arith:D".
func (a Arith) Name() string { return "arith:" + strconv.Itoa(a.Difficulty) }

// Reward returns "integer:1,format:1".
func (a Arith) Reward() string { return "integer:1,format:1" }

// Train returns n training problems.
func (a Arith) Train(seed int64, n int) []Example { return generate(a.Name(), seed, n, false, a.gen) }

// Test returns the first n held-out problems.
func (a Arith) Test(n int) []Example { return generate(a.Name(), testSeed, n, true, a.gen) }

// expr is a node of a generated arithmetic expression.
type expr struct {
	op   byte // 0 for a literal
	val  int64
	l, r *expr
}

func (e *expr) eval() int64 {
	switch e.op {
	case '+':
		return e.l.eval() + e.r.eval()
	case '-':
		return e.l.eval() - e.r.eval()
	case '*':
		return e.l.eval() * e.r.eval()
	}
	return e.val
}

func prec(e *expr) int {
	switch e.op {
	case '+', '-':
		return 1
	case '*':
		return 2
	}
	return 3
}

// String renders e with the parentheses its tree needs under the usual precedence;
// negative literals are parenthesised.
func (e *expr) String() string {
	if e.op == 0 {
		if e.val < 0 {
			return "(" + strconv.FormatInt(e.val, 10) + ")"
		}
		return strconv.FormatInt(e.val, 10)
	}
	l, r := e.l.String(), e.r.String()
	if prec(e.l) < prec(e) {
		l = "(" + l + ")"
	}
	if prec(e.r) < prec(e) || (prec(e.r) == prec(e) && e.op == '-') {
		r = "(" + r + ")"
	}
	return l + " " + string(e.op) + " " + r
}

func (a Arith) gen(r *rand.Rand) Example {
	lit := func(lo, hi int) *expr { return &expr{val: int64(lo + r.IntN(hi-lo+1))} }
	var e *expr
	switch a.Difficulty {
	case 1:
		e = &expr{op: "+-"[r.IntN(2)], l: lit(0, 9), r: lit(0, 9)}
	case 2:
		e = &expr{op: "+-*"[r.IntN(3)], l: lit(0, 99), r: lit(0, 99)}
	case 3:
		// Left-to-right with precedence: a op1 b op2 c, built as the tree the usual
		// parse would give, so the rendering has no parentheses.
		x, y, z := lit(0, 99), lit(0, 99), lit(0, 99)
		op1, op2 := "+-*"[r.IntN(3)], "+-*"[r.IntN(3)]
		if op2 == '*' && op1 != '*' {
			e = &expr{op: op1, l: x, r: &expr{op: op2, l: y, r: z}}
		} else {
			e = &expr{op: op2, l: &expr{op: op1, l: x, r: y}, r: z}
		}
	case 4:
		e = randomTree(r, 4, func() *expr { return lit(0, 999) })
	default:
		e = randomTree(r, 5, func() *expr { return lit(-999, 999) })
	}
	return Example{
		Prompt: "Compute: " + e.String(),
		Answer: strconv.FormatInt(e.eval(), 10),
		Fields: map[string]any{"difficulty": a.Difficulty},
	}
}

// randomTree builds a random binary expression tree with n literal leaves.
func randomTree(r *rand.Rand, n int, leaf func() *expr) *expr {
	if n == 1 {
		return leaf()
	}
	k := 1 + r.IntN(n-1)
	return &expr{op: "+-*"[r.IntN(3)], l: randomTree(r, k, leaf), r: randomTree(r, n-k, leaf)}
}

// copyDigitTask asks for the last digit of a string of 1 to 4 digits:
// "Copy the last digit: 3 5 1 7" → "7".
//
// It is the warm-up task for a tiny randomly initialised model, built for a dense
// reward signal:
//   - the answer is the prompt's final character (with the "none" template), so the
//     model can learn to copy it from the last position before attention learns much;
//   - the accuracy term is the integer reward (final number of the answer text), right
//     by chance for about 7% of random completions, and there are ten answers;
//   - the format term gives partial credit (each R1-Zero tag written exactly once earns
//     1/5), a context-free behaviour a random model finds within a few steps, as R1-Zero
//     learns its format before its accuracy; the special tokens of the embedded tiny
//     tokenizer make each tag a single token.
//
// Measured with the embedded tiny model (2 layers, byte-level vocabulary), 8 prompts ×
// 8 samples, 16-token completions, lr 3e-3, template none: the mean reward went from
// 0.07 to 0.25–0.33 within 20 steps, driven by the format term, and stayed there up
// to step 100; accuracy stayed at 1–5% (the integer reward reads the last number, and
// the model does not learn to stop after one digit in that budget). The digits before the last one give 11,110 distinct prompts,
// enough for disjoint train and test splits that both cover every answer.
type copyDigitTask struct{}

func (copyDigitTask) Name() string   { return "copy-digit" }
func (copyDigitTask) Reward() string { return "integer:1,format(partial=true):1" }
func (t copyDigitTask) Train(seed int64, n int) []Example {
	return generate(t.Name(), seed, n, false, genCopyDigit)
}
func (t copyDigitTask) Test(n int) []Example {
	return generate(t.Name(), testSeed, n, true, genCopyDigit)
}

func genCopyDigit(r *rand.Rand) Example {
	k := 1 + r.IntN(4)
	d := make([]string, k)
	for i := range d {
		d[i] = strconv.Itoa(r.IntN(10))
	}
	return Example{
		Prompt: "Copy the last digit: " + strings.Join(d, " "),
		Answer: d[k-1],
		Fields: map[string]any{},
	}
}
