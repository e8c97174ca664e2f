package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/r1go/r1go/reward/sandbox"
)

// cmdSandbox is `r1go sandbox`: shows which protections the code reward's sandbox has on
// this machine, and runs a Python program in it.
func cmdSandbox() *command {
	return &command{
		name:    "sandbox",
		summary: "show the code sandbox's protections on this machine; with --program, run a Python file in it",
		usage:   "[--program FILE [--stdin FILE] [--expect FILE]] [--mode bwrap|unshare|rlimits] [--python PATH] [limits]",
		run:     runSandbox,
	}
}

func runSandbox(fs *flag.FlagSet, args []string) error {
	def := sandbox.DefaultLimits()
	program := fs.String("program", "", "Python file to run in the sandbox (or a model response holding it, with --extract); without it, only the protections are printed")
	extract := fs.Bool("extract", false, "treat --program as a model response and run the program extracted from it (last ```python block, last ``` block, then <answer>)")
	stdinFile := fs.String("stdin", "", "file fed to the program's standard input (default: nothing)")
	expectFile := fs.String("expect", "", "file with the expected standard output; the run then passes or fails as a test case (trailing whitespace ignored)")
	mode := fs.String("mode", "", "force an isolation mode: bwrap, unshare or rlimits (default: the strongest that works here)")
	python := fs.String("python", "", "Python interpreter, a path or a name in PATH (default python3)")
	wall := fs.Duration("timeout", def.Wall, "wall-clock limit of the run; the whole sandbox is killed at it")
	cpu := fs.Duration("cpu", def.CPU, "CPU time limit of each process (whole seconds)")
	memMB := fs.Int64("memory-mb", def.MemoryBytes>>20, "address space limit of each process, in MiB")
	procs := fs.Int("max-procs", def.MaxProcs, "most processes and threads the program may have at once")
	outKB := fs.Int("max-output-kb", def.MaxOutputBytes>>10, "most standard output (and, separately, standard error) in KiB before the run is killed")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *program == "" && (*stdinFile != "" || *expectFile != "" || *extract) {
		return errors.New("--stdin, --expect and --extract need --program")
	}
	lim := def
	lim.Wall, lim.CPU, lim.MemoryBytes, lim.MaxProcs, lim.MaxOutputBytes = *wall, *cpu, *memMB<<20, *procs, *outKB<<10
	if err := lim.Validate(); err != nil {
		return fmt.Errorf("--timeout, --cpu, --memory-mb, --max-procs, --max-output-kb: %w", err)
	}
	var prog string
	if *program != "" {
		src, err := os.ReadFile(*program)
		if err != nil {
			return fmt.Errorf("--program: %w", err)
		}
		prog = string(src)
	}
	if *extract {
		var ok bool
		if prog, ok = sandbox.ExtractProgram(prog); !ok {
			return fmt.Errorf("--program %s: no program found in the response (no ```python or ``` block, no <answer>)", *program)
		}
	}
	var tc sandbox.TestCase
	if *stdinFile != "" {
		b, err := os.ReadFile(*stdinFile)
		if err != nil {
			return fmt.Errorf("--stdin: %w", err)
		}
		tc.Stdin = string(b)
	}
	if *expectFile != "" {
		b, err := os.ReadFile(*expectFile)
		if err != nil {
			return fmt.Errorf("--expect: %w", err)
		}
		tc.Stdout = string(b)
	}
	ctx := context.Background()
	sb, err := sandbox.New(ctx, sandbox.Options{Python: *python, Mode: sandbox.Mode(*mode)})
	if err != nil {
		return err
	}
	fmt.Printf("mode: %s\n", sb.Mode())
	for _, p := range sb.Protections() {
		fmt.Printf("  %s\n", p)
	}
	if *program == "" {
		return nil
	}
	rep, err := sb.Run(ctx, prog, []sandbox.TestCase{tc}, lim)
	if err != nil {
		return err
	}
	r := rep.Results[0]
	status := r.Status
	if *expectFile == "" && status == sandbox.StatusWrong {
		status = sandbox.StatusOK // nothing was expected
	}
	fmt.Printf("status: %s (exit %d, %v)\n", status, r.ExitCode, r.Wall.Round(time.Millisecond))
	fmt.Printf("stdout:\n%s", sandboxIndent(r.Stdout))
	if r.Stderr != "" {
		fmt.Printf("stderr:\n%s", sandboxIndent(r.Stderr))
	}
	if *expectFile != "" && !r.Passed {
		return fmt.Errorf("the program failed its test: %s", r.Status)
	}
	return nil
}

// sandboxIndent prefixes every line of s with two spaces and ends it with a newline.
func sandboxIndent(s string) string {
	if s == "" {
		return ""
	}
	return "  " + strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n  ") + "\n"
}
