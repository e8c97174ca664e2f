package mathverify

import (
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"strings"
)

// maxDepth bounds the parser's recursion (nested groups, powers, functions).
const maxDepth = 100

// maxItems bounds the elements of a list, set, tuple or matrix.
const maxItems = 256

// ErrParse is wrapped by every error about an answer that cannot be parsed.
var ErrParse = errors.New("cannot parse answer")

// parser is a recursive-descent parser over the tokens of one answer.
type parser struct {
	toks  []token
	pos   int
	depth int
}

// parseAnswer lexes and parses an answer string into an expression tree.
func parseAnswer(s string, opts *Options) (*node, error) {
	toks, err := lex(s, opts)
	if err != nil {
		return nil, fmt.Errorf("%w %q: %w", ErrParse, clip(s), err)
	}
	n, err := parseTokens(toks)
	if err != nil {
		return nil, fmt.Errorf("%w %q: %w", ErrParse, clip(s), err)
	}
	return n, nil
}

// clip shortens s for error messages.
func clip(s string) string {
	if len(s) > 60 {
		return s[:60] + "…"
	}
	return s
}

func parseTokens(toks []token) (*node, error) {
	if len(toks) == 0 {
		return nil, errors.New("empty answer")
	}
	// A choice letter first wins: "\text{(B)} 12" is choice B.
	if toks[0].k == tChoice {
		return &node{k: kChoice, name: toks[0].text, dec: -1}, nil
	}
	// A capital letter in \text after math is a unit ("10^\circ\text{C}").
	for i := 1; i < len(toks); i++ {
		if toks[i].k == tChoice {
			toks[i].k = tUnit
		}
	}
	// Words alone are a text answer; words next to math are units and are dropped.
	words, other := []string{}, false
	for _, t := range toks {
		switch t.k {
		case tUnit:
			words = append(words, strings.ToLower(t.text))
		case tComma:
		default:
			other = true
		}
	}
	if !other {
		if len(words) == 0 {
			return nil, errors.New("empty answer")
		}
		if len(words) == 1 {
			return &node{k: kText, name: words[0], dec: -1}, nil
		}
		l := newNode(kList)
		for _, w := range words {
			l.kids = append(l.kids, &node{k: kText, name: w, dec: -1})
		}
		return l, nil
	}
	matrix := false
	for _, t := range toks {
		matrix = matrix || t.k == tBegin && matrixEnvs[t.text]
	}
	kept := make([]token, 0, len(toks))
	for i := 0; i < len(toks); i++ {
		switch {
		case (toks[i].k == tBegin || toks[i].k == tEnd) && lineEnvs[toks[i].text]:
			continue // \begin{aligned} … \end{aligned}: lines of a list
		case !matrix && toks[i].k == tColSep:
			continue // alignment: "x &= 5"
		case !matrix && toks[i].k == tRowSep:
			kept = append(kept, token{k: tComma}) // lines: "x = 1 \\ y = 2"
			continue
		case toks[i].k != tUnit:
			kept = append(kept, toks[i])
			continue
		}
		// Drop a unit's exponent: "cm^2", "cm^{2}".
		if i+2 < len(toks) && toks[i+1].k == tPow && toks[i+2].k == tNum {
			i += 2
		} else if i+4 < len(toks) && toks[i+1].k == tPow && toks[i+2].k == tLBrace && toks[i+3].k == tNum && toks[i+4].k == tRBrace {
			i += 4
		}
	}
	p := &parser{toks: kept}
	n, err := p.parseList(tEOF)
	if err != nil {
		return nil, err
	}
	if p.peek().k != tEOF {
		return nil, fmt.Errorf("unexpected %s", p.describe())
	}
	return n, nil
}

func (p *parser) peek() token {
	if p.pos < len(p.toks) {
		return p.toks[p.pos]
	}
	return token{k: tEOF}
}

func (p *parser) next() token {
	t := p.peek()
	if p.pos < len(p.toks) {
		p.pos++
	}
	return t
}

func (p *parser) expect(k tokKind, what string) error {
	if p.peek().k != k {
		return fmt.Errorf("expected %s, found %s", what, p.describe())
	}
	p.pos++
	return nil
}

var tokNames = map[tokKind]string{
	tEOF: "end of answer", tPlus: "'+'", tMinus: "'-'", tMul: "'*'", tDiv: "'/'", tPow: "'^'",
	tSub: "'_'", tLParen: "'('", tRParen: "')'", tLBrack: "'['", tRBrack: "']'", tLBrace: "'{'",
	tRBrace: "'}'", tSetL: `'\{'`, tSetR: `'\}'`, tComma: "','", tBar: "'|'", tFact: "'!'",
	tPercent: "'%'", tDegree: "degree sign", tEq: "'='", tLt: "'<'", tGt: "'>'", tLe: "'<='",
	tGe: "'>='", tNe: "'!='", tIn: `\in`, tPM: `\pm`, tMP: `\mp`, tCup: `\cup`, tCap: `\cap`,
	tSetminus: `\setminus`, tRowSep: `\\`, tColSep: "'&'", tInf: `\infty`, tFrac: `\frac`,
	tSqrt: `\sqrt`, tBinom: `\binom`, tRFloor: `\rfloor`, tRCeil: `\rceil`, tLFloor: `\lfloor`,
	tLCeil: `\lceil`, tReals: `\mathbb{R}`, tEmpty: `\emptyset`,
}

func (p *parser) describe() string {
	t := p.peek()
	if t.text != "" {
		return fmt.Sprintf("%q", t.text)
	}
	if s, ok := tokNames[t.k]; ok {
		return s
	}
	return fmt.Sprintf("token %d", t.k)
}

func (p *parser) enter() error {
	p.depth++
	if p.depth > maxDepth {
		return fmt.Errorf("nested deeper than %d levels", maxDepth)
	}
	return nil
}

func (p *parser) leave() { p.depth-- }

// parseList parses comma-separated items up to (not including) a closing token or end.
// One item is returned as itself; several as a kList.
func (p *parser) parseList(closing ...tokKind) (*node, error) {
	items, err := p.parseItems(closing...)
	if err != nil {
		return nil, err
	}
	if len(items) == 1 {
		return items[0], nil
	}
	return newNode(kList, items...), nil
}

func isOneOf(k tokKind, ks []tokKind) bool {
	for _, x := range ks {
		if k == x {
			return true
		}
	}
	return false
}

// parseItems parses comma-separated items up to (not including) one of closing.
func (p *parser) parseItems(closing ...tokKind) ([]*node, error) {
	var items []*node
	for {
		for p.peek().k == tComma { // empty items ("1, , 2", a leading "and")
			p.next()
		}
		if isOneOf(p.peek().k, closing) || p.peek().k == tEOF {
			break
		}
		it, err := p.parseRel()
		if err != nil {
			return nil, err
		}
		items = append(items, it)
		if len(items) > maxItems {
			return nil, fmt.Errorf("more than %d items", maxItems)
		}
		if p.peek().k != tComma {
			break
		}
	}
	if len(items) == 0 {
		return nil, fmt.Errorf("expected a value, found %s", p.describe())
	}
	return items, nil
}

func isRelOp(k tokKind) bool {
	switch k {
	case tEq, tLt, tGt, tLe, tGe, tNe, tIn:
		return true
	}
	return false
}

// parseRel parses a relation chain a op b op c ... (or a single set expression).
func (p *parser) parseRel() (*node, error) {
	first, err := p.parseSetExpr()
	if err != nil {
		return nil, err
	}
	if !isRelOp(p.peek().k) {
		return first, nil
	}
	rel := newNode(kRel, first)
	for isRelOp(p.peek().k) {
		op := p.next().k
		rhs, err := p.parseSetExpr()
		if err != nil {
			return nil, err
		}
		rel.ops = append(rel.ops, op)
		rel.kids = append(rel.kids, rhs)
		if len(rel.kids) > maxItems {
			return nil, fmt.Errorf("relation chain longer than %d", maxItems)
		}
	}
	return rel, nil
}

// parseSetExpr parses unions of intervals or sets.
func (p *parser) parseSetExpr() (*node, error) {
	first, err := p.parseExpr()
	if err != nil {
		return nil, err
	}
	switch p.peek().k {
	case tCap, tSetminus:
		return nil, fmt.Errorf("set operation %s is not supported", p.describe())
	case tCup:
	default:
		return first, nil
	}
	u := newNode(kUnion, first)
	for p.peek().k == tCup {
		p.next()
		n, err := p.parseExpr()
		if err != nil {
			return nil, err
		}
		u.kids = append(u.kids, n)
		if len(u.kids) > maxItems {
			return nil, fmt.Errorf("union of more than %d sets", maxItems)
		}
	}
	if p.peek().k == tCap || p.peek().k == tSetminus {
		return nil, fmt.Errorf("set operation %s is not supported", p.describe())
	}
	return u, nil
}

// parseExpr parses sums, differences and ±.
func (p *parser) parseExpr() (*node, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer p.leave()
	left, err := p.parseTerm()
	if err != nil {
		return nil, err
	}
	for {
		k := p.peek().k
		var op kind
		switch k {
		case tPlus:
			op = kAdd
		case tMinus:
			op = kSub
		case tPM, tMP:
			op = kPM
		default:
			return left, nil
		}
		p.next()
		right, err := p.parseTerm()
		if err != nil {
			return nil, err
		}
		left = newNode(op, left, right)
		if k == tMP {
			left.name = "mp"
		}
	}
}

// startsImplicit reports whether a token can start an implicitly multiplied factor.
func startsImplicit(k tokKind) bool {
	switch k {
	case tNum, tIdent, tLParen, tFunc, tFrac, tSqrt, tBinom, tLBrace, tLFloor, tLCeil, tInf:
		return true
	}
	return false
}

// isLitInt reports whether n is an integer literal, possibly negated; it returns the
// literal.
func isLitInt(n *node) (*node, bool) {
	if n.k == kNeg {
		n = n.kids[0]
	}
	return n, n.k == kNum && n.lit
}

// parseTerm parses products and quotients, explicit and implicit.
func (p *parser) parseTerm() (*node, error) {
	left, err := p.parseUnary()
	if err != nil {
		return nil, err
	}
	for {
		k := p.peek().k
		switch {
		case k == tMul || k == tDiv:
			p.next()
			right, err := p.parseUnary()
			if err != nil {
				return nil, err
			}
			if k == tMul {
				left = newNode(kMul, left, right)
			} else {
				left = newNode(kDiv, left, right)
			}
		case startsImplicit(k):
			prevNum := p.toks[p.pos-1].k == tNum
			if prevNum && k == tNum {
				return nil, errors.New("two numbers side by side")
			}
			right, err := p.parsePower()
			if err != nil {
				return nil, err
			}
			// A mixed number: 3\frac{1}{2} is 3 + 1/2.
			if _, ok := isLitInt(left); ok && right.k == kDiv && right.lit {
				if left.k == kNeg {
					left = newNode(kNeg, newNode(kAdd, left.kids[0], right))
				} else {
					left = newNode(kAdd, left, right)
				}
				continue
			}
			left = newNode(kMul, left, right)
		default:
			return left, nil
		}
	}
}

// parseUnary parses a leading sign.
func (p *parser) parseUnary() (*node, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer p.leave()
	switch p.peek().k {
	case tMinus:
		p.next()
		x, err := p.parseUnary()
		if err != nil {
			return nil, err
		}
		return newNode(kNeg, x), nil
	case tPlus:
		p.next()
		return p.parseUnary()
	case tPM, tMP:
		mp := p.next().k == tMP
		x, err := p.parseUnary()
		if err != nil {
			return nil, err
		}
		n := newNode(kPM, nil, x)
		if mp {
			n.name = "mp"
		}
		return n, nil
	}
	return p.parsePower()
}

// parsePower parses base^exponent (right-associative) with postfix operators.
func (p *parser) parsePower() (*node, error) {
	base, err := p.parsePostfix()
	if err != nil {
		return nil, err
	}
	if p.peek().k != tPow {
		return base, nil
	}
	p.next()
	exp, err := p.parseExponent()
	if err != nil {
		return nil, err
	}
	n := newNode(kPow, base, exp)
	return p.postfix(n)
}

// parseExponent parses what follows '^'.
func (p *parser) parseExponent() (*node, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer p.leave()
	switch p.peek().k {
	case tMinus:
		p.next()
		x, err := p.parseExponent()
		if err != nil {
			return nil, err
		}
		return newNode(kNeg, x), nil
	case tPlus:
		p.next()
		return p.parseExponent()
	}
	x, err := p.parsePrimary()
	if err != nil {
		return nil, err
	}
	if p.peek().k == tPow {
		p.next()
		e, err := p.parseExponent()
		if err != nil {
			return nil, err
		}
		return newNode(kPow, x, e), nil
	}
	return x, nil
}

// parsePostfix parses a primary followed by !, %, degrees or a subscript.
func (p *parser) parsePostfix() (*node, error) {
	x, err := p.parsePrimary()
	if err != nil {
		return nil, err
	}
	return p.postfix(x)
}

func (p *parser) postfix(x *node) (*node, error) {
	for {
		switch p.peek().k {
		case tFact:
			p.next()
			x = &node{k: kFunc, name: "fact", kids: []*node{x}, dec: -1}
		case tPercent:
			p.next()
			x = newNode(kPercent, x)
		case tDegree:
			p.next()
			x = newNode(kDegree, x)
		case tSub:
			p.next()
			sub, err := p.subscriptText()
			if err != nil {
				return nil, err
			}
			switch {
			case x.k == kNum && x.lit:
				b, err := baseNode(x.num.Num().String(), sub)
				if err != nil {
					return nil, err
				}
				x = b
			case x.k == kSym:
				x = symNode(x.name + "_" + sub)
			default:
				return nil, fmt.Errorf("unexpected subscript %q", sub)
			}
		default:
			return x, nil
		}
	}
}

// subscriptText reads a subscript (one token or a {…} group of simple tokens) as text.
func (p *parser) subscriptText() (string, error) {
	simple := func(t token) (string, bool) {
		switch t.k {
		case tNum, tIdent:
			return t.text, true
		case tPlus:
			return "+", true
		case tMinus:
			return "-", true
		case tComma:
			return ",", true
		}
		return "", false
	}
	if p.peek().k != tLBrace {
		s, ok := simple(p.next())
		if !ok {
			return "", errors.New("bad subscript")
		}
		return s, nil
	}
	p.next()
	var b strings.Builder
	for p.peek().k != tRBrace {
		s, ok := simple(p.next())
		if !ok {
			return "", errors.New("bad subscript")
		}
		b.WriteString(s)
	}
	p.next()
	return b.String(), nil
}

// baseNode makes the number with the given digits in the given base (204_5).
func baseNode(digits, base string) (*node, error) {
	b, ok := new(big.Int).SetString(base, 10)
	if !ok || b.Cmp(big.NewInt(2)) < 0 || b.Cmp(big.NewInt(36)) > 0 {
		return nil, fmt.Errorf("bad number base %q", base)
	}
	v, ok := new(big.Int).SetString(strings.ToLower(digits), int(b.Int64()))
	if !ok {
		return nil, fmt.Errorf("%q is not a number in base %s", digits, base)
	}
	return &node{k: kBase, name: digits, num: new(big.Rat).SetInt(b), kids: []*node{numNode(new(big.Rat).SetInt(v))}, dec: -1}, nil
}

// parseNumber converts a tNum text to a node.
func parseNumber(text string) (*node, error) {
	if strings.HasSuffix(text, ")") {
		return parseRepeating(text)
	}
	if strings.ContainsAny(text, "eE") {
		r, ok := new(big.Rat).SetString(text)
		if !ok {
			return nil, fmt.Errorf("bad number %q", text)
		}
		n := numNode(r)
		n.dec = 0
		return n, nil
	}
	var r *big.Rat
	// Short numbers avoid big.Rat's general parser.
	if digits := strings.Replace(text, ".", "", 1); len(digits) <= 18 && digits != "" {
		v, err := strconv.ParseInt(digits, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("bad number %q", text)
		}
		den := int64(1)
		if i := strings.IndexByte(text, '.'); i >= 0 {
			for range len(text) - i - 1 {
				den *= 10
			}
		}
		r = big.NewRat(v, den)
	} else {
		var ok bool
		if r, ok = new(big.Rat).SetString(text); !ok {
			return nil, fmt.Errorf("bad number %q", text)
		}
	}
	n := numNode(r)
	if i := strings.IndexByte(text, '.'); i >= 0 {
		n.dec = len(text) - i - 1
	} else {
		n.lit = true
	}
	return n, nil
}

// parseRepeating converts a repeating decimal "0.1(6)" (0.1666…) to its exact value.
func parseRepeating(text string) (*node, error) {
	open := strings.IndexByte(text, '(')
	head, rep := text[:open], text[open+1:len(text)-1]
	frac := ""
	if i := strings.IndexByte(head, '.'); i >= 0 {
		frac = head[i+1:]
	}
	if len(frac)+len(rep) > 200 {
		return nil, fmt.Errorf("repeating decimal %q too long", text)
	}
	r, ok := new(big.Rat).SetString(head + "0")
	if !ok {
		return nil, fmt.Errorf("bad number %q", text)
	}
	// rep / (10^len(frac) · (10^len(rep) − 1))
	num, _ := new(big.Int).SetString(rep, 10)
	den := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(len(rep))), nil)
	den.Sub(den, big.NewInt(1))
	den.Mul(den, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(len(frac))), nil))
	r.Add(r, new(big.Rat).SetFrac(num, den))
	n := numNode(r)
	n.dec = 0
	return n, nil
}

// parseArg parses a macro argument: a {…} group, one digit, or one primary.
func (p *parser) parseArg() (*node, error) {
	t := p.peek()
	switch t.k {
	case tLBrace:
		p.next()
		x, err := p.parseList(tRBrace)
		if err != nil {
			return nil, err
		}
		return x, p.expect(tRBrace, "'}'")
	case tNum:
		if len(t.text) > 1 && t.text[0] != '.' {
			// \frac12: LaTeX takes one character as the argument.
			p.toks[p.pos].text = t.text[1:]
			return parseNumber(t.text[:1])
		}
	}
	return p.parsePrimary()
}

// parseBracketed parses (…), […], with either closing bracket; open is consumed.
func (p *parser) parseBracketed(open tokKind) (*node, error) {
	items, err := p.parseItems(tRParen, tRBrack)
	if err != nil {
		return nil, err
	}
	closeTok := p.peek().k
	if closeTok != tRParen && closeTok != tRBrack {
		return nil, fmt.Errorf("expected a closing bracket, found %s", p.describe())
	}
	p.next()
	if len(items) == 1 {
		if open == tLParen && closeTok == tRParen || open == tLBrack && closeTok == tRBrack {
			items[0].paren = open == tLParen
			return items[0], nil
		}
		return nil, errors.New("mismatched brackets around one value")
	}
	if len(items) == 2 && !(open == tLParen && closeTok == tRParen) {
		iv := newNode(kInterval, items[0], items[1])
		iv.loClosed = open == tLBrack
		iv.hiClosed = closeTok == tRBrack
		return iv, nil
	}
	return newNode(kTuple, items...), nil
}

// parsePrimary parses a number, symbol, group or function application.
func (p *parser) parsePrimary() (*node, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer p.leave()
	t := p.next()
	switch t.k {
	case tNum:
		return parseNumber(t.text)
	case tIdent:
		return symNode(t.text), nil
	case tInf:
		return newNode(kInf), nil
	case tLParen, tLBrack:
		return p.parseBracketed(t.k)
	case tLBrace:
		x, err := p.parseList(tRBrace)
		if err != nil {
			return nil, err
		}
		return x, p.expect(tRBrace, "'}'")
	case tSetL:
		if p.peek().k == tSetR {
			p.next()
			return newNode(kEmpty), nil
		}
		items, err := p.parseItems(tSetR)
		if err != nil {
			return nil, err
		}
		return newNode(kSet, items...), p.expect(tSetR, `'\}'`)
	case tBar:
		x, err := p.parseExpr()
		if err != nil {
			return nil, err
		}
		return &node{k: kFunc, name: "abs", kids: []*node{x}, dec: -1}, p.expect(tBar, "closing '|'")
	case tLFloor, tLCeil:
		x, err := p.parseExpr()
		if err != nil {
			return nil, err
		}
		name, closing := "floor", tRFloor
		if t.k == tLCeil {
			name, closing = "ceil", tRCeil
		}
		return &node{k: kFunc, name: name, kids: []*node{x}, dec: -1}, p.expect(closing, "closing "+tokNames[closing])
	case tFrac:
		a, err := p.parseArg()
		if err != nil {
			return nil, err
		}
		b, err := p.parseArg()
		if err != nil {
			return nil, err
		}
		d := newNode(kDiv, a, b)
		d.lit = a.k == kNum && a.lit && b.k == kNum && b.lit
		return d, nil
	case tBinom:
		a, err := p.parseArg()
		if err != nil {
			return nil, err
		}
		b, err := p.parseArg()
		if err != nil {
			return nil, err
		}
		return &node{k: kFunc, name: "binom", kids: []*node{a, b}, dec: -1}, nil
	case tSqrt:
		var index *node
		if p.peek().k == tLBrack {
			p.next()
			var err error
			if index, err = p.parseExpr(); err != nil {
				return nil, err
			}
			if err := p.expect(tRBrack, "']'"); err != nil {
				return nil, err
			}
		}
		x, err := p.parseArg()
		if err != nil {
			return nil, err
		}
		if index != nil {
			return &node{k: kFunc, name: "root", kids: []*node{x, index}, dec: -1}, nil
		}
		return &node{k: kFunc, name: "sqrt", kids: []*node{x}, dec: -1}, nil
	case tFunc:
		return p.parseFunc(t.text)
	case tReals:
		iv := newNode(kInterval, newNode(kNeg, newNode(kInf)), newNode(kInf))
		return iv, nil
	case tEmpty:
		return newNode(kEmpty), nil
	case tBegin:
		return p.parseMatrix(t.text)
	case tChoice:
		return &node{k: kChoice, name: t.text, dec: -1}, nil
	}
	p.pos--
	return nil, fmt.Errorf("unexpected %s", p.describe())
}

var inverseTrig = map[string]string{
	"sin": "arcsin", "cos": "arccos", "tan": "arctan", "cot": "arccot", "sec": "arcsec", "csc": "arccsc",
}

// parseFunc parses a function application after its name: \sin^2 x, \log_2 8, \sin(x).
func (p *parser) parseFunc(name string) (*node, error) {
	var pow, base *node
	for {
		switch p.peek().k {
		case tPow:
			if pow != nil {
				return nil, fmt.Errorf("two exponents on %s", name)
			}
			p.next()
			var err error
			if pow, err = p.parseExponent(); err != nil {
				return nil, err
			}
			continue
		case tSub:
			if base != nil {
				return nil, fmt.Errorf("two subscripts on %s", name)
			}
			p.next()
			var err error
			if base, err = p.parseArg(); err != nil {
				return nil, err
			}
			continue
		}
		break
	}
	var args []*node
	if p.peek().k == tLParen {
		p.next()
		items, err := p.parseItems(tRParen)
		if err != nil {
			return nil, err
		}
		if err := p.expect(tRParen, "')'"); err != nil {
			return nil, err
		}
		args = items
	} else {
		// \sin 2x, \cot x: an implicit product up to the next function or operator.
		x, err := p.parseUnaryNoFunc()
		if err != nil {
			return nil, err
		}
		args = []*node{x}
	}
	if base != nil {
		if name != "log" {
			return nil, fmt.Errorf("subscript on %s", name)
		}
		args = append(args, base)
	}
	f := &node{k: kFunc, name: name, kids: args, dec: -1}
	if pow != nil {
		if inv, ok := inverseTrig[name]; ok && pow.k == kNeg && pow.kids[0].k == kNum && pow.kids[0].num.Cmp(big.NewRat(1, 1)) == 0 {
			f.name = inv
			return f, nil
		}
		return newNode(kPow, f, pow), nil
	}
	return f, nil
}

// parseUnaryNoFunc parses a function argument without parentheses: a signed implicit
// product that stops before another function name.
func (p *parser) parseUnaryNoFunc() (*node, error) {
	neg := false
	if p.peek().k == tMinus {
		p.next()
		neg = true
	}
	x, err := p.parsePower()
	if err != nil {
		return nil, err
	}
	for startsImplicit(p.peek().k) && p.peek().k != tFunc {
		y, err := p.parsePower()
		if err != nil {
			return nil, err
		}
		x = newNode(kMul, x, y)
	}
	if neg {
		x = newNode(kNeg, x)
	}
	return x, nil
}

// lineEnvs are environments whose lines are read as a comma list.
var lineEnvs = map[string]bool{
	"aligned": true, "align": true, "gathered": true, "gather": true, "split": true,
	"eqnarray": true, "cases": true,
}

var matrixEnvs = map[string]bool{
	"pmatrix": true, "bmatrix": true, "Bmatrix": true, "matrix": true, "smallmatrix": true, "array": true,
}

// parseMatrix parses the body of \begin{env} … \end{env}.
func (p *parser) parseMatrix(env string) (*node, error) {
	if !matrixEnvs[env] {
		return nil, fmt.Errorf("environment %q is not supported", env)
	}
	var rows [][]*node
	row := []*node{}
	for {
		switch p.peek().k {
		case tEnd:
			if p.next().text != env {
				return nil, fmt.Errorf("\\begin{%s} closed by another \\end", env)
			}
			if len(row) > 0 {
				rows = append(rows, row)
			}
			if len(rows) == 0 {
				return nil, errors.New("empty matrix")
			}
			m := newNode(kMatrix)
			m.rows, m.cols = len(rows), len(rows[0])
			for _, r := range rows {
				if len(r) != m.cols {
					return nil, errors.New("matrix rows of different lengths")
				}
				m.kids = append(m.kids, r...)
			}
			return m, nil
		case tEOF:
			return nil, fmt.Errorf("\\begin{%s} without \\end", env)
		case tRowSep:
			p.next()
			if len(row) > 0 {
				rows = append(rows, row)
			}
			row = []*node{}
			continue
		case tColSep:
			p.next()
			continue
		}
		x, err := p.parseExpr()
		if err != nil {
			return nil, err
		}
		row = append(row, x)
		if len(row)*(len(rows)+1) > maxItems*4 {
			return nil, errors.New("matrix too large")
		}
		if k := p.peek().k; k != tColSep && k != tRowSep && k != tEnd {
			return nil, fmt.Errorf("unexpected %s in matrix", p.describe())
		}
	}
}
