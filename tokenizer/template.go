package tokenizer

import (
	"fmt"
	"strings"
)

// Message is one turn of a conversation. Role is "system", "user" or "assistant".
type Message struct{ Role, Content string }

// Template renders a conversation as the prompt text a model is trained and sampled on.
// Templates are written in Go (no Jinja); each reproduces the text of the chat template
// it is named after (see the tests, which compare against the Jinja originals).
type Template interface {
	// Name returns the name TemplateByName knows the template by.
	Name() string
	// Render returns the text of msgs. With addGenerationPrompt the assistant turn is
	// opened after the last message; the R1 formats open it with "<think>\n".
	Render(msgs []Message, addGenerationPrompt bool) string
}

// R1ZeroPrompt is the DeepSeek-R1-Zero training template (DeepSeek-R1 paper, table 1);
// {prompt} is replaced by the question.
const R1ZeroPrompt = "A conversation between User and Assistant. The user asks a question, and the Assistant solves it. The assistant first thinks about the reasoning process in the mind and then provides the user with the answer. The reasoning process and answer are enclosed within <think> </think> and <answer> </answer> tags, respectively, i.e., <think> reasoning process here </think> <answer> answer here </answer>. User: {prompt}. Assistant:"

// Qwen25DefaultSystem is the system prompt Qwen2.5's template inserts when a
// conversation has none.
const Qwen25DefaultSystem = "You are Qwen, created by Alibaba Cloud. You are a helpful assistant."

// DeepSeek-R1 chat-format markers.
const (
	R1BOS       = "<｜begin▁of▁sentence｜>"
	R1User      = "<｜User｜>"
	R1Assistant = "<｜Assistant｜>"
	R1EOS       = "<｜end▁of▁sentence｜>"
)

var templates = []Template{r1Zero{}, r1Chat{}, chatML{}, chatML{think: true}, plain{}}

// TemplateNames returns the names TemplateByName accepts.
func TemplateNames() []string {
	out := make([]string, len(templates))
	for i, t := range templates {
		out[i] = t.Name()
	}
	return out
}

// TemplateByName returns a chat template:
//   - "r1zero": the R1-Zero prompt with the last user message as {prompt}; the
//     generation prompt opens " <think>\n" after "Assistant:".
//   - "r1": the DeepSeek-R1 chat format (<｜begin▁of▁sentence｜>, systems joined by blank
//     lines, <｜User｜>…<｜Assistant｜>…<｜end▁of▁sentence｜>, reasoning stripped from
//     earlier assistant turns); the generation prompt is "<｜Assistant｜><think>\n".
//   - "chatml": Qwen2.5's ChatML (<|im_start|>role\n…<|im_end|>\n, with Qwen's default
//     system prompt when there is none); the generation prompt is
//     "<|im_start|>assistant\n".
//   - "chatml-think": ChatML for reasoning models (Qwen3 style): no default system
//     prompt, reasoning stripped from earlier assistant turns, generation prompt
//     "<|im_start|>assistant\n<think>\n".
//   - "none": the last user message as is.
func TemplateByName(name string) (Template, error) {
	for _, t := range templates {
		if t.Name() == name {
			return t, nil
		}
	}
	return nil, fmt.Errorf("unknown chat template %q (known: %s)", name, strings.Join(TemplateNames(), ", "))
}

// ThinkPrefix returns the text t's generation prompt opens the completion with
// ("<think>\n" for the R1 formats, "" otherwise). Rewards that check the
// <think>…</think> format prepend it to the sampled completion.
func ThinkPrefix(t Template) string {
	switch v := t.(type) {
	case r1Zero:
		return "<think>\n"
	case r1Chat:
		return "<think>\n"
	case chatML:
		if v.think {
			return "<think>\n"
		}
	}
	return ""
}

// lastUser returns the index of the last user message, or -1.
func lastUser(msgs []Message) int {
	for i := len(msgs) - 1; i >= 0; i-- {
		if msgs[i].Role == "user" {
			return i
		}
	}
	return -1
}

// stripReasoning drops everything up to the last </think>, as the R1 and Qwen3
// templates do for earlier assistant turns.
func stripReasoning(s string) string {
	if i := strings.LastIndex(s, "</think>"); i >= 0 {
		return s[i+len("</think>"):]
	}
	return s
}

type r1Zero struct{}

func (r1Zero) Name() string { return "r1zero" }

// Render fills the R1-Zero prompt with the last user message. An assistant message
// after it (SFT data) follows "Assistant:" after a space.
func (r1Zero) Render(msgs []Message, addGenerationPrompt bool) string {
	u := lastUser(msgs)
	prompt := ""
	if u >= 0 {
		prompt = msgs[u].Content
	}
	s := strings.Replace(R1ZeroPrompt, "{prompt}", prompt, 1)
	for _, m := range msgs[u+1:] {
		if m.Role == "assistant" {
			s += " " + m.Content
		}
	}
	if addGenerationPrompt {
		s += " <think>\n"
	}
	return s
}

type r1Chat struct{}

func (r1Chat) Name() string { return "r1" }

// Render writes the DeepSeek-R1 chat format. Reasoning is stripped from assistant turns
// followed by a later message; the final assistant turn of a conversation rendered
// without generation prompt keeps it (that is the SFT target).
func (r1Chat) Render(msgs []Message, addGenerationPrompt bool) string {
	var b strings.Builder
	b.WriteString(R1BOS)
	first := true
	for _, m := range msgs {
		if m.Role == "system" {
			if !first {
				b.WriteString("\n\n")
			}
			b.WriteString(m.Content)
			first = false
		}
	}
	for i, m := range msgs {
		switch m.Role {
		case "user":
			b.WriteString(R1User + m.Content)
		case "assistant":
			c := m.Content
			if addGenerationPrompt || i < len(msgs)-1 {
				c = stripReasoning(c)
			}
			b.WriteString(R1Assistant + c + R1EOS)
		}
	}
	if addGenerationPrompt {
		b.WriteString(R1Assistant + "<think>\n")
	}
	return b.String()
}

type chatML struct{ think bool }

func (c chatML) Name() string {
	if c.think {
		return "chatml-think"
	}
	return "chatml"
}

func (c chatML) Render(msgs []Message, addGenerationPrompt bool) string {
	var b strings.Builder
	if !c.think && (len(msgs) == 0 || msgs[0].Role != "system") {
		b.WriteString("<|im_start|>system\n" + Qwen25DefaultSystem + "<|im_end|>\n")
	}
	for i, m := range msgs {
		content := m.Content
		if c.think && m.Role == "assistant" && (addGenerationPrompt || i < len(msgs)-1) {
			content = strings.TrimLeft(stripReasoning(content), "\n")
		}
		b.WriteString("<|im_start|>" + m.Role + "\n" + content + "<|im_end|>\n")
	}
	if addGenerationPrompt {
		b.WriteString("<|im_start|>assistant\n")
		if c.think {
			b.WriteString("<think>\n")
		}
	}
	return b.String()
}

type plain struct{}

func (plain) Name() string { return "none" }

// Render returns the last user message as is, followed by an assistant message after
// it if there is one (SFT data).
func (plain) Render(msgs []Message, addGenerationPrompt bool) string {
	u := lastUser(msgs)
	if u < 0 {
		return ""
	}
	s := msgs[u].Content
	for _, m := range msgs[u+1:] {
		if m.Role == "assistant" {
			s += m.Content
		}
	}
	return s
}
