package mathverify

import (
	"hash/fnv"
	"math"
	"math/cmplx"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"
)

// maxExpansions bounds the values one ± expression expands to.
const maxExpansions = 64

// maxCompareSteps bounds the element comparisons of one Compare call, so nested
// unordered collections cannot take exponential time.
const maxCompareSteps = 20000

// comparer holds the options and random points of one comparison.
type comparer struct {
	opts    *Options
	points  map[string][]complex128
	steps   int  // equal calls so far
	tooDeep bool // a comparison went deeper than maxCompareDepth
}

// maxCompareDepth bounds recursion through nested structures during comparison.
const maxCompareDepth = 32

// equal compares two parsed answers.
func (c *comparer) equal(g, p *node, depth int) bool {
	c.steps++
	if depth > maxCompareDepth {
		c.tooDeep = true
		return false
	}
	if c.steps > maxCompareSteps {
		return false
	}
	g, p = c.canon(g), c.canon(p)
	switch {
	case g.k == kRel || p.k == kRel:
		return c.relEqual(g, p, depth)
	case g.k == kChoice || p.k == kChoice:
		return choiceOf(g) != "" && choiceOf(g) == choiceOf(p)
	case g.k == kText || p.k == kText:
		return g.k == kText && p.k == kText && g.name == p.name
	case g.k == kEmpty || p.k == kEmpty:
		return isEmptySet(g) && isEmptySet(p)
	case g.k == kMatrix || p.k == kMatrix:
		return c.matrixEqual(g, p, depth)
	}
	if gi, ok := toIntervals(g); ok {
		if pi, ok := toIntervals(p); ok && (g.k == kInterval || g.k == kUnion || p.k == kInterval || p.k == kUnion) {
			return c.intervalsEqual(gi, pi, depth)
		}
	}
	if g.isScalar() && p.isScalar() {
		return c.scalarEqual(g, p)
	}
	return c.collectionEqual(g, p, depth)
}

func choiceOf(n *node) string {
	switch {
	case n.k == kChoice:
		return n.name
	case n.k == kSym && len(n.name) == 1 && n.name[0] >= 'A' && n.name[0] <= 'Z':
		return n.name
	}
	return ""
}

func isEmptySet(n *node) bool {
	return n.k == kEmpty || n.k == kSet && len(n.kids) == 0
}

// canon rewrites an answer into the form comparisons expect: ± expanded into a list,
// one-element lists unwrapped, "x \in S" as S, "x = 1, 2" as the list 1, 2.
func (c *comparer) canon(n *node) *node {
	switch {
	case n.isScalar() && n.hasPM():
		vals := expandPM(n)
		if len(vals) == 1 {
			return vals[0]
		}
		return newNode(kList, vals...)
	case n.k == kList && len(n.kids) == 1:
		return c.canon(n.kids[0])
	case n.k == kUnion && len(n.kids) == 1:
		return c.canon(n.kids[0])
	case n.k == kUnion && allSets(n.kids):
		// \{1,3\} \cup \{2,4\} is the set \{1,2,3,4\}.
		u := newNode(kSet)
		for _, k := range n.kids {
			u.kids = append(u.kids, k.kids...)
		}
		return u
	case n.k == kRel && len(n.ops) == 1 && n.ops[0] == tIn && n.kids[0].k == kSym:
		return c.canon(n.kids[1])
	case n.k == kList:
		// "x = 1, 2" and "x = 1, x = 2" list the values of x.
		sym := ""
		vals := make([]*node, 0, len(n.kids))
		for i, k := range n.kids {
			if k.k == kRel && len(k.ops) == 1 && k.ops[0] == tEq && isVar(k.kids[0]) {
				if sym != "" && sym != k.kids[0].name {
					return n
				}
				sym = k.kids[0].name
				vals = append(vals, k.kids[1])
				continue
			}
			if i == 0 || k.k == kRel {
				return n
			}
			vals = append(vals, k)
		}
		return newNode(kList, vals...)
	}
	return n
}

// allSets reports whether every node is a finite set (or the empty set).
func allSets(ns []*node) bool {
	for _, n := range ns {
		if n.k != kSet && n.k != kEmpty {
			return false
		}
	}
	return true
}

// expandPM returns the values of an expression with ± and ∓, at most maxExpansions.
func expandPM(n *node) []*node {
	if n == nil {
		return []*node{nil}
	}
	if !n.hasPM() {
		return []*node{n}
	}
	if n.k == kPM {
		as := expandPM(n.kids[0])
		bs := expandPM(n.kids[1])
		var out []*node
		for _, a := range as {
			for _, b := range bs {
				if len(out)+2 > maxExpansions {
					return out
				}
				if a == nil {
					out = append(out, b, newNode(kNeg, b))
				} else {
					out = append(out, newNode(kAdd, a, b), newNode(kSub, a, b))
				}
			}
		}
		return out
	}
	combos := [][]*node{{}}
	for _, k := range n.kids {
		ks := expandPM(k)
		var next [][]*node
		for _, prefix := range combos {
			for _, v := range ks {
				if len(next) >= maxExpansions {
					break
				}
				kids := append(append([]*node{}, prefix...), v)
				next = append(next, kids)
			}
		}
		combos = next
	}
	out := make([]*node, 0, len(combos))
	for _, kids := range combos {
		m := *n
		m.kids = kids
		out = append(out, &m)
	}
	return out
}

// variants lists the readings of a scalar: percentages and degrees per the options.
func (c *comparer) variants(n *node) []*node {
	switch n.k {
	case kPercent:
		switch c.opts.Percent {
		case PercentFraction:
			return []*node{n}
		case PercentNumber:
			return []*node{n.kids[0]}
		}
		return []*node{n, n.kids[0]}
	case kDegree:
		if c.opts.DegreesAsRadians {
			return []*node{n.kids[0], n}
		}
		return []*node{n.kids[0]}
	}
	return []*node{n}
}

// scalarEqual compares two arithmetic expressions.
func (c *comparer) scalarEqual(g, p *node) bool {
	if g.k == kBase || p.k == kBase {
		return baseEqual(g, p)
	}
	for _, a := range c.variants(g) {
		for _, b := range c.variants(p) {
			if c.exprEqual(a, b) {
				return true
			}
		}
	}
	return false
}

// baseEqual compares numbers written in a base (204_5): equal values, or the same
// digits with the subscript left out.
func baseEqual(g, p *node) bool {
	if g.k == kBase && p.k == kBase {
		return g.kids[0].num.Cmp(p.kids[0].num) == 0
	}
	b, o := g, p
	if p.k == kBase {
		b, o = p, g
	}
	return o.k == kNum && o.lit && o.num.Num().String() == strings.TrimLeft(b.name, "0")
}

// infSign returns +1 or -1 for ±∞ and 0 for anything else.
func infSign(n *node) int {
	switch n.k {
	case kInf:
		return 1
	case kNeg:
		return -infSign(n.kids[0])
	}
	return 0
}

// exprEqual compares two expressions without ± or structure: exactly when both are
// rational constants, otherwise numerically.
func (c *comparer) exprEqual(a, b *node) bool {
	if sa, sb := infSign(a), infSign(b); sa != 0 || sb != 0 {
		return sa == sb
	}
	ea, okA := exact(a)
	eb, okB := exact(b)
	if okA && okB {
		if ea.re.Cmp(eb.re) == 0 && ea.im.Cmp(eb.im) == 0 {
			return true
		}
		if c.opts.Precision > 0 && ea.isReal() && eb.isReal() {
			return ea.re.FloatString(c.opts.Precision) == eb.re.FloatString(c.opts.Precision)
		}
		return false
	}
	vars := map[string]bool{}
	a.freeVars(vars)
	b.freeVars(vars)
	if len(vars) == 0 {
		va, vb := numeric(a, nil), numeric(b, nil)
		if !finite(va) || !finite(vb) {
			return false
		}
		// A rational against an irrational-looking constant (\frac{103993}{33102} vs
		// \pi) must agree to rounding error, not just to RelTol: a rational
		// approximation of an irrational is not equal to it.
		tol := c.relTol()
		if okA != okB {
			tol /= 1000
		}
		if closeTol(va, vb, tol) {
			return true
		}
		if c.opts.Precision > 0 && imag(va) == 0 && imag(vb) == 0 {
			return strconv.FormatFloat(real(va), 'f', c.opts.Precision, 64) == strconv.FormatFloat(real(vb), 'f', c.opts.Precision, 64)
		}
		return false
	}
	valid := 0
	for i := 0; i < c.numPoints(); i++ {
		pt := c.point(vars, i)
		va, vb := numeric(a, pt), numeric(b, pt)
		if !finite(va) || !finite(vb) {
			continue
		}
		if !c.close(va, vb) {
			return false
		}
		valid++
	}
	return valid > 0
}

func finite(v complex128) bool {
	return !cmplx.IsNaN(v) && !cmplx.IsInf(v)
}

func (c *comparer) relTol() float64 {
	if c.opts.RelTol <= 0 {
		return 1e-9
	}
	return c.opts.RelTol
}

func (c *comparer) close(a, b complex128) bool { return closeTol(a, b, c.relTol()) }

// closeTol reports whether |a-b| ≤ tol·max(|a|,|b|) + 1e-12·min(tol/1e-9, 1).
func closeTol(a, b complex128, tol float64) bool {
	abs := 1e-12 * math.Min(tol/1e-9, 1)
	return cmplx.Abs(a-b) <= tol*math.Max(cmplx.Abs(a), cmplx.Abs(b))+abs
}

func (c *comparer) numPoints() int {
	if c.opts.Points <= 0 {
		return 6
	}
	return min(c.opts.Points, 64)
}

// point returns the values of vars at the i-th random point. A variable's values
// depend only on its name and the seed, so both sides of a comparison agree.
func (c *comparer) point(vars map[string]bool, i int) map[string]complex128 {
	if c.points == nil {
		c.points = map[string][]complex128{}
	}
	pt := make(map[string]complex128, len(vars))
	for v := range vars {
		vals, ok := c.points[v]
		if !ok {
			h := fnv.New64a()
			h.Write([]byte(v))
			rng := rand.New(rand.NewPCG(c.opts.Seed, h.Sum64()))
			vals = make([]complex128, c.numPoints())
			for j := range vals {
				vals[j] = complex(0.5+3*rng.Float64(), 0)
			}
			c.points[v] = vals
		}
		pt[v] = vals[i]
	}
	return pt
}

// relEqual compares answers of which at least one is a relation.
func (c *comparer) relEqual(g, p *node, depth int) bool {
	predIsRel := p.k == kRel
	if g.k != kRel {
		g, p = p, g
	}
	if p.k != kRel {
		// "x = 5" vs "5": compare the side that is not a lone variable.
		if len(g.ops) == 1 && g.ops[0] == tEq {
			if isVar(g.kids[0]) || isFuncDef(g.kids[0]) {
				return c.equal(g.kids[1], p, depth+1)
			}
			if isVar(g.kids[1]) || isFuncDef(g.kids[1]) {
				return c.equal(g.kids[0], p, depth+1)
			}
		}
		// A predicted calculation "2 + 3 = 5" or chain "a + b = b + a = 7" is judged by
		// its result (its last side); an equation in variables ("x + y = 0") is not.
		// The reverse does not hold: a gold equation is not matched by a number.
		if predIsRel && allEq(g) && (len(g.ops) > 1 || constant(g.kids[0]) && constant(g.kids[1])) {
			return c.equal(g.kids[len(g.kids)-1], p, depth+1)
		}
		if iv, ok := relInterval(g); ok {
			if pi, ok := toIntervals(p); ok {
				return c.intervalsEqual([]*node{iv}, pi, depth)
			}
		}
		return false
	}
	// A predicted chain "x = 2 + 3 = 5" states its first side equals its last.
	if len(g.ops) == 1 && g.ops[0] == tEq && len(p.ops) > 1 && allEq(p) {
		q := newNode(kRel, p.kids[0], p.kids[len(p.kids)-1])
		q.ops = []tokKind{tEq}
		p = q
	}
	g, p = orient(g), orient(p)
	if len(g.ops) != len(p.ops) {
		return false
	}
	for i := range g.ops {
		if g.ops[i] != p.ops[i] {
			return false
		}
	}
	if len(g.ops) > 1 {
		for i := range g.kids {
			if !c.equal(g.kids[i], p.kids[i], depth+1) {
				return false
			}
		}
		return true
	}
	op := g.ops[0]
	if op == tEq || op == tNe {
		// Same variable on one side each: compare the other sides (handles x = 1 \pm 2).
		for _, gi := range []int{0, 1} {
			for _, pi := range []int{0, 1} {
				if named(g.kids[gi]) && named(p.kids[pi]) && g.kids[gi].String() == p.kids[pi].String() {
					if c.equal(g.kids[1-gi], p.kids[1-pi], depth+1) {
						return true
					}
				}
			}
		}
	}
	if !g.kids[0].isScalar() || !g.kids[1].isScalar() || !p.kids[0].isScalar() || !p.kids[1].isScalar() {
		return false
	}
	// Side by side (and swapped, for the symmetric = and ≠).
	if c.equal(g.kids[0], p.kids[0], depth+1) && c.equal(g.kids[1], p.kids[1], depth+1) {
		return true
	}
	if (op == tEq || op == tNe) && c.equal(g.kids[0], p.kids[1], depth+1) && c.equal(g.kids[1], p.kids[0], depth+1) {
		return true
	}
	if g.hasPM() || p.hasPM() {
		return false
	}
	// Same relation up to a constant factor: l1 - r1 = k (l2 - r2), k > 0 for inequalities.
	return c.proportional(newNode(kSub, g.kids[0], g.kids[1]), newNode(kSub, p.kids[0], p.kids[1]), op != tEq && op != tNe)
}

func isVar(n *node) bool { return n.k == kSym && !isConstName(n.name) }

// isFuncDef reports whether n is a function's name applied to variables, f(x) or
// p(x, y), as on the left of "f(x) = 2x + 1".
func isFuncDef(n *node) bool {
	if n.k != kMul || !isVar(n.kids[0]) || !n.kids[1].paren && n.kids[1].k != kTuple {
		return false
	}
	args := []*node{n.kids[1]}
	if n.kids[1].k == kTuple {
		args = n.kids[1].kids
	}
	for _, a := range args {
		if !isVar(a) {
			return false
		}
	}
	return true
}

// named reports whether n is what an equation defines: a variable or f(x).
func named(n *node) bool { return isVar(n) || isFuncDef(n) }

// constant reports whether n is a scalar without free variables.
func constant(n *node) bool {
	vars := map[string]bool{}
	n.freeVars(vars)
	return len(vars) == 0 && n.isScalar()
}

// allEq reports whether every operator of a relation chain is '='.
func allEq(r *node) bool {
	for _, op := range r.ops {
		if op != tEq {
			return false
		}
	}
	return true
}

// orient rewrites > and ≥ as < and ≤ by reversing a chain whose ops all point down.
func orient(r *node) *node {
	down := true
	for _, op := range r.ops {
		if op != tGt && op != tGe {
			down = false
		}
	}
	if !down {
		return r
	}
	out := newNode(kRel)
	for i := len(r.kids) - 1; i >= 0; i-- {
		out.kids = append(out.kids, r.kids[i])
	}
	for i := len(r.ops) - 1; i >= 0; i-- {
		op := tLt
		if r.ops[i] == tGe {
			op = tLe
		}
		out.ops = append(out.ops, op)
	}
	return out
}

// proportional reports whether a = k·b for a constant k ≠ 0 (k > 0 when positive is
// set), checked at the random points; both must depend on at least one variable.
func (c *comparer) proportional(a, b *node, positive bool) bool {
	vars := map[string]bool{}
	a.freeVars(vars)
	b.freeVars(vars)
	if len(vars) == 0 {
		return false
	}
	var k complex128
	valid := 0
	for i := 0; i < c.numPoints(); i++ {
		pt := c.point(vars, i)
		va, vb := numeric(a, pt), numeric(b, pt)
		if !finite(va) || !finite(vb) {
			continue
		}
		if vb == 0 || va == 0 {
			if !c.close(va, vb) {
				return false
			}
			continue
		}
		r := va / vb
		if valid == 0 {
			k = r
			if positive && (math.Abs(imag(k)) > 1e-9 || real(k) <= 0) {
				return false
			}
		} else if !c.close(r, k) {
			return false
		}
		valid++
	}
	return valid > 0
}

// relVar returns the variable of a relation in one variable ("x" of 2 < x ≤ 5).
func relVar(r *node) string {
	for _, k := range r.kids {
		if isVar(k) {
			return k.name
		}
	}
	return ""
}

// relInterval converts "x < 5", "5 \le x", "-2 \le x < 7" into an interval.
func relInterval(r *node) (*node, bool) {
	r = orient(r)
	for _, op := range r.ops {
		if op != tLt && op != tLe {
			return nil, false
		}
	}
	negInf := newNode(kNeg, newNode(kInf))
	posInf := newNode(kInf)
	switch len(r.kids) {
	case 2:
		if isVar(r.kids[0]) && constant(r.kids[1]) {
			iv := newNode(kInterval, negInf, r.kids[1])
			iv.hiClosed = r.ops[0] == tLe
			return iv, true
		}
		if isVar(r.kids[1]) && constant(r.kids[0]) {
			iv := newNode(kInterval, r.kids[0], posInf)
			iv.loClosed = r.ops[0] == tLe
			return iv, true
		}
	case 3:
		if isVar(r.kids[1]) && constant(r.kids[0]) && constant(r.kids[2]) {
			iv := newNode(kInterval, r.kids[0], r.kids[2])
			iv.loClosed = r.ops[0] == tLe
			iv.hiClosed = r.ops[1] == tLe
			return iv, true
		}
	}
	return nil, false
}

// toIntervals returns the intervals of an interval, an open pair (a, b) or a union.
func toIntervals(n *node) ([]*node, bool) {
	switch n.k {
	case kInterval:
		return []*node{n}, true
	case kList:
		// "x < 2 or x > 3": inequalities in one variable, as a union.
		var out []*node
		v := ""
		for _, k := range n.kids {
			if k.k != kRel {
				return nil, false
			}
			iv, ok := relInterval(k)
			if !ok {
				return nil, false
			}
			name := relVar(k)
			if v != "" && name != v {
				return nil, false
			}
			v = name
			out = append(out, iv)
		}
		return out, true
	case kTuple:
		if len(n.kids) == 2 && n.kids[0].isScalar() && n.kids[1].isScalar() {
			iv := newNode(kInterval, n.kids[0], n.kids[1])
			return []*node{iv}, true
		}
	case kSet:
		// Finite sets inside unions are sets of points [a, a].
		var out []*node
		for _, k := range n.kids {
			if !k.isScalar() || k.hasPM() {
				return nil, false
			}
			iv := newNode(kInterval, k, k)
			iv.loClosed, iv.hiClosed = true, true
			out = append(out, iv)
		}
		return out, true
	case kEmpty:
		return nil, true
	case kUnion:
		var out []*node
		for _, k := range n.kids {
			ivs, ok := toIntervals(k)
			if !ok {
				return nil, false
			}
			out = append(out, ivs...)
		}
		return out, true
	}
	return nil, false
}

// realValue returns the real value of a constant endpoint (±Inf allowed).
func realValue(n *node) (float64, bool) {
	if s := infSign(n); s != 0 {
		return math.Inf(s), true
	}
	v := numeric(n, nil)
	if cmplx.IsNaN(v) || imag(v) != 0 {
		return 0, false
	}
	return real(v), true
}

// mergeIntervals sorts intervals with numeric endpoints and merges overlapping or
// touching ones; ok is false when an endpoint is not a real constant.
func mergeIntervals(ivs []*node) ([]*node, bool) {
	type span struct {
		lo, hi float64
		n      *node
	}
	spans := make([]span, 0, len(ivs))
	for _, iv := range ivs {
		lo, ok1 := realValue(iv.kids[0])
		hi, ok2 := realValue(iv.kids[1])
		if !ok1 || !ok2 {
			return nil, false
		}
		spans = append(spans, span{lo, hi, iv})
	}
	sort.SliceStable(spans, func(i, j int) bool { return spans[i].lo < spans[j].lo })
	near := func(a, b float64) bool {
		return a == b || math.Abs(a-b) <= 1e-12*math.Max(math.Abs(a), math.Abs(b))
	}
	var out []span
	for _, s := range spans {
		if len(out) > 0 {
			last := &out[len(out)-1]
			if s.lo < last.hi && !near(s.lo, last.hi) || near(s.lo, last.hi) && (last.n.hiClosed || s.n.loClosed) {
				if s.hi > last.hi || near(s.hi, last.hi) && s.n.hiClosed {
					m := *last.n
					m.kids = []*node{last.n.kids[0], s.n.kids[1]}
					m.hiClosed = s.n.hiClosed || near(s.hi, last.hi) && last.n.hiClosed
					last.n, last.hi = &m, s.hi
				}
				continue
			}
		}
		out = append(out, s)
	}
	res := make([]*node, len(out))
	for i, s := range out {
		res[i] = s.n
	}
	return res, true
}

// intervalsEqual compares two unions of intervals as sets of reals where the
// endpoints are numeric, else interval by interval without order.
func (c *comparer) intervalsEqual(g, p []*node, depth int) bool {
	if mg, ok := mergeIntervals(g); ok {
		if mp, ok := mergeIntervals(p); ok {
			g, p = mg, mp
		}
	}
	if len(g) != len(p) {
		return false
	}
	used := make([]bool, len(p))
	for _, a := range g {
		found := false
		for j, b := range p {
			if used[j] || a.loClosed != b.loClosed || a.hiClosed != b.hiClosed {
				continue
			}
			if c.equal(a.kids[0], b.kids[0], depth+1) && c.equal(a.kids[1], b.kids[1], depth+1) {
				used[j], found = true, true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// matrixEqual compares matrices element-wise; a one-row or one-column matrix also
// equals a tuple of its elements.
func (c *comparer) matrixEqual(g, p *node, depth int) bool {
	if g.k != kMatrix {
		g, p = p, g
	}
	if p.k == kMatrix {
		if g.rows != p.rows || g.cols != p.cols {
			return false
		}
	} else if p.k != kTuple || (g.rows != 1 && g.cols != 1) || len(p.kids) != len(g.kids) {
		return false
	}
	for i := range g.kids {
		if !c.equal(g.kids[i], p.kids[i], depth+1) {
			return false
		}
	}
	return true
}

// collectionEqual compares tuples (ordered) and lists or sets (unordered); a scalar is
// a one-element list.
func (c *comparer) collectionEqual(g, p *node, depth int) bool {
	items := func(n *node) ([]*node, bool) {
		switch n.k {
		case kTuple:
			return n.kids, true
		case kList, kSet:
			// Elements with ± stand for several values: {1 \pm 2, 5} is {3, -1, 5}.
			var out []*node
			for _, k := range n.kids {
				if k.isScalar() && k.hasPM() {
					out = append(out, expandPM(k)...)
				} else {
					out = append(out, k)
				}
			}
			return out, false
		}
		return []*node{n}, false
	}
	gi, gOrd := items(g)
	pi, pOrd := items(p)
	// "y = 2, x = 1" against the pair (1, 2): assignments in alphabetical order.
	if gOrd && !pOrd {
		if vals, ok := assignments(p); ok {
			pi, pOrd = vals, true
		}
	} else if pOrd && !gOrd {
		if vals, ok := assignments(g); ok {
			gi, gOrd = vals, true
		}
	}
	if gOrd || pOrd {
		// A tuple equals a tuple, or a bare list in the same order.
		if gOrd && pOrd || gOrd && p.k == kList || pOrd && g.k == kList {
			if len(gi) != len(pi) {
				return false
			}
			for i := range gi {
				if !c.equal(gi[i], pi[i], depth+1) {
					return false
				}
			}
			return true
		}
		return false
	}
	if eq, ok := exactSetsEqual(gi, pi); ok {
		return eq
	}
	return c.covers(gi, pi, depth) && c.covers(pi, gi, depth)
}

// exactSetsEqual compares two collections of exact constants as sets in O(n log n)
// (through a map of canonical values); ok is false when an element is not one.
func exactSetsEqual(a, b []*node) (eq, ok bool) {
	keys := func(ns []*node) (map[string]bool, bool) {
		m := make(map[string]bool, len(ns))
		for _, n := range ns {
			if n.k == kPercent || n.k == kDegree || n.k == kBase || !n.isScalar() {
				return nil, false
			}
			v, ok := exact(n)
			if !ok {
				return nil, false
			}
			m[v.re.RatString()+"|"+v.im.RatString()] = true
		}
		return m, true
	}
	ka, ok := keys(a)
	if !ok {
		return false, false
	}
	kb, ok := keys(b)
	if !ok {
		return false, false
	}
	if len(ka) != len(kb) {
		return false, true
	}
	for k := range ka {
		if !kb[k] {
			return false, true
		}
	}
	return true, true
}

// assignments returns the values of a list of assignments to distinct variables
// ("y = 2, x = 1") sorted by variable name.
func assignments(n *node) ([]*node, bool) {
	if n.k != kList || len(n.kids) < 2 {
		return nil, false
	}
	type kv struct {
		name string
		val  *node
	}
	var as []kv
	seen := map[string]bool{}
	for _, k := range n.kids {
		if k.k != kRel || len(k.ops) != 1 || k.ops[0] != tEq || !isVar(k.kids[0]) || seen[k.kids[0].name] {
			return nil, false
		}
		seen[k.kids[0].name] = true
		as = append(as, kv{k.kids[0].name, k.kids[1]})
	}
	sort.Slice(as, func(i, j int) bool { return as[i].name < as[j].name })
	vals := make([]*node, len(as))
	for i, a := range as {
		vals[i] = a.val
	}
	return vals, true
}

// covers reports whether every element of a equals some element of b.
func (c *comparer) covers(a, b []*node, depth int) bool {
	for _, x := range a {
		found := false
		for _, y := range b {
			if c.equal(x, y, depth+1) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}
