package eval

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Sample is one generated response to one problem.
type Sample struct {
	ID         string         `json:"id"`               // problem id: samples sharing it form one problem
	Prompt     string         `json:"prompt,omitempty"` // the prompt the model saw (some verifiers read it)
	Gold       string         `json:"gold"`             // reference answer
	Completion string         `json:"completion"`       // the response, or just its final answer
	Fields     map[string]any `json:"fields,omitempty"` // task fields: numbers, target, tests, choices, ...
	Tokens     int            `json:"tokens,omitempty"` // completion length in tokens; 0 when unknown
	// Finish says why generation ended: "stop" (EOS or stop string), "length" (cut at
	// the token budget), or "" when unknown.
	Finish string `json:"finish_reason,omitempty"`
}

// Scored is a Sample with its verdict.
type Scored struct {
	Sample
	Correct bool   // the verifier accepted the answer
	Pred    string // the final answer the verifier extracted; "" when none
	Err     string // why the sample could not be scored ("" when it was); it then counts as wrong
}

// Options configures Evaluate. The zero value reports pass@1 and cons@m with exact
// string equality, a 95% bootstrap interval from 2000 resamples with seed 0.
type Options struct {
	PassK     []int                  // the k of pass@k to report besides 1; each must be ≤ the fewest samples of a problem
	Equal     func(a, b string) bool // equivalence of final answers for cons@k; nil: exact equality
	CILevel   float64                // confidence level of the pass@1 interval; 0 means 0.95
	Bootstrap int                    // bootstrap resamples; 0 means 2000
	Seed      uint64                 // bootstrap seed
	GroupBy   string                 // task field to break the results down by (e.g. "level", "subject"); "" for none
}

// Problem is the result for one problem.
type Problem struct {
	ID          string          `json:"id"`
	Group       string          `json:"-"` // value of the Options.GroupBy field, "(none)" when absent
	Gold        string          `json:"gold"`
	N           int             `json:"n"`       // samples
	Correct     int             `json:"correct"` // correct samples
	Pass1       float64         `json:"pass@1"`
	PassK       map[int]float64 `json:"-"`           // requested k > 1
	ConsAnswer  string          `json:"cons_answer"` // the winning answer of the vote over the first m samples
	ConsVotes   int             `json:"cons_votes"`
	ConsCorrect bool            `json:"cons_correct"`
	MeanChars   float64         `json:"mean_length_chars"`
	Preds       []string        `json:"preds"`            // extracted answers, in sample order
	Verdicts    []bool          `json:"verdicts"`         // correctness of each sample
	Errors      []string        `json:"errors,omitempty"` // scoring errors, one per failed sample
}

// Summary holds the aggregate figures (see the package comment for the conventions).
type Summary struct {
	Task             string // what verified the samples (e.g. "math"); optional
	Problems         int
	Samples          int
	MinSamples       int // fewest samples of a problem (the m of cons@m)
	MaxSamples       int
	Pass1            float64
	Pass1StdErr      float64 // normal approximation over per-problem means
	Pass1CILow       float64 // bootstrap percentile interval
	Pass1CIHigh      float64
	CILevel          float64
	Bootstrap        int
	PassK            map[int]float64 // requested k > 1
	ConsK            int             // m
	Cons             float64         // cons@m
	MeanLengthChars  float64         // mean characters (Unicode code points) per completion, over samples
	MeanLengthTokens float64         // mean tokens per completion; 0 when no sample gave a token count
	AnswerRate       float64         // share of samples with an extracted answer
	FinishKnown      int             // samples whose Finish reason is known
	Truncated        int             // samples cut at the token budget (Finish "length")
	ScoreErrors      int             // samples the verifier could not score (counted wrong)
	GroupBy          string          // the Options.GroupBy field, or ""
	Groups           []Group         // the breakdown by GroupBy, keys in ascending (numeric when all are integers) order
}

// Group holds the figures of the problems sharing one value of the GroupBy field.
type Group struct {
	Key      string
	Problems int
	Pass1    float64
	PassK    map[int]float64
	Cons     float64
}

// Report is the outcome of an evaluation.
type Report struct {
	Summary  Summary
	Problems []Problem
}

// Evaluate groups scored samples into problems (by ID, in order of first appearance)
// and computes every statistic. It is an error when there are no samples, when the
// samples of one problem disagree on the gold answer, or when a requested k exceeds
// the fewest samples of a problem.
func Evaluate(scored []Scored, opts Options) (*Report, error) {
	if len(scored) == 0 {
		return nil, fmt.Errorf("evaluate: no samples")
	}
	if opts.CILevel == 0 {
		opts.CILevel = 0.95
	}
	if opts.Bootstrap == 0 {
		opts.Bootstrap = 2000
	}
	index := map[string]int{}
	var groups [][]int
	for i, s := range scored {
		g, ok := index[s.ID]
		if !ok {
			g = len(groups)
			index[s.ID] = g
			groups = append(groups, nil)
		} else if first := scored[groups[g][0]]; first.Gold != s.Gold {
			return nil, fmt.Errorf("evaluate: problem %q: sample %d has gold %q but sample %d has %q",
				s.ID, groups[g][0]+1, first.Gold, i+1, s.Gold)
		}
		groups[g] = append(groups[g], i)
	}
	minN, maxN := len(scored), 0
	minID := ""
	for _, g := range groups {
		if len(g) < minN {
			minN, minID = len(g), scored[g[0]].ID
		}
		maxN = max(maxN, len(g))
	}
	ks := slices.Clone(opts.PassK)
	slices.Sort(ks)
	ks = slices.Compact(ks)
	ks = slices.DeleteFunc(ks, func(k int) bool { return k == 1 })
	for _, k := range ks {
		if k < 1 {
			return nil, fmt.Errorf("evaluate: pass@%d: k must be at least 1", k)
		}
		if k > minN {
			return nil, fmt.Errorf("evaluate: pass@%d needs at least %d samples per problem, but problem %q has %d (pass@k is reported only for k ≤ the fewest samples of a problem)",
				k, k, minID, minN)
		}
	}

	rep := &Report{Problems: make([]Problem, len(groups))}
	sum := &rep.Summary
	sum.Problems, sum.Samples, sum.MinSamples, sum.MaxSamples = len(groups), len(scored), minN, maxN
	sum.CILevel, sum.Bootstrap, sum.ConsK = opts.CILevel, opts.Bootstrap, minN
	sum.PassK = map[int]float64{}
	pass1 := make([]float64, len(groups))
	passK := map[int]float64{}
	var chars, tokens, tokenSamples, answered, consRight int
	for gi, g := range groups {
		p := Problem{ID: scored[g[0]].ID, Gold: scored[g[0]].Gold, N: len(g), PassK: map[int]float64{}}
		if opts.GroupBy != "" {
			p.Group = groupKey(scored[g[0]].Fields[opts.GroupBy])
		}
		pChars := 0
		for _, i := range g {
			s := scored[i]
			if s.Correct {
				p.Correct++
			}
			if s.Pred != "" {
				answered++
			}
			if s.Err != "" {
				p.Errors = append(p.Errors, s.Err)
				sum.ScoreErrors++
			}
			n := utf8.RuneCountInString(s.Completion)
			pChars += n
			if s.Tokens > 0 {
				tokens += s.Tokens
				tokenSamples++
			}
			if s.Finish != "" {
				sum.FinishKnown++
				if s.Finish == "length" {
					sum.Truncated++
				}
			}
			p.Preds = append(p.Preds, s.Pred)
			p.Verdicts = append(p.Verdicts, s.Correct)
		}
		chars += pChars
		p.MeanChars = float64(pChars) / float64(p.N)
		p.Pass1 = float64(p.Correct) / float64(p.N)
		pass1[gi] = p.Pass1
		for _, k := range ks {
			v, err := PassAtK(p.N, p.Correct, k)
			if err != nil {
				return nil, fmt.Errorf("evaluate: problem %q: %w", p.ID, err)
			}
			p.PassK[k] = v
			passK[k] += v
		}
		r, votes := Majority(p.Preds[:minN], opts.Equal)
		if r >= 0 {
			p.ConsAnswer, p.ConsVotes, p.ConsCorrect = p.Preds[r], votes, p.Verdicts[r]
		}
		if p.ConsCorrect {
			consRight++
		}
		rep.Problems[gi] = p
	}
	for k, v := range passK {
		sum.PassK[k] = v / float64(len(groups))
	}
	sum.Cons = float64(consRight) / float64(len(groups))
	sum.Pass1, sum.Pass1StdErr = meanStdErr(pass1)
	if opts.GroupBy != "" {
		sum.GroupBy = opts.GroupBy
		sum.Groups = breakdown(rep.Problems, ks)
	}
	var err error
	sum.Pass1CILow, sum.Pass1CIHigh, err = BootstrapCI(pass1, opts.CILevel, opts.Bootstrap, opts.Seed)
	if err != nil {
		return nil, fmt.Errorf("evaluate: %w", err)
	}
	sum.MeanLengthChars = float64(chars) / float64(len(scored))
	if tokenSamples > 0 {
		sum.MeanLengthTokens = float64(tokens) / float64(tokenSamples)
	}
	sum.AnswerRate = float64(answered) / float64(len(scored))
	return rep, nil
}

// groupKey renders a field value as a group key.
func groupKey(v any) string {
	switch v := v.(type) {
	case nil:
		return "(none)"
	case string:
		return v
	case int:
		return strconv.Itoa(v)
	case float64:
		return strconv.FormatFloat(v, 'g', -1, 64)
	case bool:
		return strconv.FormatBool(v)
	}
	return fmt.Sprint(v)
}

// breakdown aggregates problems by their Group.
func breakdown(problems []Problem, ks []int) []Group {
	index := map[string]int{}
	var groups []Group
	for _, p := range problems {
		i, ok := index[p.Group]
		if !ok {
			i = len(groups)
			index[p.Group] = i
			groups = append(groups, Group{Key: p.Group, PassK: map[int]float64{}})
		}
		g := &groups[i]
		g.Problems++
		g.Pass1 += p.Pass1
		for _, k := range ks {
			g.PassK[k] += p.PassK[k]
		}
		if p.ConsCorrect {
			g.Cons++
		}
	}
	for i := range groups {
		g := &groups[i]
		n := float64(g.Problems)
		g.Pass1 /= n
		g.Cons /= n
		for k := range g.PassK {
			g.PassK[k] /= n
		}
	}
	numeric := true
	for _, g := range groups {
		if _, err := strconv.Atoi(g.Key); err != nil {
			numeric = false
		}
	}
	slices.SortFunc(groups, func(a, b Group) int {
		if numeric {
			x, _ := strconv.Atoi(a.Key)
			y, _ := strconv.Atoi(b.Key)
			return x - y
		}
		return strings.Compare(a.Key, b.Key)
	})
	return groups
}
