package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/r1go/r1go/data"
	"github.com/r1go/r1go/eval"
	"github.com/r1go/r1go/reward"
)

// cmdEval is `r1go eval`: the R1 evaluation statistics over generated samples.
func cmdEval() *command {
	return &command{
		name:    "eval",
		summary: "score generated samples and report pass@1, pass@k, cons@k, mean length and a pass@1 confidence interval",
		usage:   "--samples FILE.jsonl [--task math|integer|countdown|…|<built-in task>] [--pass-k 1,4,16] [--group-by FIELD] [--out DIR]",
		run:     runEval,
	}
}

func runEval(fs *flag.FlagSet, args []string) error {
	samples := fs.String("samples", "", "generated samples to score (.jsonl, .json or .parquet), one object per sample: "+
		`{"id": problem id, "gold": reference answer, "pred": response or final answer}; a full response may be given as "completion"; `+
		`optional "prompt", "tokens" (completion length in tokens) and task fields ("numbers", "target", ... or a "fields" object). `+
		"Lines sharing an id are the samples of one problem")
	task := fs.String("task", "math", "verifier that judges each sample: a reward name ("+strings.Join(reward.Names(), ", ")+
		`), a reward with parameters such as "countdown(exactly_once=true)", or a built-in task (`+strings.Join(data.TaskNames(), ", ")+
		") whose reward's accuracy term is used")
	passK := fs.String("pass-k", "1", "comma-separated k for the unbiased pass@k estimator, e.g. 1,4,16; each k must be at most the fewest samples of any problem")
	out := fs.String("out", "", "directory to write results.jsonl (one line per problem), summary.json and summary.md into; the summary always goes to standard output")
	ciLevel := fs.Float64("ci-level", 0.95, "confidence level of the pass@1 interval (percentile bootstrap over problems)")
	bootstrap := fs.Int("bootstrap", 2000, "number of bootstrap resamples for the pass@1 interval")
	seed := fs.Uint64("seed", 0, "seed of the bootstrap resampling (the interval is reproducible for a given seed)")
	groupBy := fs.String("group-by", "", `task field of the samples to break the results down by, e.g. "level" or "subject" for MATH-500; adds "by_<field>" to the summary`)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *samples == "" {
		return errors.New("--samples is required (generate samples with another tool or r1go, then score them here)")
	}
	ks, err := parseKList(*passK)
	if err != nil {
		return fmt.Errorf("--pass-k: %w", err)
	}
	if *ciLevel <= 0 || *ciLevel >= 1 {
		return fmt.Errorf("--ci-level: want a value strictly between 0 and 1, got %v", *ciLevel)
	}
	if *bootstrap < 2 {
		return fmt.Errorf("--bootstrap: want at least 2 resamples, got %d", *bootstrap)
	}
	rep, err := eval.EvaluateFile(*samples, *task, eval.Options{PassK: ks, CILevel: *ciLevel, Bootstrap: *bootstrap, Seed: *seed, GroupBy: *groupBy})
	if err != nil {
		return err
	}
	if n := rep.Summary.ScoreErrors; n > 0 {
		first := ""
		for _, p := range rep.Problems {
			if len(p.Errors) > 0 {
				first = fmt.Sprintf(" (first: problem %q: %s)", p.ID, p.Errors[0])
				break
			}
		}
		fmt.Fprintf(os.Stderr, "r1go eval: warning: %d of %d samples could not be scored and count as wrong%s\n", n, rep.Summary.Samples, first)
	}
	if *out != "" {
		if err := rep.WriteDir(*out); err != nil {
			return err
		}
	}
	b, err := json.MarshalIndent(rep.Summary, "", "  ")
	if err != nil {
		return err
	}
	_, err = fmt.Println(string(b))
	return err
}

// parseKList parses "1,4,16" into positive integers.
func parseKList(s string) ([]int, error) {
	var ks []int
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		k, err := strconv.Atoi(part)
		if err != nil || k < 1 {
			return nil, fmt.Errorf("%q is not a positive integer", part)
		}
		ks = append(ks, k)
	}
	return ks, nil
}
