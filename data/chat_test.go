package data

import (
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
)

func TestLoadChatLayouts(t *testing.T) {
	cases := []struct {
		name, file, content string
		m                   ChatMapping
		want                []Conversation
	}{
		{"messages", "m.jsonl",
			`{"id":"c1","messages":[{"role":"system","content":"be brief"},{"role":"user","content":"hi"},{"role":"assistant","content":"<think>x</think> hello"}],"source":"s"}`,
			ChatMapping{}, []Conversation{{ID: "c1", Messages: []Message{{"system", "be brief"}, {"user", "hi"}, {"assistant", "<think>x</think> hello"}},
				Fields: map[string]any{"source": "s"}}}},
		{"sharegpt", "sg.jsonl",
			`{"conversations":[{"from":"human","value":"q"},{"from":"gpt","value":"a"}]}`,
			ChatMapping{}, []Conversation{{ID: "0", Messages: []Message{{"user", "q"}, {"assistant", "a"}}, Fields: map[string]any{}}}},
		{"prompt completion with system", "pc.jsonl",
			`{"system":"sys","prompt":"p","completion":"c","reward":1}` + "\n" + `{"prompt":"p2","completion":"c2","reward":0.5}`,
			ChatMapping{}, []Conversation{
				{ID: "0", Messages: []Message{{"system", "sys"}, {"user", "p"}, {"assistant", "c"}}, Fields: map[string]any{"reward": 1}},
				{ID: "1", Messages: []Message{{"user", "p2"}, {"assistant", "c2"}}, Fields: map[string]any{"reward": 0.5}}}},
		{"conversational prompt completion (TRL)", "trl.jsonl",
			`{"prompt":[{"role":"user","content":"p"}],"completion":[{"role":"assistant","content":"c"}]}`,
			ChatMapping{}, []Conversation{{ID: "0", Messages: []Message{{"user", "p"}, {"assistant", "c"}}, Fields: map[string]any{}}}},
		{"mapped fields", "map.jsonl",
			`{"problem":"p","response":"r","generation":"not this"}`,
			ChatMapping{Prompt: "problem", Completion: "response"}, []Conversation{{ID: "0", Messages: []Message{{"user", "p"}, {"assistant", "r"}},
				Fields: map[string]any{"generation": "not this"}}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := LoadChatMapped(writeFile(t, c.file, c.content), c.m)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("got  %#v\nwant %#v", got, c.want)
			}
		})
	}
}

func TestLoadChatErrors(t *testing.T) {
	ok := `{"messages":[{"role":"user","content":"q"},{"role":"assistant","content":"a"}]}` + "\n"
	cases := []struct{ name, content, want string }{
		{"no assistant turn on line 2", ok + `{"messages":[{"role":"user","content":"q"}]}`,
			`c.jsonl line 2: field "messages": no assistant turn (SFT learns from assistant turns)`},
		{"empty assistant turn", `{"messages":[{"role":"user","content":"q"},{"role":"assistant","content":" "}]}`,
			`c.jsonl line 1: field "messages": message 1: empty assistant turn`},
		{"unknown role", `{"messages":[{"role":"robot","content":"q"}]}`,
			`c.jsonl line 1: field "messages": message 0: unknown role "robot" (want system, user or assistant)`},
		{"content not a string", `{"messages":[{"role":"user","content":3}]}`,
			`c.jsonl line 1: field "messages": message 0: content: want a string, got a number`},
		{"empty completion", `{"prompt":"p","completion":""}`,
			`c.jsonl line 1: field "completion": empty completion`},
		{"missing completion on line 2", `{"prompt":"p","completion":"c"}` + "\n" + `{"prompt":"p"}`,
			`c.jsonl line 2: missing field "completion" (fields present: prompt)`},
		{"not a chat dataset", `{"text":"t"}`,
			`c.jsonl line 1: not a chat dataset`},
		{"malformed JSON", ok + ok + `{"messages":[}`,
			`c.jsonl line 3: malformed JSON: invalid character '}'`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := writeFile(t, "c.jsonl", c.content)
			_, err := LoadChat(path)
			if err == nil {
				t.Fatal("no error")
			}
			msg := strings.TrimPrefix(err.Error(), filepath.Dir(path)+"/")
			if !strings.HasPrefix(msg, c.want) {
				t.Errorf("error = %q\nwant prefix %q", msg, c.want)
			}
		})
	}
}

func TestConversationJSONRoundTrip(t *testing.T) {
	convs := []Conversation{{ID: "x", Messages: []Message{{"user", "q"}, {"assistant", "<think>a</think>"}},
		Fields: map[string]any{"model": "m", "reward": 1.5, "length": 12}}}
	path := filepath.Join(t.TempDir(), "sft.jsonl")
	if err := WriteJSONL(path, convs); err != nil {
		t.Fatal(err)
	}
	got, err := LoadChat(path)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, convs) {
		t.Errorf("got %#v, want %#v", got, convs)
	}
}

func TestLoadChatParquet(t *testing.T) {
	type msg struct {
		Role    string `parquet:"role"`
		Content string `parquet:"content"`
	}
	type row struct {
		ID       string `parquet:"id"`
		Messages []msg  `parquet:"messages,list"`
	}
	path := filepath.Join(t.TempDir(), "chat.parquet")
	rows := []row{
		{"a", []msg{{"user", "2+2?"}, {"assistant", "<think>add</think> 4"}}},
		{"b", []msg{{"system", "s"}, {"user", "q"}}},
	}
	if err := parquet.WriteFile(path, rows); err != nil {
		t.Fatal(err)
	}
	_, err := LoadChat(path)
	if err == nil || !strings.HasSuffix(err.Error(), `chat.parquet row 2: field "messages": no assistant turn (SFT learns from assistant turns)`) {
		t.Fatalf("error = %v", err)
	}
	if err := parquet.WriteFile(path, rows[:1]); err != nil {
		t.Fatal(err)
	}
	got, err := LoadChat(path)
	want := []Conversation{{ID: "a", Messages: []Message{{"user", "2+2?"}, {"assistant", "<think>add</think> 4"}}, Fields: map[string]any{}}}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("got %#v, %v", got, err)
	}
}
