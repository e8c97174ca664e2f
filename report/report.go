// Package report turns the metrics.jsonl of training runs (GRPO, SFT) into one self-contained
// HTML page: a chart per metric (inline SVG, no scripts, nothing fetched from the network),
// grouped as a person reads a run (rewards, reasoning behaviour, optimisation, speed), the
// last values in a table, and the latest logged samples. Several runs are overlaid in one page
// for comparison.
package report

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Point is one logged value of a metric.
type Point struct{ Step, Value float64 }

// Run is the metrics of one training run.
type Run struct {
	Name    string             // label in legends: the run directory's base name
	Dir     string             // the run directory
	Series  map[string][]Point // metric → values by step; a null (NaN, ±Inf) is NaN
	Samples []Sample           // the samples logged at the last step that has any
}

// Sample is one logged prompt with its completions (GRPO's samples.jsonl).
type Sample struct {
	Step        int          `json:"step"`
	Prompt      string       `json:"prompt"`
	Answer      string       `json:"answer"`
	Completions []Completion `json:"completions"`
}

// Completion is one sampled completion with its reward.
type Completion struct {
	Text      string  `json:"text"`
	Reward    float64 `json:"reward"`
	Advantage float64 `json:"advantage"`
	Correct   bool    `json:"correct"`
	Tokens    int     `json:"tokens"`
	Truncated bool    `json:"truncated"`
}

// Load reads dir/metrics.jsonl and, when present, dir/samples.jsonl. A torn last line (a run
// killed while writing it) is skipped; a malformed line before it is an error naming the file
// and line.
func Load(dir string) (*Run, error) {
	path := filepath.Join(dir, "metrics.jsonl")
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	r := &Run{Name: filepath.Base(filepath.Clean(dir)), Dir: dir, Series: map[string][]Point{}}
	err = eachLine(path, data, func(line []byte) error {
		var m map[string]any
		if err := json.Unmarshal(line, &m); err != nil {
			return err
		}
		step, ok := m["step"].(float64)
		if !ok {
			return errors.New(`no numeric "step"`)
		}
		for k, v := range m {
			switch x := v.(type) {
			case float64:
				if k != "step" {
					r.Series[k] = append(r.Series[k], Point{step, x})
				}
			case nil:
				r.Series[k] = append(r.Series[k], Point{step, math.NaN()})
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, pts := range r.Series {
		sort.SliceStable(pts, func(i, j int) bool { return pts[i].Step < pts[j].Step })
	}
	spath := filepath.Join(dir, "samples.jsonl")
	sdata, err := os.ReadFile(spath)
	if errors.Is(err, os.ErrNotExist) {
		return r, nil
	} else if err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	var samples []Sample
	err = eachLine(spath, sdata, func(line []byte) error {
		var s Sample
		if err := json.Unmarshal(line, &s); err != nil {
			return err
		}
		if len(samples) > 0 && s.Step != samples[0].Step {
			samples = samples[:0]
		}
		samples = append(samples, s)
		return nil
	})
	if err != nil {
		return nil, err
	}
	r.Samples = samples
	return r, nil
}

// eachLine calls f on every non-empty line; an error names path:line. A last line without its
// newline that does not parse is a torn write and is skipped.
func eachLine(path string, data []byte, f func([]byte) error) error {
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 1<<20), 1<<30)
	n := 0
	torn := len(data) > 0 && data[len(data)-1] != '\n'
	lines := bytes.Count(data, []byte("\n"))
	for sc.Scan() {
		n++
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		if err := f(line); err != nil {
			if torn && n == lines+1 {
				return nil
			}
			return fmt.Errorf("report: %s:%d: %v", path, n, err)
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("report: %s: %w", path, err)
	}
	return nil
}

// Group is a titled set of metrics shown together.
type Group struct {
	Title   string
	Metrics []string
}

// Groups orders the known metrics of GRPO and SFT runs; metrics not listed go to "Other".
var Groups = []Group{
	{"Rewards", []string{"reward_mean", "accuracy", "format_rate", "reward_std", "zero_std_fraction"}},
	{"Reasoning behaviour", []string{"response_length_mean", "response_length_max", "reflection_rate", "language_mix_rate", "truncated_rate"}},
	{"Optimisation", []string{"loss", "eval_loss", "policy_loss", "kl", "entropy", "clip_fraction", "ratio_mean", "grad_norm", "lr", "skipped_updates"}},
	{"Speed", []string{"gen_tokens_per_s", "train_tokens_per_s", "tokens_per_s", "time_step_s", "time_generate_s", "time_logprobs_s", "time_update_s"}},
}

// Descriptions explain the metrics whose names do not.
var Descriptions = map[string]string{
	"reward_mean":          "mean total reward of the step's completions",
	"accuracy":             "share of completions whose answer is correct",
	"format_rate":          "share of completions in the required format",
	"zero_std_fraction":    "share of groups whose rewards are all equal (no learning signal)",
	"response_length_mean": "completion tokens, mean",
	"reflection_rate":      "share of completions with reflective phrases (the aha moment)",
	"language_mix_rate":    "share of completions whose reasoning mixes languages",
	"truncated_rate":       "share of completions cut at the length limit",
	"kl":                   "k3 estimate of KL(policy ‖ reference), per token",
	"entropy":              "next-token entropy of the policy, per token (nats)",
	"clip_fraction":        "share of tokens whose ratio was clipped",
	"grad_norm":            "global gradient norm before clipping",
	"eval_loss":            "held-out loss",
}

// metricOrder returns the groups with the metrics present in any run, the unlisted ones last.
func metricOrder(runs []*Run) []Group {
	present := map[string]bool{}
	for _, r := range runs {
		for k, pts := range r.Series {
			for _, p := range pts {
				if !math.IsNaN(p.Value) {
					present[k] = true
					break
				}
			}
		}
	}
	listed := map[string]bool{}
	var out []Group
	for _, g := range Groups {
		var ms []string
		for _, m := range g.Metrics {
			listed[m] = true
			if present[m] {
				ms = append(ms, m)
			}
		}
		if g.Title == "Rewards" { // each reward function's mean, after the totals
			var parts []string
			for k := range present {
				if strings.HasPrefix(k, "reward/") {
					parts = append(parts, k)
					listed[k] = true
				}
			}
			sort.Strings(parts)
			ms = append(ms, parts...)
		}
		if len(ms) > 0 {
			out = append(out, Group{g.Title, ms})
		}
	}
	var other []string
	for k := range present {
		if !listed[k] {
			other = append(other, k)
		}
	}
	sort.Strings(other)
	if len(other) > 0 {
		out = append(out, Group{"Other", other})
	}
	return out
}
