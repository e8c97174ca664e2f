package eval

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/r1go/r1go/data"
)

// kv is one key of an ordered JSON object.
type kv struct {
	key string
	val any
}

func orderedJSON(pairs []kv) ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, p := range pairs {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(p.key)
		b.Write(k)
		b.WriteByte(':')
		var vb bytes.Buffer
		enc := json.NewEncoder(&vb)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(p.val); err != nil {
			return nil, fmt.Errorf("key %s: %w", p.key, err)
		}
		b.Write(bytes.TrimSuffix(vb.Bytes(), []byte("\n")))
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

func sortedK(m map[int]float64) []int {
	ks := make([]int, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// TruncatedRate is the share of samples cut at the token budget among those whose
// finish reason is known (0 when none is).
func (s Summary) TruncatedRate() float64 {
	if s.FinishKnown == 0 {
		return 0
	}
	return float64(s.Truncated) / float64(s.FinishKnown)
}

// CIMethod describes how the pass@1 interval was computed.
func (s Summary) CIMethod() string {
	return fmt.Sprintf("percentile bootstrap over problems, %d resamples, fixed seed", s.Bootstrap)
}

// MarshalJSON writes the summary with stable keys, first those of issue 7:
// "problems", "samples", "pass@1", "pass@<k>" for each requested k (ascending),
// "cons@<m>", "mean_length_chars"; then "mean_length_tokens" (when known),
// "truncated_rate" (when finish reasons are known),
// "pass@1_stderr", "pass@1_ci_low", "pass@1_ci_high", "ci_level", "ci_method",
// "samples_per_problem_min", "samples_per_problem_max", "answer_rate",
// "score_errors", "task" when set, and with a GroupBy field F, "by_F": an object from
// each value of F to its "problems", "pass@1", "pass@<k>" and "cons@<m>".
func (s Summary) MarshalJSON() ([]byte, error) {
	pairs := []kv{{"problems", s.Problems}, {"samples", s.Samples}, {"pass@1", s.Pass1}}
	for _, k := range sortedK(s.PassK) {
		pairs = append(pairs, kv{"pass@" + strconv.Itoa(k), s.PassK[k]})
	}
	pairs = append(pairs, kv{"cons@" + strconv.Itoa(s.ConsK), s.Cons}, kv{"mean_length_chars", s.MeanLengthChars})
	if s.MeanLengthTokens > 0 {
		pairs = append(pairs, kv{"mean_length_tokens", s.MeanLengthTokens})
	}
	if s.FinishKnown > 0 {
		pairs = append(pairs, kv{"truncated_rate", s.TruncatedRate()})
	}
	pairs = append(pairs,
		kv{"pass@1_stderr", s.Pass1StdErr},
		kv{"pass@1_ci_low", s.Pass1CILow},
		kv{"pass@1_ci_high", s.Pass1CIHigh},
		kv{"ci_level", s.CILevel},
		kv{"ci_method", s.CIMethod()},
		kv{"samples_per_problem_min", s.MinSamples},
		kv{"samples_per_problem_max", s.MaxSamples},
		kv{"answer_rate", s.AnswerRate},
		kv{"score_errors", s.ScoreErrors},
	)
	if s.Task != "" {
		pairs = append(pairs, kv{"task", s.Task})
	}
	if s.GroupBy != "" {
		var groups []kv
		for _, g := range s.Groups {
			gp := []kv{{"problems", g.Problems}, {"pass@1", g.Pass1}}
			for _, k := range sortedK(g.PassK) {
				gp = append(gp, kv{"pass@" + strconv.Itoa(k), g.PassK[k]})
			}
			gp = append(gp, kv{"cons@" + strconv.Itoa(s.ConsK), g.Cons})
			b, err := orderedJSON(gp)
			if err != nil {
				return nil, err
			}
			groups = append(groups, kv{g.Key, json.RawMessage(b)})
		}
		b, err := orderedJSON(groups)
		if err != nil {
			return nil, err
		}
		pairs = append(pairs, kv{"by_" + s.GroupBy, json.RawMessage(b)})
	}
	return orderedJSON(pairs)
}

// MarshalJSON writes one per-problem result line: id, group (with Options.GroupBy), gold, n, correct, pass@1,
// pass@<k> for each requested k, cons_answer, cons_votes, cons_correct,
// mean_length_chars, preds, verdicts and errors (when any).
func (p Problem) MarshalJSON() ([]byte, error) {
	pairs := []kv{{"id", p.ID}}
	if p.Group != "" {
		pairs = append(pairs, kv{"group", p.Group})
	}
	pairs = append(pairs, kv{"gold", p.Gold}, kv{"n", p.N}, kv{"correct", p.Correct}, kv{"pass@1", p.Pass1})
	for _, k := range sortedK(p.PassK) {
		pairs = append(pairs, kv{"pass@" + strconv.Itoa(k), p.PassK[k]})
	}
	pairs = append(pairs, kv{"cons_answer", p.ConsAnswer}, kv{"cons_votes", p.ConsVotes}, kv{"cons_correct", p.ConsCorrect},
		kv{"mean_length_chars", p.MeanChars}, kv{"preds", nonNil(p.Preds)}, kv{"verdicts", p.Verdicts})
	if len(p.Errors) > 0 {
		pairs = append(pairs, kv{"errors", p.Errors})
	}
	return orderedJSON(pairs)
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// Markdown renders the summary as a Markdown table, percentages with one decimal as
// papers report them (pass@1 with its confidence interval).
func (r *Report) Markdown() string {
	s := r.Summary
	pct := func(v float64) string { return strconv.FormatFloat(100*v, 'f', 1, 64) }
	head := []string{"problems", "samples"}
	row := []string{strconv.Itoa(s.Problems), strconv.Itoa(s.Samples)}
	head = append(head, fmt.Sprintf("pass@1 (%s%% CI)", strconv.FormatFloat(100*s.CILevel, 'g', -1, 64)))
	row = append(row, fmt.Sprintf("%s (%s–%s)", pct(s.Pass1), pct(s.Pass1CILow), pct(s.Pass1CIHigh)))
	for _, k := range sortedK(s.PassK) {
		head = append(head, "pass@"+strconv.Itoa(k))
		row = append(row, pct(s.PassK[k]))
	}
	head = append(head, "cons@"+strconv.Itoa(s.ConsK), "mean length (chars)")
	row = append(row, pct(s.Cons), strconv.FormatFloat(s.MeanLengthChars, 'f', 1, 64))
	if s.MeanLengthTokens > 0 {
		head = append(head, "mean length (tokens)")
		row = append(row, strconv.FormatFloat(s.MeanLengthTokens, 'f', 1, 64))
	}
	if s.FinishKnown > 0 {
		head = append(head, "truncated")
		row = append(row, pct(s.TruncatedRate()))
	}
	var b strings.Builder
	if s.Task != "" {
		fmt.Fprintf(&b, "Task: %s. ", s.Task)
	}
	fmt.Fprintf(&b, "Percentages; pass@1 interval: %s.\n\n", s.CIMethod())
	b.WriteString("| " + strings.Join(head, " | ") + " |\n")
	b.WriteString("|" + strings.Repeat("---|", len(head)) + "\n")
	b.WriteString("| " + strings.Join(row, " | ") + " |\n")
	if len(s.Groups) > 0 {
		gh := []string{s.GroupBy, "problems", "pass@1"}
		for _, k := range sortedK(s.PassK) {
			gh = append(gh, "pass@"+strconv.Itoa(k))
		}
		gh = append(gh, "cons@"+strconv.Itoa(s.ConsK))
		fmt.Fprintf(&b, "\nBy %s:\n\n| %s |\n|%s\n", s.GroupBy, strings.Join(gh, " | "), strings.Repeat("---|", len(gh)))
		for _, g := range s.Groups {
			row := []string{g.Key, strconv.Itoa(g.Problems), pct(g.Pass1)}
			for _, k := range sortedK(s.PassK) {
				row = append(row, pct(g.PassK[k]))
			}
			row = append(row, pct(g.Cons))
			b.WriteString("| " + strings.Join(row, " | ") + " |\n")
		}
	}
	if s.ScoreErrors > 0 {
		fmt.Fprintf(&b, "\n%d samples could not be scored and count as wrong (see the errors in results.jsonl).\n", s.ScoreErrors)
	}
	return b.String()
}

// WriteDir writes results.jsonl (one line per problem), summary.json and summary.md
// into dir (created if needed), each file atomically.
func (r *Report) WriteDir(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	if err := data.WriteJSONL(filepath.Join(dir, "results.jsonl"), r.Problems); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	sum, err := json.MarshalIndent(r.Summary, "", "  ")
	if err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	if err := data.WriteFileAtomic(filepath.Join(dir, "summary.json"), func(w *bufio.Writer) error {
		_, err := w.Write(append(sum, '\n'))
		return err
	}); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	if err := data.WriteFileAtomic(filepath.Join(dir, "summary.md"), func(w *bufio.Writer) error {
		_, err := w.WriteString(r.Markdown())
		return err
	}); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	return nil
}
