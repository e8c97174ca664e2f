package data

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Message is one turn of a conversation. Role is "system", "user" or "assistant".
type Message struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

// Conversation is one supervised fine-tuning example: a chat whose assistant turns
// are the tokens to learn.
type Conversation struct {
	ID       string         `json:"id,omitempty"`
	Messages []Message      `json:"messages"`
	Fields   map[string]any `json:"-"` // every other field of the record (provenance: model, reward, ...)
}

// MarshalJSON writes the conversation as one flat object: "id", "messages" and the
// Fields beside them (e.g. the provenance rejection sampling records), the layout
// LoadChat reads back.
func (c Conversation) MarshalJSON() ([]byte, error) {
	m := make(map[string]any, len(c.Fields)+2)
	for k, v := range c.Fields {
		m[k] = v
	}
	if c.ID != "" {
		m["id"] = c.ID
	}
	m["messages"] = c.Messages
	return marshalNoEscape(m)
}

// ChatMapping names the fields of an SFT dataset. Empty names are detected from the
// first record: Messages from MessagesFields; otherwise the prompt/completion layout
// with Prompt from PromptFields, Completion from CompletionFields and an optional
// "system" field. Prompt and completion may each be a string or a list of messages
// (TRL's conversational prompt-completion layout).
type ChatMapping struct {
	Messages, Prompt, Completion, System, ID string
}

// MessagesFields are the field names tried, in order, for a list of chat messages.
// ShareGPT lists ({"from": "human"|"gpt"|"system", "value": ...}) are accepted too.
var MessagesFields = []string{"messages", "conversations", "conversation"}

// CompletionFields are the field names tried, in order, for the completion of a
// prompt/completion record.
var CompletionFields = []string{"completion", "response", "output", "generation"}

// LoadChat reads a whole SFT dataset with detected field names. See ScanChat.
func LoadChat(path string) ([]Conversation, error) {
	return LoadChatMapped(path, ChatMapping{})
}

// LoadChatMapped reads a whole SFT dataset with the given field names. See ScanChat.
func LoadChatMapped(path string, m ChatMapping) ([]Conversation, error) {
	return collect(path, func(fn func(Conversation) error) error { return ScanChat(path, m, fn) })
}

// ScanChat streams an SFT dataset (.jsonl, .json or .parquet) conversation by
// conversation. Every conversation must hold at least one non-empty assistant turn,
// and roles must be system, user or assistant: a record that breaks this is an
// error naming its line and field, never silently dropped.
func ScanChat(path string, m ChatMapping, fn func(Conversation) error) error {
	var layout *ChatMapping
	index := 0
	return scanRecords(path, func(rec record) error {
		if layout == nil {
			l, err := resolveChat(rec, m)
			if err != nil {
				return err
			}
			layout = l
		}
		c, err := layout.conversation(rec, index)
		if err != nil {
			return err
		}
		index++
		return fn(c)
	})
}

func resolveChat(rec record, m ChatMapping) (*ChatMapping, error) {
	l := m
	if l.Messages == "" && l.Prompt == "" && l.Completion == "" {
		for _, c := range MessagesFields {
			if _, ok := lookup(rec.fields, c); ok {
				l.Messages = c
				break
			}
		}
	}
	if l.Messages == "" {
		if l.Prompt == "" {
			for _, c := range PromptFields {
				if _, ok := lookup(rec.fields, c); ok {
					l.Prompt = c
					break
				}
			}
		}
		if l.Completion == "" {
			for _, c := range CompletionFields {
				if _, ok := lookup(rec.fields, c); ok {
					l.Completion = c
					break
				}
			}
		}
		if l.Prompt == "" || l.Completion == "" {
			return nil, rec.errorf("", "not a chat dataset: want a messages list (%v) or prompt and completion fields (%v / %v); fields present: %s",
				MessagesFields, PromptFields, CompletionFields, joinKeys(rec.fields))
		}
		if l.System == "" {
			if _, ok := rec.fields["system"]; ok {
				l.System = "system"
			}
		}
	}
	if l.ID == "" {
		for _, c := range IDFields {
			if _, ok := lookup(rec.fields, c); ok {
				l.ID = c
				break
			}
		}
	}
	return &l, nil
}

func (l *ChatMapping) conversation(rec record, index int) (Conversation, error) {
	c := Conversation{ID: strconv.Itoa(index), Fields: map[string]any{}}
	used := map[string]bool{l.ID: true}
	if l.Messages != "" {
		v, ok := lookup(rec.fields, l.Messages)
		if !ok {
			return c, rec.missing(l.Messages)
		}
		msgs, err := messageList(v)
		if err != nil {
			return c, rec.errorf(l.Messages, "%v", err)
		}
		c.Messages = msgs
		used[l.Messages] = true
	} else {
		if l.System != "" {
			if v, ok := lookup(rec.fields, l.System); ok {
				s, isStr := v.(string)
				if !isStr {
					return c, rec.errorf(l.System, "want a string, got %s", JSONKind(v))
				}
				if s != "" {
					c.Messages = append(c.Messages, Message{Role: "system", Content: s})
				}
			}
			used[l.System] = true
		}
		for _, part := range []struct{ field, role string }{{l.Prompt, "user"}, {l.Completion, "assistant"}} {
			v, ok := lookup(rec.fields, part.field)
			if !ok {
				return c, rec.missing(part.field)
			}
			if s, isStr := v.(string); isStr {
				if part.role == "assistant" && strings.TrimSpace(s) == "" {
					return c, rec.errorf(part.field, "empty completion")
				}
				c.Messages = append(c.Messages, Message{Role: part.role, Content: s})
			} else {
				msgs, err := messageList(v)
				if err != nil {
					return c, rec.errorf(part.field, "%v", err)
				}
				c.Messages = append(c.Messages, msgs...)
			}
			used[part.field] = true
		}
	}
	field := l.Messages
	if field == "" {
		field = l.Completion
	}
	hasAssistant := false
	for i, m := range c.Messages {
		if m.Role == "assistant" {
			if strings.TrimSpace(m.Content) == "" {
				return c, rec.errorf(field, "message %d: empty assistant turn", i)
			}
			hasAssistant = true
		}
	}
	if !hasAssistant {
		return c, rec.errorf(field, "no assistant turn (SFT learns from assistant turns)")
	}
	if l.ID != "" {
		if v, ok := lookup(rec.fields, l.ID); ok {
			s, err := scalarText(v)
			if err != nil {
				return c, rec.errorf(l.ID, "%v", err)
			}
			c.ID = s
		}
	}
	for k, v := range rec.fields {
		if !used[k] {
			c.Fields[k] = v
		}
	}
	return c, nil
}

// messageList parses [{"role","content"}] or ShareGPT [{"from","value"}].
func messageList(v any) ([]Message, error) {
	list, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("want a list of messages, got %s", JSONKind(v))
	}
	if len(list) == 0 {
		return nil, errors.New("empty message list")
	}
	out := make([]Message, 0, len(list))
	for i, x := range list {
		m, ok := x.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("message %d: want an object, got %s", i, JSONKind(x))
		}
		roleKey, contentKey := "role", "content"
		if _, has := m["role"]; !has {
			if _, has := m["from"]; has {
				roleKey, contentKey = "from", "value"
			}
		}
		role, ok := m[roleKey].(string)
		if !ok {
			return nil, fmt.Errorf("message %d: %s: want a string, got %s", i, roleKey, JSONKind(m[roleKey]))
		}
		switch role {
		case "human":
			role = "user"
		case "gpt":
			role = "assistant"
		}
		if role != "system" && role != "user" && role != "assistant" {
			return nil, fmt.Errorf("message %d: unknown role %q (want system, user or assistant)", i, role)
		}
		content, ok := m[contentKey].(string)
		if !ok {
			return nil, fmt.Errorf("message %d: %s: want a string, got %s", i, contentKey, JSONKind(m[contentKey]))
		}
		out = append(out, Message{Role: role, Content: content})
	}
	return out, nil
}
