package mathverify

import (
	"math/big"
	"strings"
)

// kind is the type of an expression-tree node.
type kind uint8

const (
	kNum      kind = iota // num (exact); dec = number of decimal digits written, -1 for none
	kSym                  // name: a free variable, or the constants pi, e, i
	kInf                  // +infinity
	kAdd                  // kids[0] + kids[1]
	kSub                  // kids[0] - kids[1]
	kMul                  // kids[0] * kids[1]
	kDiv                  // kids[0] / kids[1]
	kPow                  // kids[0] ^ kids[1]
	kNeg                  // -kids[0]
	kFunc                 // name(kids...): sin, log (kids[1] = base when present), sqrt, root (kids[1] = index), abs, floor, ceil, fact, binom, ...
	kPercent              // kids[0] percent
	kDegree               // kids[0] degrees
	kPM                   // kids[0] ± kids[1] (kids[0] nil for a unary ±); name "mp" for ∓
	kBase                 // name: digits written in base num (204_5)
	kTuple                // (a, b, ...) ordered
	kList                 // a, b, ... (a bare list) or {a, b} group; unordered
	kSet                  // \{a, b\}; unordered
	kInterval             // kids[0], kids[1] with loClosed, hiClosed
	kUnion                // kids: intervals or sets
	kMatrix               // rows × cols, kids row-major
	kRel                  // kids[0] ops[0] kids[1] ops[1] kids[2] ...
	kText                 // name: a word answer (lower case)
	kChoice               // name: a multiple-choice letter
	kEmpty                // the empty set
)

// node is an expression-tree node.
type node struct {
	k                  kind
	name               string
	num                *big.Rat
	dec                int
	kids               []*node
	ops                []tokKind // kRel
	loClosed, hiClosed bool      // kInterval
	rows, cols         int       // kMatrix
	lit                bool      // kNum: written as a literal integer (mixed numbers)
	paren              bool      // written inside parentheses: (x)
}

func newNode(k kind, kids ...*node) *node { return &node{k: k, kids: kids, dec: -1} }

func numNode(r *big.Rat) *node { return &node{k: kNum, num: r, dec: -1} }

func symNode(name string) *node { return &node{k: kSym, name: name, dec: -1} }

// isScalar reports whether n is an arithmetic expression (not a structure).
func (n *node) isScalar() bool {
	switch n.k {
	case kTuple, kList, kSet, kInterval, kUnion, kMatrix, kRel, kText, kChoice, kEmpty:
		return false
	}
	return true
}

// hasPM reports whether n contains ± or ∓.
func (n *node) hasPM() bool {
	if n == nil {
		return false
	}
	if n.k == kPM {
		return true
	}
	for _, k := range n.kids {
		if k.hasPM() {
			return true
		}
	}
	return false
}

// freeVars adds the free variable names of n to vars.
func (n *node) freeVars(vars map[string]bool) {
	if n == nil {
		return
	}
	if n.k == kSym && !isConstName(n.name) {
		vars[n.name] = true
	}
	for _, k := range n.kids {
		k.freeVars(vars)
	}
}

func isConstName(name string) bool { return name == "pi" || name == "e" || name == "i" }

// String renders n for debugging and error messages.
func (n *node) String() string {
	var b strings.Builder
	n.write(&b)
	return b.String()
}

func (n *node) write(b *strings.Builder) {
	if n == nil {
		b.WriteString("∅")
		return
	}
	bin := func(op string) {
		b.WriteByte('(')
		n.kids[0].write(b)
		b.WriteString(op)
		n.kids[1].write(b)
		b.WriteByte(')')
	}
	list := func(open, close string) {
		b.WriteString(open)
		for i, k := range n.kids {
			if i > 0 {
				b.WriteString(", ")
			}
			k.write(b)
		}
		b.WriteString(close)
	}
	switch n.k {
	case kNum:
		b.WriteString(n.num.RatString())
	case kSym, kText:
		b.WriteString(n.name)
	case kInf:
		b.WriteString("oo")
	case kAdd:
		bin("+")
	case kSub:
		bin("-")
	case kMul:
		bin("*")
	case kDiv:
		bin("/")
	case kPow:
		bin("^")
	case kNeg:
		b.WriteString("-")
		n.kids[0].write(b)
	case kFunc:
		b.WriteString(n.name)
		list("(", ")")
	case kPercent:
		n.kids[0].write(b)
		b.WriteString("%")
	case kDegree:
		n.kids[0].write(b)
		b.WriteString("°")
	case kPM:
		b.WriteByte('(')
		if n.kids[0] != nil {
			n.kids[0].write(b)
		}
		b.WriteString("±")
		n.kids[1].write(b)
		b.WriteByte(')')
	case kBase:
		b.WriteString(n.name + "_" + n.num.RatString())
	case kTuple:
		list("(", ")")
	case kList:
		list("list(", ")")
	case kSet:
		list("{", "}")
	case kInterval:
		if n.loClosed {
			b.WriteByte('[')
		} else {
			b.WriteByte('(')
		}
		n.kids[0].write(b)
		b.WriteString(", ")
		n.kids[1].write(b)
		if n.hiClosed {
			b.WriteByte(']')
		} else {
			b.WriteByte(')')
		}
	case kUnion:
		list("union(", ")")
	case kMatrix:
		list("matrix(", ")")
	case kRel:
		for i, k := range n.kids {
			if i > 0 {
				b.WriteString(" " + relName[n.ops[i-1]] + " ")
			}
			k.write(b)
		}
	case kChoice:
		b.WriteString("choice " + n.name)
	case kEmpty:
		b.WriteString("{}")
	}
}

var relName = map[tokKind]string{tEq: "=", tLt: "<", tGt: ">", tLe: "<=", tGe: ">=", tNe: "!=", tIn: "in"}
