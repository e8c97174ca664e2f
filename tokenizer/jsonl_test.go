package tokenizer

import (
	"bytes"
	"strings"
	"testing"
)

func TestEncodeDecodeJSONL(t *testing.T) {
	tok := tinyTokenizer(t)
	var in strings.Builder
	texts := []string{"hello <think>2+2</think>", "", "ünïcödé 中文\n\ttab", `quote " and \ backslash`}
	for i, s := range texts {
		in.WriteString(`{"id": ` + itoa(i*10) + `, "text": ` + string(marshalNoEscape(s)) + "}\n")
	}
	in.WriteString("\n") // blank lines are skipped
	in.WriteString(`{"text": "string id", "id": "abc"}` + "\n")
	var enc bytes.Buffer
	if err := tok.EncodeJSONL(strings.NewReader(in.String()), &enc, "in.jsonl"); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(enc.String()), "\n")
	if len(lines) != len(texts)+1 {
		t.Fatalf("%d output lines, want %d", len(lines), len(texts)+1)
	}
	want0 := `{"id":0,"ids":[` + joinIDs(tok.Encode(texts[0])) + `]}`
	if lines[0] != want0 {
		t.Errorf("line 0 = %s, want %s", lines[0], want0)
	}
	if lines[1] != `{"id":10,"ids":[]}` || !strings.HasPrefix(lines[4], `{"id":"abc","ids":[`) {
		t.Errorf("lines = %q", lines)
	}
	var dec bytes.Buffer
	if err := tok.DecodeJSONL(&enc, &dec, "ids.jsonl", false); err != nil {
		t.Fatal(err)
	}
	out := strings.Split(strings.TrimSpace(dec.String()), "\n")
	for i, s := range texts {
		want := `{"id":` + itoa(i*10) + `,"text":` + string(marshalNoEscape(s)) + `}`
		if out[i] != want {
			t.Errorf("decoded line %d = %s, want %s", i, out[i], want)
		}
	}
	// skipSpecial drops <|endoftext|> but keeps <think>.
	dec.Reset()
	if err := tok.DecodeJSONL(strings.NewReader(`{"id":1,"ids":[3,0,4]}`), &dec, "x", true); err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSpace(dec.String()); got != `{"id":1,"text":"<think></think>"}` {
		t.Errorf("skipSpecial decode = %s", got)
	}
}

func joinIDs(ids []int32) string {
	var s []string
	for _, id := range ids {
		s = append(s, itoa(int(id)))
	}
	return strings.Join(s, ",")
}

func TestJSONLErrors(t *testing.T) {
	tok := tinyTokenizer(t)
	for _, c := range []struct {
		in, want string
		decode   bool
	}{
		{"{\"id\":1,\"text\":\"a\"}\n{\"id\":2,\"text\":\"b\"\n", "in:2: invalid JSON", false},
		{`{"id":1}`, `in:1: missing "text"`, false},
		{`{"text":"x"}`, `in:1: missing "id"`, false},
		{`{"id":1,"text":5}`, `in:1: field "text": want string, got JSON number`, false},
		{`not json`, "in:1: invalid JSON", false},
		{`{"id":1,"ids":[1,2,99999]}`, "in:1: ids[2] = 99999 is not in the vocabulary (1000 ids)", true},
		{`{"id":1,"ids":[-1]}`, "in:1: ids[0] = -1 is not in the vocabulary", true},
		{`{"id":1,"ids":["a"]}`, `in:1: field "ids": want int64, got JSON string`, true},
		{`{"id":1,"text":"x"}`, `in:1: missing "ids"`, true},
		{`{"id":1,"ids":[1.5]}`, `in:1: field "ids"`, true},
	} {
		var err error
		if c.decode {
			err = tok.DecodeJSONL(strings.NewReader(c.in), &bytes.Buffer{}, "in", false)
		} else {
			err = tok.EncodeJSONL(strings.NewReader(c.in), &bytes.Buffer{}, "in")
		}
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: err = %v, want %q", c.in, err, c.want)
		}
	}
}
