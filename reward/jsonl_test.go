package reward

import (
	"bytes"
	"errors"
	"os"
	"strings"
	"testing"
)

func TestVerifyJSONLGolden(t *testing.T) {
	in, err := os.ReadFile("testdata/verify_input.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile("testdata/verify_expected.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	c, err := ParseSpec("math")
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	st, err := VerifyJSONL(bytes.NewReader(in), &out, c, false)
	if err != nil {
		t.Fatal(err)
	}
	gotLines := strings.Split(strings.TrimSpace(out.String()), "\n")
	wantLines := strings.Split(strings.TrimSpace(string(want)), "\n")
	if len(gotLines) != len(wantLines) {
		t.Fatalf("%d output lines, want %d:\n%s", len(gotLines), len(wantLines), out.String())
	}
	for i := range wantLines {
		if gotLines[i] != wantLines[i] {
			t.Errorf("line %d:\n got %s\nwant %s", i+1, gotLines[i], wantLines[i])
		}
	}
	if st != (VerifyStats{Lines: 10, Correct: 3, Errors: 5}) {
		t.Errorf("stats = %+v", st)
	}
}

func TestVerifyJSONLComposite(t *testing.T) {
	in := `{"numbers":[3,5,2],"target":16,"pred":"<think>5-3=2, 2*8?</think> <answer>(5+3)*2</answer>"}` + "\n" +
		`{"numbers":[3,5,2],"target":16,"pred":"<answer>(5+3)*2*2</answer>"}` // no final newline
	c, err := ParseSpec("countdown:1,format(style=r1-zero):0.5")
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if _, err := VerifyJSONL(strings.NewReader(in), &out, c, true); err != nil {
		t.Fatal(err)
	}
	want := `{"correct":true,"reward":1.5,"pred_extracted":"(5+3)*2","gold_extracted":"16","rewards":{"countdown":1,"format":1}}` + "\n" +
		`{"correct":false,"reward":0,"pred_extracted":"(5+3)*2*2","gold_extracted":"16","rewards":{"countdown":0,"format":0},"note":"number 2 used more times than given"}` + "\n"
	if out.String() != want {
		t.Errorf("got\n%s\nwant\n%s", out.String(), want)
	}
}

// failingReader returns data, then an I/O error.
type failingReader struct{ data string }

func (f *failingReader) Read(p []byte) (int, error) {
	if f.data == "" {
		return 0, errors.New("disk on fire")
	}
	n := copy(p, f.data)
	f.data = f.data[n:]
	return n, nil
}

func TestVerifyJSONLReadError(t *testing.T) {
	c, _ := ParseSpec("exact")
	_, err := VerifyJSONL(&failingReader{data: `{"gold":"a","pred":"a"}` + "\n"}, &bytes.Buffer{}, c, false)
	if err == nil || !strings.Contains(err.Error(), "reading line 2: disk on fire") {
		t.Errorf("err = %v", err)
	}
}
