package mathverify

import (
	"math"
	"math/big"
	"math/cmplx"
)

// maxExactBits bounds the size of exact intermediate results; larger values fall back
// to floating point (where they overflow to infinity and compare unequal).
const maxExactBits = 1 << 12

// maxFactorial bounds n in exact n! and binomials.
const maxFactorial = 2000

// gq is an exact Gaussian rational re + im·i.
type gq struct{ re, im *big.Rat }

func (a gq) isReal() bool { return a.im.Sign() == 0 }

func ratBits(r *big.Rat) int { return r.Num().BitLen() + r.Denom().BitLen() }

func (a gq) bits() int { return ratBits(a.re) + ratBits(a.im) }

func gqReal(r *big.Rat) gq { return gq{r, new(big.Rat)} }

func gqAdd(a, b gq) gq {
	return gq{new(big.Rat).Add(a.re, b.re), new(big.Rat).Add(a.im, b.im)}
}

func gqSub(a, b gq) gq {
	return gq{new(big.Rat).Sub(a.re, b.re), new(big.Rat).Sub(a.im, b.im)}
}

func gqMul(a, b gq) gq {
	if a.isReal() && b.isReal() {
		return gqReal(new(big.Rat).Mul(a.re, b.re))
	}
	re := new(big.Rat).Mul(a.re, b.re)
	re.Sub(re, new(big.Rat).Mul(a.im, b.im))
	im := new(big.Rat).Mul(a.re, b.im)
	im.Add(im, new(big.Rat).Mul(a.im, b.re))
	return gq{re, im}
}

// gqDiv returns a/b; ok is false when b is zero.
func gqDiv(a, b gq) (gq, bool) {
	if b.re.Sign() == 0 && b.im.Sign() == 0 {
		return gq{}, false
	}
	if a.isReal() && b.isReal() {
		return gqReal(new(big.Rat).Quo(a.re, b.re)), true
	}
	den := new(big.Rat).Mul(b.re, b.re)
	den.Add(den, new(big.Rat).Mul(b.im, b.im))
	conj := gq{b.re, new(big.Rat).Neg(b.im)}
	n := gqMul(a, conj)
	return gq{n.re.Quo(n.re, den), n.im.Quo(n.im, den)}, true
}

// gqPowInt returns a^n for an integer n; ok is false when the result would be too
// large or a is zero with n < 0.
func gqPowInt(a gq, n int64) (gq, bool) {
	if n > maxExactBits || n < -maxExactBits {
		// Only 0, 1 and -1 have exact powers this large.
		if !a.isReal() || a.re.Sign() != 0 && (!a.re.IsInt() || new(big.Int).Abs(a.re.Num()).Cmp(big.NewInt(1)) != 0) {
			return gq{}, false
		}
		switch {
		case a.re.Sign() == 0 && n < 0:
			return gq{}, false
		case a.re.Sign() == 0:
			return a, true
		case a.re.Sign() < 0 && n%2 != 0:
			return gqReal(big.NewRat(-1, 1)), true
		}
		return gqReal(big.NewRat(1, 1)), true
	}
	if n < 0 {
		p, ok := gqPowInt(a, -n)
		if !ok {
			return gq{}, false
		}
		return gqDiv(gqReal(big.NewRat(1, 1)), p)
	}
	if n > 1 && int64(a.bits())*n > maxExactBits*2 {
		return gq{}, false
	}
	if a.isReal() {
		num := new(big.Int).Exp(a.re.Num(), big.NewInt(n), nil)
		den := new(big.Int).Exp(a.re.Denom(), big.NewInt(n), nil)
		return gqReal(new(big.Rat).SetFrac(num, den)), true
	}
	res := gqReal(big.NewRat(1, 1))
	base := a
	for n > 0 {
		if n&1 == 1 {
			res = gqMul(res, base)
		}
		n >>= 1
		if n > 0 {
			base = gqMul(base, base)
		}
	}
	return res, true
}

// ratInt returns r as an int64 when it is an integer that fits.
func ratInt(r *big.Rat) (int64, bool) {
	if !r.IsInt() || !r.Num().IsInt64() {
		return 0, false
	}
	return r.Num().Int64(), true
}

// intRoot returns the exact q-th root of a non-negative integer x, if there is one.
func intRoot(x *big.Int, q int64) (*big.Int, bool) {
	if x.Sign() == 0 || x.Cmp(big.NewInt(1)) == 0 {
		return new(big.Int).Set(x), true
	}
	if q == 2 {
		r := new(big.Int).Sqrt(x)
		return r, new(big.Int).Mul(r, r).Cmp(x) == 0
	}
	if x.BitLen() > 1024 {
		return nil, false
	}
	f, _ := new(big.Float).SetInt(x).Float64()
	guess := math.Round(math.Pow(f, 1/float64(q)))
	for _, g := range []float64{guess - 1, guess, guess + 1} {
		if g < 0 {
			continue
		}
		r, _ := big.NewFloat(g).Int(nil)
		if new(big.Int).Exp(r, big.NewInt(q), nil).Cmp(x) == 0 {
			return r, true
		}
	}
	return nil, false
}

// ratRoot returns the exact real q-th root of r (q > 0), if rational.
func ratRoot(r *big.Rat, q int64) (*big.Rat, bool) {
	if q <= 0 || q > 64 {
		return nil, false
	}
	neg := r.Sign() < 0
	if neg && q%2 == 0 {
		return nil, false
	}
	num := new(big.Int).Abs(r.Num())
	n, ok := intRoot(num, q)
	if !ok {
		return nil, false
	}
	d, ok := intRoot(r.Denom(), q)
	if !ok {
		return nil, false
	}
	res := new(big.Rat).SetFrac(n, d)
	if neg {
		res.Neg(res)
	}
	return res, true
}

// exact evaluates a constant expression with Gaussian rational arithmetic. ok is false
// when n has free variables, irrational values (pi, e, most roots, logarithms), or
// results too large for exact arithmetic.
func exact(n *node) (gq, bool) {
	switch n.k {
	case kNum:
		return gqReal(n.num), true
	case kBase:
		return gqReal(n.kids[0].num), true
	case kSym:
		if n.name == "i" {
			return gq{new(big.Rat), big.NewRat(1, 1)}, true
		}
		return gq{}, false
	case kNeg:
		a, ok := exact(n.kids[0])
		if !ok {
			return gq{}, false
		}
		return gq{new(big.Rat).Neg(a.re), new(big.Rat).Neg(a.im)}, true
	case kAdd, kSub, kMul, kDiv:
		a, ok := exact(n.kids[0])
		if !ok {
			return gq{}, false
		}
		b, ok := exact(n.kids[1])
		if !ok {
			return gq{}, false
		}
		var r gq
		switch n.k {
		case kAdd:
			r = gqAdd(a, b)
		case kSub:
			r = gqSub(a, b)
		case kMul:
			r = gqMul(a, b)
		case kDiv:
			if r, ok = gqDiv(a, b); !ok {
				return gq{}, false
			}
		}
		if r.bits() > maxExactBits*2 {
			return gq{}, false
		}
		return r, true
	case kPow:
		a, ok := exact(n.kids[0])
		if !ok {
			return gq{}, false
		}
		b, ok := exact(n.kids[1])
		if !ok || !b.isReal() {
			return gq{}, false
		}
		if e, ok := ratInt(b.re); ok {
			return gqPowInt(a, e)
		}
		if b.re.IsInt() {
			// An integer exponent beyond int64: exact only for the bases 0, 1 and -1.
			odd := b.re.Num().Bit(0) == 1
			switch {
			case !a.isReal():
				return gq{}, false
			case a.re.Sign() == 0 && b.re.Sign() > 0:
				return a, true
			case a.re.Cmp(big.NewRat(1, 1)) == 0:
				return a, true
			case a.re.Cmp(big.NewRat(-1, 1)) == 0 && odd:
				return a, true
			case a.re.Cmp(big.NewRat(-1, 1)) == 0:
				return gqReal(big.NewRat(1, 1)), true
			}
			return gq{}, false
		}
		// Rational exponent p/q of a real base: exact when the q-th root is rational.
		if !a.isReal() || !b.re.Num().IsInt64() || !b.re.Denom().IsInt64() {
			return gq{}, false
		}
		root, ok := ratRoot(a.re, b.re.Denom().Int64())
		if !ok {
			return gq{}, false
		}
		return gqPowInt(gqReal(root), b.re.Num().Int64())
	case kPercent:
		a, ok := exact(n.kids[0])
		if !ok {
			return gq{}, false
		}
		h := gqReal(big.NewRat(100, 1))
		r, _ := gqDiv(a, h)
		return r, true
	case kFunc:
		return exactFunc(n)
	}
	return gq{}, false
}

// exactFunc evaluates the functions that keep rational arguments rational.
func exactFunc(n *node) (gq, bool) {
	args := make([]gq, len(n.kids))
	for i, k := range n.kids {
		a, ok := exact(k)
		if !ok {
			return gq{}, false
		}
		args[i] = a
	}
	realArg := func(i int) (*big.Rat, bool) {
		if i >= len(args) || !args[i].isReal() {
			return nil, false
		}
		return args[i].re, true
	}
	switch n.name {
	case "sqrt":
		x, ok := realArg(0)
		if !ok {
			return gq{}, false
		}
		if x.Sign() < 0 {
			r, ok := ratRoot(new(big.Rat).Neg(x), 2)
			if !ok {
				return gq{}, false
			}
			return gq{new(big.Rat), r}, true
		}
		r, ok := ratRoot(x, 2)
		return gqReal(r), ok
	case "root":
		x, ok := realArg(0)
		if !ok {
			return gq{}, false
		}
		q, ok := realArg(1)
		if !ok {
			return gq{}, false
		}
		qi, ok := ratInt(q)
		if !ok {
			return gq{}, false
		}
		r, ok := ratRoot(x, qi)
		return gqReal(r), ok
	case "abs":
		if len(args) != 1 {
			return gq{}, false
		}
		if args[0].isReal() {
			return gqReal(new(big.Rat).Abs(args[0].re)), true
		}
		sq := new(big.Rat).Mul(args[0].re, args[0].re)
		sq.Add(sq, new(big.Rat).Mul(args[0].im, args[0].im))
		r, ok := ratRoot(sq, 2)
		return gqReal(r), ok
	case "floor", "ceil":
		x, ok := realArg(0)
		if !ok {
			return gq{}, false
		}
		q := new(big.Int).Div(x.Num(), x.Denom()) // Euclidean: floor for positive denominators
		if n.name == "ceil" && !x.IsInt() {
			q.Add(q, big.NewInt(1))
		}
		return gqReal(new(big.Rat).SetInt(q)), true
	case "fact":
		x, ok := realArg(0)
		if !ok {
			return gq{}, false
		}
		k, ok := ratInt(x)
		if !ok || k < 0 || k > maxFactorial {
			return gq{}, false
		}
		return gqReal(new(big.Rat).SetInt(new(big.Int).MulRange(1, k))), true
	case "binom":
		a, ok1 := realArg(0)
		b, ok2 := realArg(1)
		if !ok1 || !ok2 {
			return gq{}, false
		}
		nn, ok1 := ratInt(a)
		kk, ok2 := ratInt(b)
		if !ok1 || !ok2 || nn < 0 || nn > maxFactorial || kk < 0 {
			return gq{}, false
		}
		if kk > nn {
			return gqReal(new(big.Rat)), true
		}
		return gqReal(new(big.Rat).SetInt(new(big.Int).Binomial(nn, kk))), true
	case "gcd", "lcm":
		if len(args) < 2 {
			return gq{}, false
		}
		acc := new(big.Int)
		for i := range args {
			x, ok := realArg(i)
			if !ok || !x.IsInt() {
				return gq{}, false
			}
			v := new(big.Int).Abs(x.Num())
			switch {
			case i == 0:
				acc.Set(v)
			case n.name == "gcd":
				acc.GCD(nil, nil, acc, v)
			default:
				if acc.Sign() == 0 || v.Sign() == 0 {
					acc.SetInt64(0)
					continue
				}
				g := new(big.Int).GCD(nil, nil, acc, v)
				acc.Mul(acc, v)
				acc.Quo(acc, g)
			}
		}
		return gqReal(new(big.Rat).SetInt(acc)), true
	case "min", "max":
		var best *big.Rat
		for i := range args {
			x, ok := realArg(i)
			if !ok {
				return gq{}, false
			}
			if best == nil || (n.name == "min") == (x.Cmp(best) < 0) {
				best = x
			}
		}
		if best == nil {
			return gq{}, false
		}
		return gqReal(best), true
	}
	return gq{}, false
}

// numeric evaluates n in complex128 arithmetic with the free variables in vars.
// It returns NaN for values it cannot compute.
func numeric(n *node, vars map[string]complex128) complex128 {
	nan := cmplx.NaN()
	switch n.k {
	case kNum:
		f, _ := n.num.Float64()
		return complex(f, 0)
	case kBase:
		f, _ := n.kids[0].num.Float64()
		return complex(f, 0)
	case kInf:
		return complex(math.Inf(1), 0)
	case kSym:
		switch n.name {
		case "pi":
			return complex(math.Pi, 0)
		case "e":
			return complex(math.E, 0)
		case "i":
			return complex(0, 1)
		}
		if v, ok := vars[n.name]; ok {
			return v
		}
		return nan
	case kNeg:
		v := numeric(n.kids[0], vars)
		if imag(v) == 0 { // keep -∞ real
			return complex(-real(v), 0)
		}
		return -v
	case kAdd:
		return numeric(n.kids[0], vars) + numeric(n.kids[1], vars)
	case kSub:
		return numeric(n.kids[0], vars) - numeric(n.kids[1], vars)
	case kMul:
		a, b := numeric(n.kids[0], vars), numeric(n.kids[1], vars)
		if imag(a) == 0 && imag(b) == 0 {
			return complex(real(a)*real(b), 0)
		}
		return a * b
	case kDiv:
		a, b := numeric(n.kids[0], vars), numeric(n.kids[1], vars)
		if b == 0 {
			return nan
		}
		if imag(a) == 0 && imag(b) == 0 {
			return complex(real(a)/real(b), 0)
		}
		return a / b
	case kPow:
		a, b := numeric(n.kids[0], vars), numeric(n.kids[1], vars)
		return cpow(a, b)
	case kPercent:
		return numeric(n.kids[0], vars) / 100
	case kDegree:
		return numeric(n.kids[0], vars) * math.Pi / 180
	case kFunc:
		return numericFunc(n, vars)
	}
	return nan
}

// cpow is a^b, real when both are real and the result is. A result that underflows
// to zero from a non-zero base is NaN, not a false zero.
func cpow(a, b complex128) complex128 {
	r := cpowRaw(a, b)
	if r == 0 && a != 0 {
		return cmplx.NaN()
	}
	return r
}

func cpowRaw(a, b complex128) complex128 {
	if imag(a) == 0 && imag(b) == 0 {
		x, y := real(a), real(b)
		if x >= 0 || y == math.Trunc(y) {
			return complex(math.Pow(x, y), 0)
		}
		// A negative base with an odd-denominator exponent (cube root of -8): real root.
		for _, q := range []float64{3, 5, 7, 9} {
			if p := y * q; math.Abs(p-math.Round(p)) < 1e-12 && int64(math.Round(p))%2 != 0 {
				return complex(-math.Pow(-x, y), 0)
			} else if math.Abs(p-math.Round(p)) < 1e-12 {
				return complex(math.Pow(-x, y), 0)
			}
		}
	}
	if a == 0 {
		if real(b) > 0 {
			return 0
		}
		return cmplx.NaN()
	}
	return cmplx.Pow(a, b)
}

func numericFunc(n *node, vars map[string]complex128) complex128 {
	nan := cmplx.NaN()
	args := make([]complex128, len(n.kids))
	for i, k := range n.kids {
		args[i] = numeric(k, vars)
	}
	if len(args) == 0 {
		return nan
	}
	x := args[0]
	re := func(v complex128) (float64, bool) {
		if math.Abs(imag(v)) > 1e-12*math.Max(1, math.Abs(real(v))) {
			return 0, false
		}
		return real(v), true
	}
	switch n.name {
	case "sqrt":
		if imag(x) == 0 && real(x) >= 0 {
			return complex(math.Sqrt(real(x)), 0)
		}
		return cmplx.Sqrt(x)
	case "root":
		if len(args) < 2 {
			return nan
		}
		return cpow(x, 1/args[1])
	case "sin":
		return cmplx.Sin(x)
	case "cos":
		return cmplx.Cos(x)
	case "tan":
		return cmplx.Tan(x)
	case "cot":
		return 1 / cmplx.Tan(x)
	case "sec":
		return 1 / cmplx.Cos(x)
	case "csc":
		return 1 / cmplx.Sin(x)
	case "arcsin":
		return cmplx.Asin(x)
	case "arccos":
		return cmplx.Acos(x)
	case "arctan":
		return cmplx.Atan(x)
	case "arccot":
		return cmplx.Atan(1 / x)
	case "arcsec":
		return cmplx.Acos(1 / x)
	case "arccsc":
		return cmplx.Asin(1 / x)
	case "sinh":
		return cmplx.Sinh(x)
	case "cosh":
		return cmplx.Cosh(x)
	case "tanh":
		return cmplx.Tanh(x)
	case "coth":
		return 1 / cmplx.Tanh(x)
	case "exp":
		return cmplx.Exp(x)
	case "ln":
		return cmplx.Log(x)
	case "lg":
		return cmplx.Log10(x)
	case "log":
		if len(args) == 2 {
			return cmplx.Log(x) / cmplx.Log(args[1])
		}
		return cmplx.Log(x)
	case "abs":
		return complex(cmplx.Abs(x), 0)
	case "floor", "ceil":
		v, ok := re(x)
		if !ok {
			return nan
		}
		if n.name == "floor" {
			return complex(math.Floor(v), 0)
		}
		return complex(math.Ceil(v), 0)
	case "fact":
		v, ok := re(x)
		if !ok || v < 0 || v > 170 {
			return nan
		}
		if v != math.Trunc(v) {
			g, _ := math.Lgamma(v + 1)
			return complex(math.Exp(g), 0)
		}
		p := 1.0
		for k := 2.0; k <= v; k++ {
			p *= k
		}
		return complex(p, 0)
	case "binom":
		a, ok1 := re(x)
		b, ok2 := re(args[1])
		if !ok1 || !ok2 || len(args) != 2 {
			return nan
		}
		la, _ := math.Lgamma(a + 1)
		lb, _ := math.Lgamma(b + 1)
		lc, _ := math.Lgamma(a - b + 1)
		return complex(math.Exp(la-lb-lc), 0)
	case "min", "max":
		best := math.NaN()
		for _, a := range args {
			v, ok := re(a)
			if !ok {
				return nan
			}
			if math.IsNaN(best) || (n.name == "min") == (v < best) {
				best = v
			}
		}
		return complex(best, 0)
	}
	return nan
}
