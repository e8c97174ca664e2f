package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/r1go/r1go/reward"
)

// cmdVerify is `r1go verify`: score model answers in a JSONL file.
func cmdVerify() *command {
	return &command{
		name:    "verify",
		summary: "check model answers in a JSONL file with a verifier (math, countdown, code, ...) or a composite reward",
		usage:   "--input FILE.jsonl [--task math|countdown|exact|integer|choice|code] [--output FILE]",
		run:     runVerify,
	}
}

func runVerify(fs *flag.FlagSet, args []string) error {
	input := fs.String("input", "", "JSONL file to verify, one object per line: {\"gold\":..,\"pred\":..} plus task fields such as \"numbers\"/\"target\" (countdown), \"tests\" (code), \"choices\" (choice); \"-\" reads standard input")
	task := fs.String("task", "math", "verifier to apply: "+strings.Join(reward.Names(), "|"))
	params := fs.String("params", "", "parameters of the --task verifier as key=value pairs separated by ';', e.g. \"exactly_once=true\" for countdown or \"mode=all;timeout=5\" for code")
	spec := fs.String("reward", "", "score with a composite reward instead of --task, e.g. \"math:1,format:1\"; each term's value is written under \"rewards\"")
	output := fs.String("output", "", "file to write the results to, one JSON line per input line in order (written to a temporary file, then renamed); default standard output")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *input == "" {
		return errors.New("--input is required")
	}
	taskSet := false
	fs.Visit(func(f *flag.Flag) {
		if f.Name == "task" || f.Name == "params" {
			taskSet = true
		}
	})
	var c *reward.Composite
	var err error
	if *spec != "" {
		if taskSet {
			return errors.New("--reward replaces --task and --params: give one or the other")
		}
		c, err = reward.ParseSpec(*spec)
	} else {
		if strings.ContainsAny(*task, ",():") {
			return fmt.Errorf("--task %q: give one reward name (and --params); use --reward for a weighted composite", *task)
		}
		s := *task
		if *params != "" {
			s += "(" + *params + ")"
		}
		c, err = reward.ParseSpec(s)
	}
	if err != nil {
		return err
	}

	stats, err := reward.VerifyFile(*input, *output, c, *spec != "")
	if err != nil {
		return err
	}
	dest := *output
	if dest == "" {
		dest = "standard output"
	}
	printVerifyStats(*input, dest, stats)
	return nil
}

// printVerifyStats writes a one-line summary to standard error.
func printVerifyStats(in, out string, s reward.VerifyStats) {
	scored := s.Lines - s.Errors
	pct := 0.0
	if scored > 0 {
		pct = 100 * float64(s.Correct) / float64(scored)
	}
	fmt.Fprintf(os.Stderr, "r1go verify: %s: %d lines, %d correct (%.2f%% of %d scored), %d errors; results in %s\n",
		in, s.Lines, s.Correct, pct, scored, s.Errors, out)
}
