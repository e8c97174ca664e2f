package triton

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
)

// irTypeErrors checks the names and types of hand-written Triton IR: each value is defined once,
// before its uses, and every operation's operands have the types its own annotation states (tt.addptr's pointer and offset, tt.load's pointer, mask
// and default, tt.dot's [M, K] · [K, N] → [M, N], the loops' carried values, ...), and each
// result gets the type the annotation gives it. Triton rejects a mismatch when XLA compiles
// the call on the GPU; this finds it on the CPU.
func irTypeErrors(ir string) []string {
	var errs []string
	types := map[string]string{}
	bad := func(n int, format string, args ...any) {
		errs = append(errs, fmt.Sprintf("line %d: ", n)+fmt.Sprintf(format, args...))
	}
	typeOf := func(n int, v string) string { // %res#1 is a loop's second result
		t, ok := types[v]
		if !ok {
			bad(n, "%s is used before it is defined", v)
		}
		return t
	}
	define := func(n int, v, t string) {
		if _, ok := types[v]; ok {
			bad(n, "%s is defined twice", v)
		}
		types[v] = t
	}
	expect := func(n int, v, want string) {
		if got := typeOf(n, v); got != "" && got != want {
			bad(n, "%s is %s, the operation says %s", v, got, want)
		}
	}
	name := regexp.MustCompile(`%[A-Za-z_][A-Za-z0-9_]*(#\d+)?`)
	argument := regexp.MustCompile(`(%[A-Za-z_][A-Za-z0-9_]*): ([^\s,{)]+)`)
	result := regexp.MustCompile(`^\s*(%[A-Za-z_][A-Za-z0-9_]*)(:(\d+))? = ("[a-z_.]+"|[a-z_]+\.[a-z_]+)(.*)$`)
	var reduceOf, reduceInto string // the tt.reduce being read: its operand and result
	for i, line := range strings.Split(ir, "\n") {
		n := i + 1
		trimmed := strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(trimmed, "tt.func"), strings.HasPrefix(trimmed, "^bb"):
			for _, m := range argument.FindAllStringSubmatch(trimmed, -1) {
				define(n, m[1], m[2])
			}
			continue
		case strings.HasPrefix(trimmed, "}) : ("): // the end of a tt.reduce: "}) : (T1) -> T2"
			spec := strings.TrimPrefix(trimmed, "}) : (")
			from, to, _ := strings.Cut(spec, ") -> ")
			expect(n, reduceOf, from)
			define(n, reduceInto, to)
			continue
		case strings.HasPrefix(trimmed, "tt.reduce.return"), strings.HasPrefix(trimmed, "scf.yield"), strings.HasPrefix(trimmed, "tt.store"):
			ops, spec := splitSpec(trimmed)
			vals := name.FindAllString(ops, -1)
			specs := strings.Split(spec, ", ")
			if strings.HasPrefix(trimmed, "tt.store") {
				expect(n, vals[0], spec)
				expect(n, vals[1], pointee(spec))
				if len(vals) > 2 {
					expect(n, vals[2], withElem(spec, "i1"))
				}
				continue
			}
			if len(vals) != len(specs) {
				bad(n, "%d values, %d types", len(vals), len(specs))
				continue
			}
			for j, v := range vals {
				expect(n, v, specs[j])
			}
			continue
		}
		m := result.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		res, op, rest := m[1], strings.Trim(m[4], `"`), m[5]
		if op == "tt.reduce" {
			reduceOf, reduceInto = name.FindString(rest), res
			continue
		}
		if op == "scf.for" { // %res:3 = scf.for %s0 = %lb to %ub step %c iter_args(%m = %m0, ...) -> (T1, T2, T3)  : i32 {
			head, tail, _ := strings.Cut(rest, "iter_args(")
			iter, after, _ := strings.Cut(tail, ") -> (")
			resTypes, induction, _ := strings.Cut(after, ")")
			induction = strings.TrimSuffix(strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(induction), ":")), " {")
			hv := name.FindAllString(head, -1) // the induction variable, then lb, ub, step
			define(n, hv[0], induction)
			for _, v := range hv[1:] {
				expect(n, v, induction)
			}
			rt := strings.Split(resTypes, ", ")
			for j, pair := range strings.Split(iter, ", ") {
				carried, init, _ := strings.Cut(pair, " = ")
				define(n, carried, rt[j])
				expect(n, init, rt[j])
				define(n, res+"#"+fmt.Sprint(j), rt[j])
			}
			continue
		}
		ops, spec := splitSpec(rest)
		vals := name.FindAllString(ops, -1)
		var out string
		switch op {
		case "arith.constant", "tt.make_range", "tt.get_program_id":
			out = spec
		case "arith.addi", "arith.subi", "arith.muli", "arith.divsi", "arith.remsi", "arith.andi",
			"arith.addf", "arith.subf", "arith.mulf", "arith.divf", "arith.maxnumf", "arith.negf", "math.exp":
			for _, v := range vals {
				expect(n, v, spec)
			}
			out = spec
		case "arith.cmpi":
			for _, v := range vals {
				expect(n, v, spec)
			}
			out = withElem(spec, "i1")
		case "arith.select":
			cond, t, ok := strings.Cut(spec, ", ")
			if !ok {
				cond, t = "i1", spec
			}
			expect(n, vals[0], cond)
			expect(n, vals[1], t)
			expect(n, vals[2], t)
			out = t
		case "arith.extf", "arith.truncf", "arith.extsi":
			from, to, _ := strings.Cut(spec, " to ")
			expect(n, vals[0], from)
			out = to
		case "tt.splat", "tt.broadcast", "tt.expand_dims", "tt.trans":
			from, to, _ := strings.Cut(spec, " -> ")
			expect(n, vals[0], from)
			if op == "tt.splat" && elem(to) != from {
				bad(n, "splat of %s into %s", from, to)
			} else if op != "tt.splat" && elem(to) != elem(from) {
				bad(n, "%s changes the element type: %s to %s", op, from, to)
			}
			out = to
		case "tt.addptr":
			p, off, _ := strings.Cut(spec, ", ")
			expect(n, vals[0], p)
			expect(n, vals[1], off)
			if fmt.Sprint(dims(p)) != fmt.Sprint(dims(off)) {
				bad(n, "pointers %s offset by %s", p, off)
			}
			out = p
		case "tt.load":
			expect(n, vals[0], spec)
			out = pointee(spec)
			if len(vals) > 1 {
				expect(n, vals[1], withElem(spec, "i1"))
			}
			if len(vals) > 2 {
				expect(n, vals[2], out)
			}
		case "tt.dot":
			ab, c, _ := strings.Cut(spec, " -> ")
			a, b, _ := strings.Cut(ab, " * ")
			expect(n, vals[0], a)
			expect(n, vals[1], b)
			expect(n, vals[2], c)
			da, db, dc := dims(a), dims(b), dims(c)
			if len(da) != 2 || len(db) != 2 || len(dc) != 2 || da[1] != db[0] || dc[0] != da[0] || dc[1] != db[1] {
				bad(n, "tt.dot of %s and %s into %s", a, b, c)
			}
			out = c
		default:
			bad(n, "operation %s is not checked", op)
			continue
		}
		define(n, res, out)
	}
	return errs
}

// splitSpec splits "operands attributes : types" at its last " : " (attributes hold their own
// ": i32"), dropping a trailing " {".
func splitSpec(s string) (operands, spec string) {
	s = strings.TrimSuffix(strings.TrimSpace(s), " {")
	i := strings.LastIndex(s, " : ")
	if i < 0 {
		return s, ""
	}
	return s[:i], strings.TrimSpace(s[i+3:])
}

// dims are a tensor type's dimensions (none for a scalar); elem its element type.
func dims(t string) []string {
	if !strings.HasPrefix(t, "tensor<") {
		return nil
	}
	parts := strings.Split(strings.TrimSuffix(strings.TrimPrefix(t, "tensor<"), ">"), "x")
	return parts[:len(parts)-1]
}

func elem(t string) string {
	if !strings.HasPrefix(t, "tensor<") {
		return t
	}
	inner := strings.TrimSuffix(strings.TrimPrefix(t, "tensor<"), ">")
	return inner[len(strings.Join(dims(t), "x"))+1:]
}

// withElem is t with its element type replaced.
func withElem(t, e string) string {
	if d := dims(t); len(d) > 0 {
		return "tensor<" + strings.Join(d, "x") + "x" + e + ">"
	}
	return e
}

// pointee is what a pointer type (or a tensor of pointers) points to.
func pointee(t string) string {
	e := elem(t)
	return withElem(t, strings.TrimSuffix(strings.TrimPrefix(e, "!tt.ptr<"), ">"))
}

// Every kernel's IR passes the check of names and types; a value renamed or defined twice, or an
// operand of the wrong type, fails it.
func TestKernelTypes(t *testing.T) {
	for _, c := range []struct {
		hd     int
		tuning Tuning
	}{{64, Tuning{}}, {128, Tuning{}}, {64, Tuning{Block: 32}}, {128, Tuning{Block: 128, Warps: 8, Stages: 3}}} {
		hd := c.hd
		a := DecodeAttention{Rows: 64, KVHeads: 2, Group: 7, HeadDim: hd, Slots: 1536, Scale: 0.125, Tuning: c.tuning}
		for name, make := range map[string]func() (Kernel, error){
			"per row":       a.Kernel,
			"shared":        func() (Kernel, error) { return a.SharedKernel(16, 512) },
			"fused":         a.FusedKernel,
			"fused, shared": func() (Kernel, error) { return a.FusedSharedKernel(16, 512) },
			"add one":       func() (Kernel, error) { return AddOne(1000), nil },
		} {
			k, err := make()
			if err != nil {
				t.Fatal(name, err)
			}
			if strings.Contains(k.IR, "{{") {
				t.Errorf("%s, head dim %d: unreplaced placeholders", name, hd)
			}
			if errs := irTypeErrors(k.IR); len(errs) > 0 {
				t.Errorf("%s, head dim %d: %d type errors, first %q", name, hd, len(errs), errs[:min(5, len(errs))])
			}
		}
	}
	k, _ := DecodeAttention{Rows: 64, KVHeads: 2, Group: 7, HeadDim: 64, Slots: 1536, Scale: 0.125}.FusedKernel()
	for _, mutation := range [][2]string{
		{"%knew = ", "%knew2 = "}, // a renamed definition: its uses come first
		{"%qv = arith.truncf", "%qv = arith.truncf %qrot : tensor<16x64xf32> to tensor<16x64xbf16>\n    %qv = arith.truncf"}, // defined twice
		{"%ka = arith.mulf %kf, %cosv", "%ka = arith.mulf %kraw, %cosv"},                                                     // bf16 where f32 is said
		{"%kos = tt.addptr %kob, %atoff", "%kos = tt.addptr %kob, %dsh"},                                                     // a tensor offset for a scalar pointer
		{"%vraw = tt.load %vnp :", "%vraw = tt.load %knp :"},                                                                 // fine: same type (a control)
		{"tt.store %kop, %knew :", "tt.store %kop, %krot :"},                                                                 // f32 stored into bf16
		{"%kf = arith.addf %kf0, %kbf", "%kf = arith.addf %kf0, %kbraw"},                                                     // a bf16 bias added to f32
	} {
		errs := irTypeErrors(strings.Replace(k.IR, mutation[0], mutation[1], 1))
		if control := strings.Contains(mutation[1], "%knp :"); control != (len(errs) == 0) {
			t.Errorf("%q → %q: %d errors %q", mutation[0], mutation[1], len(errs), errs)
		}
	}
}
