package eval

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strings"

	"github.com/r1go/r1go/data"
	"github.com/r1go/r1go/generate"
	"github.com/r1go/r1go/model"
	"github.com/r1go/r1go/tokenizer"
)

// DefaultMaxNewTokens is the response budget SampleConfig uses when MaxNewTokens is 0
// (capped by the model's context). DeepSeek-R1 evaluated with 32,768; set it explicitly
// for that, with MaxRows low enough for the KV cache to fit.
const DefaultMaxNewTokens = 4096

// SampleConfig says how EncodePrompts and Prompts.Sample draw the responses of an
// evaluation. R1Sampling returns the R1 protocol.
type SampleConfig struct {
	K            int     // responses per problem (R1: 16; the paper uses 4–64)
	MaxNewTokens int     // per response; 0: DefaultMaxNewTokens, capped by the context left after the longest prompt
	Temperature  float64 // R1: 0.6; 0 is greedy
	TopP         float64 // R1: 0.95; 1 disables
	TopK         int     // 0 disables
	Seed         uint64  // same seed, prompts and backend → same responses
	MaxRows      int     // sequences decoded together; 0: the engine's default
	// Template renders each question as the prompt text: a chat template or a
	// TextTemplate; nil means tokenizer "none" (the question as is). When the prompt
	// opens the response with "<think>" (tokenizer.ThinkPrefix, or a text template
	// ending with it), that text is put back in front of every completion, so the
	// verifier sees the whole reasoning.
	Template tokenizer.Template
	System   string // optional system message before each question
}

// R1Sampling returns the DeepSeek-R1 evaluation protocol (DeepSeek-R1 §3.1,
// "Evaluation Setup"): 16 responses per problem at temperature 0.6 and top-p 0.95,
// with seed 42 and the default response budget.
func R1Sampling() SampleConfig {
	return SampleConfig{K: 16, Temperature: 0.6, TopP: 0.95, Seed: 42}
}

// Validate reports every impossible setting, each named by its field.
func (c SampleConfig) Validate() error {
	var errs []error
	if c.K < 1 {
		errs = append(errs, fmt.Errorf("k = %d: need at least one response per problem", c.K))
	}
	if c.MaxNewTokens < 0 {
		errs = append(errs, fmt.Errorf("max_new_tokens = %d: must be ≥ 1 (0: the default)", c.MaxNewTokens))
	}
	if !(c.Temperature >= 0) || math.IsInf(c.Temperature, 0) {
		errs = append(errs, fmt.Errorf("temperature = %v: must be a finite number ≥ 0 (0 is greedy)", c.Temperature))
	}
	if !(c.TopP > 0 && c.TopP <= 1) {
		errs = append(errs, fmt.Errorf("top_p = %v: must be in (0, 1]", c.TopP))
	}
	if c.TopK < 0 {
		errs = append(errs, fmt.Errorf("top_k = %d: must be ≥ 0 (0 disables)", c.TopK))
	}
	if c.MaxRows < 0 {
		errs = append(errs, fmt.Errorf("max_rows = %d: must be ≥ 0 (0: the engine's default)", c.MaxRows))
	}
	return errors.Join(errs...)
}

// TextTemplate is a prompt template given as text, as GRPO's template setting accepts
// it: {prompt} (or {{.Prompt}}) is replaced by the question.
type TextTemplate string

// Name returns "text".
func (TextTemplate) Name() string { return "text" }

// Render returns the text with the last user message put in place of {prompt}.
func (t TextTemplate) Render(msgs []tokenizer.Message, addGenerationPrompt bool) string {
	q := ""
	for i := len(msgs) - 1; i >= 0; i-- {
		if msgs[i].Role == "user" {
			q = msgs[i].Content
			break
		}
	}
	return strings.ReplaceAll(strings.ReplaceAll(string(t), "{{.Prompt}}", q), "{prompt}", q)
}

// openThink returns the end of a rendered prompt from a final opening "<think>" on
// ("<think>\n"), or "" when the prompt does not end by opening one.
func openThink(prompt string) string {
	t := strings.TrimRight(prompt, " \t\r\n")
	if !strings.HasSuffix(t, "<think>") {
		return ""
	}
	return prompt[len(t)-len("<think>"):]
}

// Prompts are an evaluation's problems encoded for a model, checked against its context.
type Prompts struct {
	Examples     []data.Example
	IDs          [][]int32 // the tokens of each example's rendered prompt
	Think        string    // text put in front of every completion ("<think>\n" for the R1 templates)
	MaxNewTokens int       // the response budget, resolved
	cfg          SampleConfig
	eos          []int32
	decode       func(ids []int32) string
}

// EncodePrompts renders each example's question with cfg.Template (after cfg.System
// when set), encodes it with tok (a BOS token first when the tokenizer adds one and the
// template did not write it) and checks that prompt plus response fit in context
// tokens (the model's max_position_embeddings) and that every token id is in the
// model's vocabulary. It needs the model's config but not its weights, so bad settings,
// a mismatched tokenizer and overlong prompts fail before the weights are loaded. An
// error names the example concerned.
func EncodePrompts(tok *tokenizer.Tokenizer, exs []data.Example, cfg SampleConfig, mc *model.Config) (*Prompts, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if len(exs) == 0 {
		return nil, errors.New("no problems to evaluate")
	}
	tmpl := cfg.Template
	if tmpl == nil {
		tmpl, _ = tokenizer.TemplateByName("none")
	}
	if _, ok := tmpl.(TextTemplate); ok && cfg.System != "" {
		return nil, errors.New("system prompt: a text template has no place for one; use a chat template")
	}
	p := &Prompts{Examples: exs, IDs: make([][]int32, len(exs)), Think: tokenizer.ThinkPrefix(tmpl), cfg: cfg, eos: tok.EOS(),
		decode: func(ids []int32) string { return tok.Decode(ids, true) }}
	bos, hasBOS := tok.BOS()
	bosText := ""
	if hasBOS {
		bosText = tok.Decode([]int32{bos}, false)
	}
	longest, longestID := 0, ""
	for i, ex := range exs {
		var msgs []tokenizer.Message
		if cfg.System != "" {
			msgs = append(msgs, tokenizer.Message{Role: "system", Content: cfg.System})
		}
		text := tmpl.Render(append(msgs, tokenizer.Message{Role: "user", Content: ex.Prompt}), true)
		if i == 0 && p.Think == "" {
			p.Think = openThink(text)
		}
		var ids []int32
		if hasBOS && tok.AddBOS() && (bosText == "" || !strings.HasPrefix(text, bosText)) {
			ids = append(ids, bos)
		}
		p.IDs[i] = tok.AppendEncode(ids, text)
		for _, id := range p.IDs[i] {
			if id < 0 || int(id) >= mc.VocabSize {
				return nil, fmt.Errorf("problem %q: token id %d is outside the model's vocabulary of %d (is the tokenizer the model's?)", ex.ID, id, mc.VocabSize)
			}
		}
		if len(p.IDs[i]) > longest {
			longest, longestID = len(p.IDs[i]), ex.ID
		}
	}
	context := mc.MaxPositionEmbeddings
	room := context - longest
	if room < 1 {
		return nil, fmt.Errorf("problem %q: its prompt is %d tokens, which leaves no room for a response in the model's context of %d tokens", longestID, longest, context)
	}
	p.MaxNewTokens = cfg.MaxNewTokens
	if p.MaxNewTokens == 0 {
		p.MaxNewTokens = min(DefaultMaxNewTokens, room)
	} else if p.MaxNewTokens > room {
		return nil, fmt.Errorf("problem %q: prompt %d tokens + max_new_tokens %d exceed the model's context of %d tokens (lower max_new_tokens to %d or less)",
			longestID, longest, p.MaxNewTokens, context, room)
	}
	return p, nil
}

// Sample generates K responses to every prompt with engine and returns them as
// Samples, K consecutive ones per example in example order: ID, question, gold answer
// and task fields from the example; the completion decoded without special tokens,
// with Think in front; its length in tokens (the EOS included) and whether it stopped
// or hit MaxNewTokens. progress, if not nil, is called with the new tokens of each
// decoding step.
func (p *Prompts) Sample(engine *generate.Engine, progress generate.Progress) ([]Sample, error) {
	return p.sampleRange(engine, 0, len(p.IDs), p.cfg.Seed, progress)
}

// sampleRange samples the prompts [lo, hi) with the given seed.
func (p *Prompts) sampleRange(engine *generate.Engine, lo, hi int, seed uint64, progress generate.Progress) ([]Sample, error) {
	c := p.cfg
	opts := generate.Options{N: c.K, MaxNewTokens: p.MaxNewTokens, Temperature: c.Temperature, TopP: c.TopP, TopK: c.TopK,
		Seed: seed, EOS: p.eos, MaxRows: c.MaxRows}
	res, err := engine.Generate(p.IDs[lo:hi], opts, progress)
	if err != nil {
		return nil, err
	}
	if len(res) != (hi-lo)*c.K {
		return nil, fmt.Errorf("generation returned %d responses for %d prompts × %d", len(res), hi-lo, c.K)
	}
	out := make([]Sample, len(res))
	for i, r := range res {
		ex := p.Examples[lo+r.Prompt]
		out[i] = Sample{ID: ex.ID, Prompt: ex.Prompt, Gold: ex.Answer, Completion: p.Think + p.decode(r.IDs), Fields: ex.Fields,
			Tokens: len(r.IDs), Finish: r.FinishReason}
	}
	return out, nil
}

// chunkSeed is the sampling seed of the chunk starting at problem lo: the configured
// seed for the first, so that one chunk is Sample.
func chunkSeed(seed uint64, lo int) uint64 { return seed + uint64(lo)*0x9E3779B97F4A7C15 }

// fileState is what path + ".partial.json" records between chunks of SampleToFile.
type fileState struct {
	Key      string `json:"key"`      // digest of the run's identity, settings and prompts
	Problems int    `json:"problems"` // problems done
	Bytes    int64  `json:"bytes"`    // size of path + ".partial" after them
}

// SampleToFile samples like Sample, chunk problems at a time, and writes the samples
// to path in the WriteSamples format. After each chunk its samples are appended to
// path + ".partial" and synced to disk, and path + ".partial.json" records how far the
// run got: a run killed at any moment and started again with the same key (the
// caller's identity of the model, e.g. its directory), settings and problems continues
// after the last saved chunk, and writes exactly the file an uninterrupted run writes
// (each chunk's seed depends only on its position). path appears, by a rename, when
// every chunk is done. The samples come back as LoadSamples reads them from path, so
// that scoring them equals scoring the file. progress, if not nil, is called with the
// new tokens of each decoding step; resumed reports how many problems were already done.
func (p *Prompts) SampleToFile(engine *generate.Engine, path, key string, chunk int, progress generate.Progress) (samples []Sample, resumed int, err error) {
	return p.sampleToFile(engine, path, key, chunk, progress, -1)
}

// errStopped is returned by sampleToFile when it stops after stopAfter chunks (tests).
var errStopped = errors.New("stopped")

func (p *Prompts) sampleToFile(engine *generate.Engine, path, key string, chunk int, progress generate.Progress, stopAfter int) (samples []Sample, resumed int, err error) {
	if chunk < 1 {
		return nil, 0, fmt.Errorf("problems per chunk = %d: must be ≥ 1", chunk)
	}
	key = p.runKey(key, chunk)
	partial, statePath := path+".partial", path+".partial.json"
	var f *os.File
	if raw, err := os.ReadFile(statePath); err == nil {
		var st fileState
		if json.Unmarshal(raw, &st) == nil && st.Key == key && st.Problems <= len(p.IDs) {
			if f, err = os.OpenFile(partial, os.O_RDWR, 0o644); err == nil {
				if err = f.Truncate(st.Bytes); err == nil {
					_, err = f.Seek(st.Bytes, io.SeekStart)
				}
				if err != nil {
					f.Close()
					return nil, 0, fmt.Errorf("resuming %s: %w", partial, err)
				}
				resumed = st.Problems
			}
		}
	}
	if f == nil {
		if f, err = os.Create(partial); err != nil {
			return nil, 0, err
		}
	}
	defer f.Close()
	for lo := resumed; lo < len(p.IDs); lo += chunk {
		if stopAfter >= 0 && lo >= resumed+stopAfter*chunk {
			return nil, resumed, errStopped
		}
		hi := min(lo+chunk, len(p.IDs))
		ss, err := p.sampleRange(engine, lo, hi, chunkSeed(p.cfg.Seed, lo), progress)
		if err != nil {
			return nil, resumed, err
		}
		if err := data.EncodeJSONL(f, ss); err != nil {
			return nil, resumed, fmt.Errorf("writing %s: %w", partial, err)
		}
		if err := f.Sync(); err != nil {
			return nil, resumed, fmt.Errorf("writing %s: %w", partial, err)
		}
		pos, err := f.Seek(0, io.SeekCurrent)
		if err != nil {
			return nil, resumed, err
		}
		b, _ := json.Marshal(fileState{Key: key, Problems: hi, Bytes: pos})
		if err := data.WriteFileAtomic(statePath, func(w *bufio.Writer) error {
			_, err := w.Write(append(b, '\n'))
			return err
		}); err != nil {
			return nil, resumed, err
		}
	}
	if err := f.Close(); err != nil {
		return nil, resumed, fmt.Errorf("writing %s: %w", partial, err)
	}
	if err := os.Rename(partial, path); err != nil {
		return nil, resumed, err
	}
	os.Remove(statePath)
	samples, err = LoadSamples(path)
	return samples, resumed, err
}

// runKey digests what decides the samples of a run: the caller's key, the settings
// (MaxRows too: it sets the engine's waves and their seeds), the chunk size and every
// prompt with its example.
func (p *Prompts) runKey(key string, chunk int) string {
	h := sha256.New()
	c := p.cfg
	fmt.Fprintf(h, "%s\n%d %d %v %v %d %d %d %q %q %d\n", key, c.K, p.MaxNewTokens, c.Temperature, c.TopP, c.TopK, c.Seed, c.MaxRows, c.System, p.Think, chunk)
	for i, ex := range p.Examples {
		line, _ := json.Marshal(ex)
		h.Write(line)
		fmt.Fprintf(h, "\n%v\n", p.IDs[i])
	}
	return hex.EncodeToString(h.Sum(nil))
}

// WriteSamples writes samples to path (atomically) in the format LoadSamples reads,
// one JSON object per line: id, prompt, gold, completion, fields, tokens and
// finish_reason, so that `r1go eval --samples` can score them again.
func WriteSamples(path string, samples []Sample) error {
	return data.WriteJSONL(path, samples)
}
