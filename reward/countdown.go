package reward

import (
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Limits of the countdown parser: inputs beyond them are rejected with an error, so that
// no model output can make the reward slow.
const (
	MaxEquationBytes = 4096 // longest equation accepted
	MaxNestingDepth  = 64   // deepest nesting of parentheses and unary signs
	MaxNumberDigits  = 40   // longest numeric literal
	MaxGivenNumbers  = 64   // most numbers a countdown problem may give
)

// CountdownOptions configures the countdown reward.
type CountdownOptions struct {
	// ExactlyOnce requires every given number to be used exactly once. The default (false)
	// allows each given number at most once, so a subset of the numbers may be used.
	ExactlyOnce bool
	// FormatScore is the reward for an equation that parses but is wrong (TinyZero uses
	// 0.1); the default is 0.
	FormatScore float64
}

// CountdownReward scores countdown answers: an arithmetic equation over the given numbers
// (+ - * / and parentheses, exact rational arithmetic) that must evaluate to the target.
// The equation is the content of the last <answer>…</answer> (else the text after
// </think>, else the completion), its last non-empty line, without a surrounding
// \boxed{} or $…$; a trailing "= <number>" (or leading "<number> =") is allowed.
type CountdownReward struct {
	opts CountdownOptions
}

// NewCountdown returns a countdown reward with the given options.
func NewCountdown(o CountdownOptions) *CountdownReward { return &CountdownReward{opts: o} }

func newCountdown(p *params) (Func, error) {
	var o CountdownOptions
	o.ExactlyOnce = p.Bool("exactly_once", false)
	o.FormatScore = p.Float("format_score", 0)
	if p.err != nil {
		return nil, p.err
	}
	if o.FormatScore < 0 || o.FormatScore > 1 {
		return nil, fmt.Errorf("reward \"countdown\": parameter \"format_score\": want a value in [0, 1], got %v", o.FormatScore)
	}
	return NewCountdown(o), nil
}

// Name returns "countdown".
func (c *CountdownReward) Name() string { return "countdown" }

// IsAccuracy reports true: countdown is a verifier.
func (c *CountdownReward) IsAccuracy() bool { return true }

// Score checks the equation in s's completion against s.Fields["numbers"] and the target
// (s.Fields["target"], else s.Gold).
func (c *CountdownReward) Score(s Sample) Score {
	numsField, ok := s.Fields["numbers"]
	if !ok {
		numsField, ok = s.Fields["nums"]
	}
	if !ok {
		return Score{Err: errors.New(`countdown: sample has no "numbers" field`)}
	}
	nums, err := ratList(numsField)
	if err != nil {
		return Score{Err: fmt.Errorf(`countdown: field "numbers": %w`, err)}
	}
	var target *big.Rat
	if t, has := s.Fields["target"]; has {
		target, err = toRat(t)
		if err != nil {
			return Score{Err: fmt.Errorf(`countdown: field "target": %w`, err)}
		}
	} else if strings.TrimSpace(s.Gold) != "" {
		target, err = toRat(s.Gold)
		if err != nil {
			return Score{Err: fmt.Errorf("countdown: gold target: %w", err)}
		}
	} else {
		return Score{Err: errors.New(`countdown: sample has no "target" field and no gold answer`)}
	}
	gold := ratString(target)
	eq := countdownEquation(FullCompletion(s))
	if eq == "" {
		return Score{Gold: gold, Note: "no equation found"}
	}
	v, err := CheckCountdown(eq, nums, c.opts.ExactlyOnce)
	if err != nil {
		return Score{Pred: eq, Gold: gold, Note: err.Error()}
	}
	if v.Cmp(target) != 0 {
		return Score{Value: c.opts.FormatScore, Pred: eq, Gold: gold,
			Note: fmt.Sprintf("equation evaluates to %s, not %s", ratString(v), gold)}
	}
	return Score{Value: 1, Correct: true, Pred: eq, Gold: gold}
}

// countdownEquation extracts the equation text from a completion.
func countdownEquation(completion string) string {
	a := AnswerText(completion)
	if i := strings.LastIndex(strings.TrimRight(a, " \t\r\n"), "\n"); i >= 0 {
		a = a[i+1:]
	}
	a = strings.TrimSpace(a)
	if b, ok := LastBoxed(a); ok {
		a = b
	}
	a = strings.TrimSpace(strings.Trim(strings.TrimSpace(a), "$"))
	a = strings.TrimSuffix(a, ".")
	return strings.TrimSpace(a)
}

// CheckCountdown parses equation, checks that it uses only the given numbers (each at most
// once, or exactly once when exactlyOnce), and returns its exact value. One side of an
// "=" may be a plain number (the claimed result); the other side is evaluated.
func CheckCountdown(equation string, numbers []*big.Rat, exactlyOnce bool) (*big.Rat, error) {
	if len(equation) > MaxEquationBytes {
		return nil, fmt.Errorf("equation too long (%d bytes, limit %d)", len(equation), MaxEquationBytes)
	}
	if len(numbers) > MaxGivenNumbers {
		return nil, fmt.Errorf("too many given numbers (%d, limit %d)", len(numbers), MaxGivenNumbers)
	}
	expr := equation
	if parts := strings.Split(equation, "="); len(parts) > 2 {
		return nil, errors.New("more than one '=' in the equation")
	} else if len(parts) == 2 {
		l, r := strings.TrimSpace(parts[0]), strings.TrimSpace(parts[1])
		switch {
		case isPlainNumber(r):
			expr = l
		case isPlainNumber(l):
			expr = r
		default:
			return nil, errors.New("neither side of '=' is a plain number")
		}
	}
	val, lits, err := ParseArithmetic(expr)
	if err != nil {
		return nil, err
	}
	used := make([]bool, len(numbers))
	for _, lit := range lits {
		found, seen := false, false
		for i, n := range numbers {
			if n.Cmp(lit) != 0 {
				continue
			}
			seen = true
			if !used[i] {
				used[i] = true
				found = true
				break
			}
		}
		if !found {
			if seen {
				return nil, fmt.Errorf("number %s used more times than given", ratString(lit))
			}
			return nil, fmt.Errorf("number %s is not among the given numbers", ratString(lit))
		}
	}
	if exactlyOnce {
		for i, u := range used {
			if !u {
				return nil, fmt.Errorf("number %s not used", ratString(numbers[i]))
			}
		}
	}
	return val, nil
}

// isPlainNumber reports whether s is an unsigned or signed decimal literal.
func isPlainNumber(s string) bool {
	s = strings.TrimPrefix(s, "-")
	if s == "" || len(s) > MaxNumberDigits {
		return false
	}
	dot := false
	for i, r := range s {
		switch {
		case r >= '0' && r <= '9':
		case r == '.' && !dot && i > 0 && i < len(s)-1:
			dot = true
		default:
			return false
		}
	}
	return true
}

// ParseArithmetic parses an arithmetic expression over decimal numbers with + - * /
// (also × ÷ · − and \times \div \cdot), unary signs and parentheses (or brackets), and
// returns its exact value and the numeric literals it contains, in order. It evaluates
// nothing but arithmetic, rejects division by zero, implicit multiplication and inputs
// beyond MaxEquationBytes, MaxNestingDepth and MaxNumberDigits, and never panics.
func ParseArithmetic(expr string) (*big.Rat, []*big.Rat, error) {
	if len(expr) > MaxEquationBytes {
		return nil, nil, fmt.Errorf("expression too long (%d bytes, limit %d)", len(expr), MaxEquationBytes)
	}
	if !utf8.ValidString(expr) {
		return nil, nil, errors.New("expression is not valid UTF-8")
	}
	toks, err := lexArithmetic(expr)
	if err != nil {
		return nil, nil, err
	}
	p := &arithParser{toks: toks}
	v, err := p.expr(0)
	if err != nil {
		return nil, nil, err
	}
	if p.pos < len(p.toks) {
		t := p.toks[p.pos]
		return nil, nil, fmt.Errorf("unexpected %q at offset %d", t.text, t.off)
	}
	return v, p.lits, nil
}

// arithToken is one token: an operator byte ('+', '-', '*', '/', '(', ')') or a number.
type arithToken struct {
	op   byte     // 0 for a number
	num  *big.Rat // the number's value
	text string   // as written
	off  int      // byte offset in the input
}

// latexOps maps the LaTeX commands the arithmetic parser accepts to operators (' ': ignored).
var latexOps = map[string]byte{`\times`: '*', `\cdot`: '*', `\div`: '/', `\left`: ' ', `\right`: ' '}

func lexArithmetic(s string) ([]arithToken, error) {
	toks := make([]arithToken, 0, 16)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == ' ' || r == '\t' || r == '\n' || r == '\r':
			i += size
		case r >= '0' && r <= '9' || r == '.':
			j := i
			for j < len(s) && (s[j] >= '0' && s[j] <= '9' || s[j] == '.') {
				j++
			}
			text := s[i:j]
			if j-i > MaxNumberDigits {
				return nil, fmt.Errorf("number at offset %d has more than %d digits", i, MaxNumberDigits)
			}
			if !isPlainNumber(text) {
				return nil, fmt.Errorf("malformed number %q at offset %d", text, i)
			}
			v := new(big.Rat)
			if n, err := strconv.ParseInt(text, 10, 64); err == nil {
				v.SetInt64(n) // the common case, much cheaper than SetString
			} else if _, ok := v.SetString(text); !ok {
				return nil, fmt.Errorf("malformed number %q at offset %d", text, i)
			}
			toks = append(toks, arithToken{num: v, text: text, off: i})
			i = j
		case r == '\\':
			j := i + 1
			for j < len(s) && (s[j] >= 'a' && s[j] <= 'z' || s[j] >= 'A' && s[j] <= 'Z') {
				j++
			}
			op, ok := latexOps[s[i:j]]
			if !ok {
				return nil, fmt.Errorf("unexpected %q at offset %d", s[i:j], i)
			}
			if op != ' ' {
				toks = append(toks, arithToken{op: op, text: s[i:j], off: i})
			}
			i = j
		default:
			var op byte
			switch r {
			case '+':
				op = '+'
			case '-', '−', '–':
				op = '-'
			case '*', '×', '·':
				op = '*'
			case '/', '÷':
				op = '/'
			case '(', '[', '{':
				op = '('
			case ')', ']', '}':
				op = ')'
			default:
				return nil, fmt.Errorf("unexpected %q at offset %d", string(r), i)
			}
			toks = append(toks, arithToken{op: op, text: s[i : i+size], off: i})
			i += size
		}
	}
	return toks, nil
}

// arithParser is a recursive-descent parser over arithTokens that evaluates as it goes.
type arithParser struct {
	toks []arithToken
	pos  int
	lits []*big.Rat
}

func (p *arithParser) peek() byte {
	if p.pos < len(p.toks) && p.toks[p.pos].op != 0 {
		return p.toks[p.pos].op
	}
	return 0
}

// expr := term (('+'|'-') term)*
func (p *arithParser) expr(depth int) (*big.Rat, error) {
	v, err := p.term(depth)
	if err != nil {
		return nil, err
	}
	for {
		op := p.peek()
		if op != '+' && op != '-' {
			return v, nil
		}
		p.pos++
		w, err := p.term(depth)
		if err != nil {
			return nil, err
		}
		if op == '+' {
			v.Add(v, w)
		} else {
			v.Sub(v, w)
		}
	}
}

// term := unary (('*'|'/') unary)*
func (p *arithParser) term(depth int) (*big.Rat, error) {
	v, err := p.unary(depth)
	if err != nil {
		return nil, err
	}
	for {
		op := p.peek()
		if op != '*' && op != '/' {
			if p.pos < len(p.toks) && (p.toks[p.pos].op == 0 || p.toks[p.pos].op == '(') {
				t := p.toks[p.pos]
				return nil, fmt.Errorf("missing operator before %q at offset %d", t.text, t.off)
			}
			return v, nil
		}
		opTok := p.toks[p.pos]
		p.pos++
		w, err := p.unary(depth)
		if err != nil {
			return nil, err
		}
		if op == '*' {
			v.Mul(v, w)
		} else {
			if w.Sign() == 0 {
				return nil, fmt.Errorf("division by zero at offset %d", opTok.off)
			}
			v.Quo(v, w)
		}
	}
}

// unary := ('+'|'-') unary | primary
func (p *arithParser) unary(depth int) (*big.Rat, error) {
	if depth > MaxNestingDepth {
		return nil, fmt.Errorf("expression nested deeper than %d", MaxNestingDepth)
	}
	switch p.peek() {
	case '+':
		p.pos++
		return p.unary(depth + 1)
	case '-':
		p.pos++
		v, err := p.unary(depth + 1)
		if err != nil {
			return nil, err
		}
		return v.Neg(v), nil
	}
	return p.primary(depth)
}

// primary := number | '(' expr ')'
func (p *arithParser) primary(depth int) (*big.Rat, error) {
	if p.pos >= len(p.toks) {
		return nil, errors.New("unexpected end of expression")
	}
	t := p.toks[p.pos]
	switch t.op {
	case 0:
		p.pos++
		p.lits = append(p.lits, new(big.Rat).Set(t.num))
		return new(big.Rat).Set(t.num), nil
	case '(':
		p.pos++
		v, err := p.expr(depth + 1)
		if err != nil {
			return nil, err
		}
		if p.peek() != ')' {
			if p.pos >= len(p.toks) {
				return nil, fmt.Errorf("unclosed %q at offset %d", t.text, t.off)
			}
			u := p.toks[p.pos]
			return nil, fmt.Errorf("expected ')' at offset %d, got %q", u.off, u.text)
		}
		p.pos++
		return v, nil
	}
	return nil, fmt.Errorf("unexpected %q at offset %d", t.text, t.off)
}

// ratList converts a "numbers" field to rationals.
func ratList(v any) ([]*big.Rat, error) {
	var out []*big.Rat
	add := func(i int, e any) error {
		r, err := toRat(e)
		if err != nil {
			return fmt.Errorf("element %d: %w", i, err)
		}
		out = append(out, r)
		return nil
	}
	switch x := v.(type) {
	case []int:
		for i, e := range x {
			_ = add(i, e)
		}
	case []int64:
		for i, e := range x {
			_ = add(i, e)
		}
	case []float64:
		for i, e := range x {
			if err := add(i, e); err != nil {
				return nil, err
			}
		}
	case []string:
		for i, e := range x {
			if err := add(i, e); err != nil {
				return nil, err
			}
		}
	case []any:
		for i, e := range x {
			if err := add(i, e); err != nil {
				return nil, err
			}
		}
	default:
		return nil, fmt.Errorf("want a list of numbers, got %T", v)
	}
	if len(out) == 0 {
		return nil, errors.New("empty list of numbers")
	}
	if len(out) > MaxGivenNumbers {
		return nil, fmt.Errorf("%d numbers, limit %d", len(out), MaxGivenNumbers)
	}
	return out, nil
}
