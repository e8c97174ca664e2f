package reward

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
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

func TestVerifyFile(t *testing.T) {
	dir := t.TempDir()
	c, err := ParseSpec("exact")
	if err != nil {
		t.Fatal(err)
	}
	in := filepath.Join(dir, "in.jsonl")
	if err := os.WriteFile(in, []byte(`{"gold":"Paris","pred":"<answer>paris</answer>"}`+"\n"+`{"gold":"Paris","pred":"Lyon"}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out.jsonl")
	if err := os.WriteFile(out, []byte("old content\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	st, err := VerifyFile(in, out, c, false)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(out)
	want := `{"correct":true,"reward":1,"pred_extracted":"paris","gold_extracted":"paris"}` + "\n" +
		`{"correct":false,"reward":0,"pred_extracted":"lyon","gold_extracted":"paris"}` + "\n"
	if string(got) != want || st != (VerifyStats{Lines: 2, Correct: 1}) {
		t.Errorf("output %q, stats %+v", got, st)
	}
	bad := []struct {
		in, out, err string
	}{
		{filepath.Join(dir, "missing.jsonl"), out, "no such file"},
		{dir, out, "is a directory, not a JSONL file"},
		{in, dir, "is a directory"},
		{in, filepath.Join(dir, "no", "such", "dir.jsonl"), "output"},
	}
	for _, b := range bad {
		if _, err := VerifyFile(b.in, b.out, c, false); err == nil || !strings.Contains(err.Error(), b.err) {
			t.Errorf("VerifyFile(%s, %s): err = %v, want %q", b.in, b.out, err, b.err)
		}
	}
	// The failed runs neither touched the previous output nor left temporary files.
	entries, _ := os.ReadDir(dir)
	if len(entries) != 2 {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("directory holds %v, want in.jsonl and out.jsonl", names)
	}
	if got2, _ := os.ReadFile(out); string(got2) != want {
		t.Errorf("output changed by failed runs: %q", got2)
	}
}
