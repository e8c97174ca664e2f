package triton

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// ssaErrors checks the SSA names of hand-written IR: each value is defined once (results,
// function, block and loop arguments) and each use follows its definition. It cannot check
// types or regions' scopes, but it catches the typos and renamings that make XLA's Triton
// compilation fail on the GPU, where a failed run costs minutes.
func ssaErrors(ir string) []string {
	var errs []string
	defined := map[string]bool{}
	def := func(name string, line int) {
		if defined[name] {
			errs = append(errs, fmt.Sprintf("line %d: %s defined twice", line, name))
		}
		defined[name] = true
	}
	name := regexp.MustCompile(`%[A-Za-z_][A-Za-z0-9_]*`)
	result := regexp.MustCompile(`^\s*(%[A-Za-z_][A-Za-z0-9_]*)(:\d+)? = `)
	argument := regexp.MustCompile(`(%[A-Za-z_][A-Za-z0-9_]*)\s*:`)         // function and block arguments: %x: type
	iterArg := regexp.MustCompile(`(%[A-Za-z_][A-Za-z0-9_]*) = [^,)]+[,)]`) // scf.for's iter_args(%m = %m0, ...)
	induction := regexp.MustCompile(`scf\.for (%[A-Za-z_][A-Za-z0-9_]*) =`)
	for i, line := range strings.Split(ir, "\n") {
		n := i + 1
		var here []string
		switch {
		case strings.Contains(line, "tt.func") || strings.Contains(line, "^bb"):
			for _, m := range argument.FindAllStringSubmatch(line, -1) {
				here = append(here, m[1])
			}
		case strings.Contains(line, "scf.for"):
			here = append(here, induction.FindStringSubmatch(line)[1])
			if at := strings.Index(line, "iter_args("); at >= 0 {
				for _, m := range iterArg.FindAllStringSubmatch(line[at+len("iter_args("):], -1) {
					here = append(here, m[1])
				}
			}
		}
		uses := line
		if m := result.FindStringSubmatch(line); m != nil {
			uses = line[len(m[0]):]
		}
		for _, u := range name.FindAllString(uses, -1) {
			if !defined[u] && !slices.Contains(here, u) {
				errs = append(errs, fmt.Sprintf("line %d: %s used before it is defined", n, u))
			}
		}
		for _, h := range here {
			def(h, n)
		}
		if m := result.FindStringSubmatch(line); m != nil {
			def(m[1], n)
		}
	}
	return errs
}

// Every decode attention kernel's IR passes the SSA check; a renamed value fails it.
func TestDecodeAttentionSSA(t *testing.T) {
	a := DecodeAttention{Rows: 64, KVHeads: 2, Group: 7, HeadDim: 64, Slots: 1536, Scale: 0.125}
	kernels := map[string]func() (Kernel, error){
		"per row":       a.Kernel,
		"shared":        func() (Kernel, error) { return a.SharedKernel(16, 512) },
		"fused":         a.FusedKernel,
		"fused, shared": func() (Kernel, error) { return a.FusedSharedKernel(16, 512) },
		"add one":       func() (Kernel, error) { return AddOne(1000), nil },
	}
	for name, make := range kernels {
		k, err := make()
		if err != nil {
			t.Fatal(name, err)
		}
		if errs := ssaErrors(k.IR); len(errs) > 0 {
			t.Errorf("%s: %d errors, first %q", name, len(errs), errs[:min(5, len(errs))])
		}
		if strings.Contains(k.IR, "{{") {
			t.Errorf("%s: unreplaced placeholders", name)
		}
	}
	k, _ := a.FusedKernel()
	if errs := ssaErrors(strings.Replace(k.IR, "%knew = ", "%knew2 = ", 1)); len(errs) == 0 {
		t.Error("a renamed definition passed the SSA check")
	}
	if errs := ssaErrors(k.IR + "\n    %qv = arith.constant 0 : i32"); len(errs) == 0 {
		t.Error("a value defined twice passed the SSA check")
	}
}
