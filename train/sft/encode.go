package sft

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/r1go/r1go/data"
	"github.com/r1go/r1go/tokenizer"
)

// Example is one tokenized conversation: Tokens and, parallel to them, Loss, true for the
// tokens of assistant turns (and the end-of-turn marker that closes each), which are the
// only targets that enter the loss.
type Example struct {
	Source    string // where the record is: "file line N" (Parquet: "file row N")
	Tokens    []int32
	Loss      []bool
	Truncated bool // cut to the maximum length
}

// LossTokens returns the number of tokens that enter the loss as targets (every Loss
// token but the first token of the sequence, which nothing predicts).
func (e Example) LossTokens() int {
	n := 0
	for i := 1; i < len(e.Loss); i++ {
		if e.Loss[i] {
			n++
		}
	}
	return n
}

// Encoder turns conversations into Examples with a chat template.
type Encoder struct {
	Tok          *tokenizer.Tokenizer
	Template     tokenizer.Template
	Format       string // keep, r1 or coldstart (see Config.Format)
	SpecialToken string // the coldstart separator
	MaxLength    int    // longest sequence; longer ones are truncated or refused (Overlong)
	Overlong     string // truncate or refuse
}

// AutoTemplate chooses the chat template of a tokenizer: the DeepSeek-R1 format when it
// knows the R1 turn markers as tokens, Qwen's ChatML when it knows <|im_start|>, else
// none (the user text followed directly by the assistant text, for byte-level toy
// tokenizers such as the embedded tiny model's).
func AutoTemplate(tok *tokenizer.Tokenizer) string {
	if _, ok := tok.TokenID(tokenizer.R1Assistant); ok {
		return "r1"
	}
	if _, ok := tok.TokenID("<|im_start|>"); ok {
		return "chatml"
	}
	return "none"
}

// SplitReasoning splits an assistant turn written as "<think>reasoning</think>summary"
// (leading "<think>" optional, as R1 templates open it in the prompt) into the reasoning
// and the summary, both trimmed. ok is false when there is no "</think>".
func SplitReasoning(content string) (reasoning, summary string, ok bool) {
	end := strings.Index(content, "</think>")
	if end < 0 {
		return "", "", false
	}
	r := content[:end]
	if i := strings.Index(r, "<think>"); i >= 0 {
		r = r[i+len("<think>"):]
	}
	return strings.TrimSpace(r), strings.TrimSpace(content[end+len("</think>"):]), true
}

// SplitResponse is SplitReasoning that also reads the cold-start layout
// "TOKEN reasoning TOKEN summary" (token non-empty), so that data in either layout can be
// rewritten into the other.
func SplitResponse(content, token string) (reasoning, summary string, ok bool) {
	if r, s, ok := SplitReasoning(content); ok {
		return r, s, true
	}
	if token == "" {
		return "", "", false
	}
	rest, found := strings.CutPrefix(strings.TrimSpace(content), token)
	if !found {
		return "", "", false
	}
	r, s, found := strings.Cut(rest, token)
	if !found {
		return "", "", false
	}
	return strings.TrimSpace(r), strings.TrimSpace(s), true
}

// FormatResponse writes a reasoning and its summary in one of the layouts of the R1
// recipe: "r1" is the chat format's "<think>\nreasoning\n</think>\n\nsummary"; "coldstart"
// is the paper's cold-start layout "|special_token|<reasoning_process>|special_token|<summary>"
// with token as the special token.
func FormatResponse(format, token, reasoning, summary string) (string, error) {
	switch format {
	case "r1":
		return "<think>\n" + reasoning + "\n</think>\n\n" + summary, nil
	case "coldstart":
		return token + reasoning + token + summary, nil
	}
	return "", fmt.Errorf("unknown response format %q (want r1 or coldstart)", format)
}

// endMarkers are the end-of-turn texts templates write after an assistant turn; they
// belong to the turn's targets (the model must learn to stop).
var endMarkers = []string{tokenizer.R1EOS, "<|im_end|>"}

// Encode renders a conversation with the template and tokenizes it, marking the tokens of
// assistant turns. When the template closes no turn with an end marker (none, r1zero), the
// tokenizer's EOS token is appended as the last target. A sequence longer than MaxLength
// is truncated (Example.Truncated) or refused; one that keeps no target token is an error.
func (e *Encoder) Encode(source string, msgs []data.Message) (Example, error) {
	ex := Example{Source: source}
	tm := make([]tokenizer.Message, len(msgs))
	for i, m := range msgs {
		content := m.Content
		if m.Role == "assistant" && e.Format != "" && e.Format != "keep" {
			r, s, ok := SplitResponse(content, e.SpecialToken)
			if !ok {
				return ex, fmt.Errorf("%s: message %d: format %s needs the assistant turn's reasoning in <think>…</think> (or after %q, the cold-start layout)", source, i, e.Format, e.SpecialToken)
			}
			var err error
			if content, err = FormatResponse(e.Format, e.SpecialToken, r, s); err != nil {
				return ex, fmt.Errorf("%s: %w", source, err)
			}
		}
		tm[i] = tokenizer.Message{Role: m.Role, Content: content}
	}
	text := e.Template.Render(tm, false)
	// Locate each assistant turn in the rendered text: render the conversation once more
	// with a unique placeholder for each assistant turn, so that the template's own text
	// between turns is known exactly (an answer that also occurs in the prompt or in the
	// template's markers cannot be mistaken for the turn). Templates may strip the reasoning
	// of earlier turns: the turn's text is the candidate that the following template text
	// continues. Each span is extended by the end marker that closes the turn.
	type span struct{ start, end int }
	var spans []span
	placeholder := func(i int) string { return fmt.Sprintf("\uE000%d\uE001", i) }
	marked := slices.Clone(tm)
	var turns []int
	for i, m := range tm {
		if m.Role == "assistant" {
			marked[i].Content = placeholder(i)
			turns = append(turns, i)
		}
	}
	skeleton := e.Template.Render(marked, false)
	pos, spos := 0, 0
	for k, i := range turns {
		j := strings.Index(skeleton[spos:], placeholder(i))
		if j < 0 {
			return ex, fmt.Errorf("%s: message %d: the %s template does not render this assistant turn", source, i, e.Template.Name())
		}
		literal := skeleton[spos : spos+j]
		spos += j + len(placeholder(i))
		next := skeleton[spos:] // the template text after the turn, up to the next turn
		if k+1 < len(turns) {
			next = next[:strings.Index(next, placeholder(turns[k+1]))]
		}
		if !strings.HasPrefix(text[pos:], literal) {
			return ex, fmt.Errorf("%s: message %d: the %s template renders the text around this assistant turn differently from its placeholder", source, i, e.Template.Name())
		}
		pos += len(literal)
		c := tm[i].Content
		found := false
		for _, cand := range []string{c, strings.TrimLeft(afterThink(c), "\n"), afterThink(c), ""} {
			rest := text[pos:]
			if strings.HasPrefix(rest, cand) && (k+1 < len(turns) && strings.HasPrefix(rest[len(cand):], next) || k+1 == len(turns) && rest[len(cand):] == next) {
				sp := span{pos, pos + len(cand)}
				for _, mk := range endMarkers {
					if strings.HasPrefix(text[sp.end:], mk) {
						sp.end += len(mk)
						break
					}
				}
				if sp.end > sp.start {
					spans = append(spans, sp)
				}
				pos += len(cand)
				found = true
				break
			}
		}
		if !found {
			return ex, fmt.Errorf("%s: message %d: the %s template does not render this assistant turn", source, i, e.Template.Name())
		}
	}
	if len(spans) == 0 {
		return ex, fmt.Errorf("%s: no assistant turn (SFT learns from assistant turns)", source)
	}
	if bos, ok := e.Tok.BOS(); ok && e.Tok.AddBOS() && !strings.HasPrefix(text, tokenizer.R1BOS) {
		ex.Tokens, ex.Loss = append(ex.Tokens, bos), append(ex.Loss, false)
	}
	add := func(s string, loss bool) {
		n := len(ex.Tokens)
		ex.Tokens = e.Tok.AppendEncode(ex.Tokens, s)
		for range len(ex.Tokens) - n {
			ex.Loss = append(ex.Loss, loss)
		}
	}
	at := 0
	for _, s := range spans {
		add(text[at:s.start], false)
		add(text[s.start:s.end], true)
		at = s.end
	}
	last := spans[len(spans)-1]
	endsTurn := false
	for _, mk := range endMarkers {
		endsTurn = endsTurn || strings.HasSuffix(text[last.start:last.end], mk)
	}
	add(text[at:], false)
	if !endsTurn {
		eos := e.Tok.EOS()
		if len(eos) == 0 {
			return ex, fmt.Errorf("%s: the tokenizer has no EOS token to end the assistant turn with", source)
		}
		ex.Tokens, ex.Loss = append(ex.Tokens, eos[0]), append(ex.Loss, true)
	}
	if e.MaxLength > 0 && len(ex.Tokens) > e.MaxLength {
		if e.Overlong == "refuse" {
			return ex, fmt.Errorf("%s: %d tokens, longer than max_length %d (set overlong: truncate to cut it)", source, len(ex.Tokens), e.MaxLength)
		}
		ex.Tokens, ex.Loss, ex.Truncated = ex.Tokens[:e.MaxLength], ex.Loss[:e.MaxLength], true
	}
	if ex.LossTokens() == 0 {
		return ex, fmt.Errorf("%s: no assistant token left within max_length %d (the prompt alone has %d tokens)", source, e.MaxLength, len(ex.Tokens))
	}
	return ex, nil
}

func afterThink(s string) string {
	if i := strings.LastIndex(s, "</think>"); i >= 0 {
		return s[i+len("</think>"):]
	}
	return s
}

// LoadStats counts what Load did to the records of a file.
type LoadStats struct {
	Records   int // conversations read
	Truncated int // cut to max_length
	Dropped   int // kept no target token after truncation (listed in DroppedSources)
	// DroppedSources names the dropped records ("file line N"), so that none is lost silently.
	DroppedSources []string
	Tokens         int // tokens of the kept examples
	LossTokens     int // their target tokens
}

// Load reads a chat or prompt/completion dataset and encodes every record. Malformed
// records (no assistant turn, an empty completion, a bad role) are errors naming the file
// and line. With Overlong "truncate", a record whose assistant tokens all lie beyond
// MaxLength is dropped and reported in the stats; with "refuse" it is an error.
func (e *Encoder) Load(path string, m data.ChatMapping) ([]Example, LoadStats, error) {
	var st LoadStats
	lines, err := recordLines(path)
	if err != nil {
		return nil, st, err
	}
	var out []Example
	// Conversations are read in order and encoded in parallel, a batch at a time (the
	// tokenizer is safe for concurrent use); results are taken in file order, so the
	// first error reported is the first bad record.
	type job struct {
		src  string
		msgs []data.Message
		ex   Example
		err  error
	}
	var batch []job
	flush := func() error {
		var wg sync.WaitGroup
		next := make(chan int)
		for range runtime.GOMAXPROCS(0) {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range next {
					batch[i].ex, batch[i].err = e.Encode(batch[i].src, batch[i].msgs)
				}
			}()
		}
		for i := range batch {
			next <- i
		}
		close(next)
		wg.Wait()
		for _, j := range batch {
			if j.err != nil {
				if j.ex.Truncated && e.Overlong == "truncate" {
					st.Truncated++
					st.Dropped++
					st.DroppedSources = append(st.DroppedSources, j.src)
					continue
				}
				return j.err
			}
			if j.ex.Truncated {
				st.Truncated++
			}
			st.Tokens += len(j.ex.Tokens)
			st.LossTokens += j.ex.LossTokens()
			out = append(out, j.ex)
		}
		batch = batch[:0]
		return nil
	}
	err = data.ScanChat(path, m, func(c data.Conversation) error {
		src := fmt.Sprintf("%s record %d", path, st.Records+1)
		if st.Records < len(lines) {
			src = fmt.Sprintf("%s line %d", path, lines[st.Records])
		} else if strings.EqualFold(filepath.Ext(path), ".parquet") {
			src = fmt.Sprintf("%s row %d", path, st.Records+1)
		}
		st.Records++
		batch = append(batch, job{src: src, msgs: c.Messages})
		if len(batch) == 1024 {
			return flush()
		}
		return nil
	})
	// Encode what was read even after a read error: a bad record among them precedes the
	// record that failed to read, and is the one to report.
	if ferr := flush(); ferr != nil {
		err = ferr
	}
	if err != nil {
		return nil, st, err
	}
	if len(out) == 0 {
		return nil, st, fmt.Errorf("%s: no usable example (%d records, %d dropped as too long for max_length %d)", path, st.Records, st.Dropped, e.MaxLength)
	}
	return out, st, nil
}

// recordLines returns the 1-based line numbers of the non-blank lines of a JSONL file
// (record i is on line lines[i]); nil for other formats.
func recordLines(path string) ([]int, error) {
	if !strings.EqualFold(filepath.Ext(path), ".jsonl") {
		return nil, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open dataset: %w", err)
	}
	defer f.Close()
	var lines []int
	r := bufio.NewReaderSize(f, 1<<16)
	nonBlank := false
	for n := 1; ; {
		chunk, err := r.ReadSlice('\n')
		if n == 1 {
			chunk = bytes.TrimPrefix(chunk, []byte("\xEF\xBB\xBF"))
		}
		nonBlank = nonBlank || len(bytes.TrimSpace(chunk)) > 0
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if nonBlank {
			lines = append(lines, n)
		}
		nonBlank = false
		n++
		if err != nil {
			break
		}
	}
	return lines, nil
}

// Preview returns the text of an encoded example with the tokens that enter the loss
// between ⟦ and ⟧, to check a chat template and the loss mask by eye.
func Preview(tok *tokenizer.Tokenizer, ex Example) string {
	var b strings.Builder
	for i := 0; i < len(ex.Tokens); {
		j := i
		for j < len(ex.Tokens) && ex.Loss[j] == ex.Loss[i] {
			j++
		}
		text := tok.Decode(ex.Tokens[i:j], false)
		if ex.Loss[i] {
			text = "⟦" + text + "⟧"
		}
		b.WriteString(text)
		i = j
	}
	return b.String()
}

// NewEncoder returns the Encoder a run of cfg uses with tok: the template resolved (auto
// chooses by the tokenizer, see AutoTemplate) and sequences capped at maxLength.
func NewEncoder(cfg Config, tok *tokenizer.Tokenizer, maxLength int) (*Encoder, error) {
	name := cfg.Template
	if name == "auto" {
		name = AutoTemplate(tok)
	}
	tmpl, err := tokenizer.TemplateByName(name)
	if err != nil {
		return nil, fmt.Errorf("template: %w", err)
	}
	return &Encoder{Tok: tok, Template: tmpl, Format: cfg.Format, SpecialToken: cfg.SpecialToken, MaxLength: maxLength, Overlong: cfg.Overlong}, nil
}

// Mapping returns the dataset field names of cfg.
func (c Config) Mapping() data.ChatMapping {
	return data.ChatMapping{Messages: c.MessagesField, Prompt: c.PromptField, Completion: c.CompletionField, System: c.SystemField}
}
