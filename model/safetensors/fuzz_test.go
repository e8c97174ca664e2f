package safetensors

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// fuzzSeeds are small files, valid and invalid, that start the header fuzzer off near every
// validation rule. More seeds live in testdata/fuzz/FuzzParseHeader (made by
// testdata/gen_corpus.go).
func fuzzSeeds() [][]byte {
	hdr := func(js string) []byte { return []byte(le64(uint64(len(js))) + js) }
	var buf bytes.Buffer
	_ = Encode(&buf, []Tensor{
		{Name: "a", DType: F32, Shape: []int{2}, Data: f32le(1.5, -0.25)},
		{Name: "b", DType: BF16, Shape: []int{1, 3}, Data: []byte{0x80, 0x3f, 0x00, 0xc0, 0x00, 0x3f}},
	}, map[string]string{"format": "pt"})
	return [][]byte{
		buf.Bytes(),
		nil,
		[]byte(le64(8) + "{}      "),
		[]byte(le64(60) + `{"test":{"dtype":"I32","shape":[2,2],"data_offsets":[0,16]}}` + string(make([]byte, 16))),
		append(hdr(`{"t":{"dtype":"F4","shape":[1,3],"data_offsets":[0,2]}}`), 0, 0),
		append(hdr(`{"a":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]},"b":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]}}`), make([]byte, 16)...),
		append(hdr(`{"__metadata__":{"k":"v"},"x":{"dtype":"U8","shape":[],"data_offsets":[0,1]}}`), 7),
		hdr(`{"test":{"dtype":"I32","shape":[2,18446744073709551614],"data_offsets":[0,16]}}`),
		[]byte("\xff\xff\xff\xff\xff\xff\xff\xff{}"),
	}
}

// FuzzParseHeader feeds arbitrary bytes to the reader. It must never panic; whatever it accepts
// must satisfy the format's invariants, read fully, and survive a write/read round trip.
func FuzzParseHeader(f *testing.F) {
	for _, s := range fuzzSeeds() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		file, err := NewReader(bytes.NewReader(raw), int64(len(raw)), "fuzz")
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error does not wrap ErrInvalid: %v", err)
			}
			return
		}
		infos := file.Infos()
		pos := int64(0)
		for _, in := range infos {
			if in.Begin != pos {
				t.Fatalf("accepted non-contiguous data: %+v at %d", in, pos)
			}
			size, err := byteSize(in.DType, in.Shape)
			if err != nil || size != in.Size() {
				t.Fatalf("accepted size mismatch: %+v (%d, %v)", in, size, err)
			}
			pos = in.End
		}
		if file.DataOffset()+pos != int64(len(raw)) {
			t.Fatalf("accepted file whose tensors do not end at EOF: %d + %d != %d", file.DataOffset(), pos, len(raw))
		}
		ts, err := file.Tensors()
		if err != nil {
			t.Fatalf("accepted file but cannot read it: %v", err)
		}
		var buf bytes.Buffer
		if err := Encode(&buf, ts, file.Metadata()); err != nil {
			t.Fatalf("cannot re-encode accepted tensors: %v", err)
		}
		again, err := NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()), "re-encoded")
		if err != nil {
			t.Fatalf("re-encoded file rejected: %v", err)
		}
		if again.Len() != len(ts) || len(again.Metadata()) != len(file.Metadata()) {
			t.Fatalf("round trip changed the tensor count or metadata")
		}
		for k, v := range file.Metadata() {
			if again.Metadata()[k] != v {
				t.Fatalf("metadata %q changed", k)
			}
		}
		for _, want := range ts {
			got, err := again.Tensor(want.Name)
			if err != nil || got.DType != want.DType || !slices.Equal(got.Shape, want.Shape) || !bytes.Equal(got.Data, want.Data) {
				t.Fatalf("tensor %q changed in the round trip (%v)", want.Name, err)
			}
		}
	})
}

// FuzzParseIndex feeds arbitrary bytes to the index parser: no panics, only ErrInvalid errors,
// and every accepted entry names a plain file.
func FuzzParseIndex(f *testing.F) {
	f.Add([]byte(`{"metadata":{"total_size":4},"weight_map":{"a":"model-00001-of-00001.safetensors"}}`))
	f.Add([]byte(`{"weight_map":{"a":"../x"}}`))
	f.Add([]byte(`{"weight_map":{"a":"x","a":"y"}}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		entries, err := parseIndex(raw)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error does not wrap ErrInvalid: %v", err)
			}
			return
		}
		seen := map[string]bool{}
		for _, e := range entries {
			if !plainFileName(e.file) || seen[e.tensor] {
				t.Fatalf("accepted bad entry %+v", e)
			}
			seen[e.tensor] = true
		}
	})
}

// TestFuzzCorpusVerdicts checks the committed corpus: files named valid_* are accepted, bad_*
// rejected, so the corpus keeps covering both sides of each rule.
func TestFuzzCorpusVerdicts(t *testing.T) {
	dir := filepath.Join("testdata", "fuzz", "FuzzParseHeader")
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) < 10 {
		t.Fatalf("corpus has %d files; run go run testdata/gen_corpus.go", len(entries))
	}
	for _, e := range entries {
		body, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.SplitN(string(body), "\n", 3)
		if len(lines) < 2 || lines[0] != "go test fuzz v1" || !strings.HasPrefix(lines[1], "[]byte(") {
			t.Fatalf("%s: not a fuzz corpus file", e.Name())
		}
		raw, err := strconv.Unquote(strings.TrimSuffix(strings.TrimPrefix(lines[1], "[]byte("), ")"))
		if err != nil {
			t.Fatalf("%s: %v", e.Name(), err)
		}
		_, err = NewReader(strings.NewReader(raw), int64(len(raw)), e.Name())
		switch {
		case strings.HasPrefix(e.Name(), "valid_") && err != nil:
			t.Errorf("%s rejected: %v", e.Name(), err)
		case strings.HasPrefix(e.Name(), "bad_") && err == nil:
			t.Errorf("%s accepted", e.Name())
		}
	}
}
