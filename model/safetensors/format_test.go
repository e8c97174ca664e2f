package safetensors

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// f32le returns the little-endian bytes of float32 values.
func f32le(vals ...float32) []byte {
	b := make([]byte, 4*len(vals))
	for i, v := range vals {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(v))
	}
	return b
}

// le64 is the 8-byte header-length prefix for n.
func le64(n uint64) string {
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], n)
	return string(b[:])
}

// TestEncodeGolden checks the writer byte for byte. The first cases are the expected outputs of
// the Rust safetensors crate's own serializer tests (test_serialization, test_empty,
// test_serialization_forced_alignement in safetensors/src/tensor.rs); the last is a
// two-tensor file with metadata whose bytes were worked out by hand: F32 sorts before BF16,
// __metadata__ comes first, the 142-byte JSON is padded with 2 spaces to 144 (0x90).
func TestEncodeGolden(t *testing.T) {
	zeroToFive := f32le(0, 1, 2, 3, 4, 5)
	tests := []struct {
		name string
		ts   []Tensor
		meta map[string]string
		want string
	}{
		{
			name: "rust test_serialization",
			ts:   []Tensor{{Name: "attn.0", DType: F32, Shape: []int{1, 2, 3}, Data: zeroToFive}},
			want: le64(64) + `{"attn.0":{"dtype":"F32","shape":[1,2,3],"data_offsets":[0,24]}}` + string(zeroToFive),
		},
		{
			name: "rust test_empty",
			want: le64(8) + "{}      ",
		},
		{
			name: "rust test_empty with metadata",
			meta: map[string]string{"framework": "pt"},
			want: le64(40) + `{"__metadata__":{"framework":"pt"}}     `,
		},
		{
			name: "rust test_serialization_forced_alignement",
			ts:   []Tensor{{Name: "attn0", DType: F32, Shape: []int{1, 1, 2, 3}, Data: zeroToFive}},
			want: le64(72) + `{"attn0":{"dtype":"F32","shape":[1,1,2,3],"data_offsets":[0,24]}}       ` + string(zeroToFive),
		},
		{
			name: "hand-written two tensors, metadata, given in the wrong order",
			ts: []Tensor{
				{Name: "b", DType: BF16, Shape: []int{1, 3}, Data: []byte{0x80, 0x3f, 0x00, 0xc0, 0x00, 0x3f}},         // 1, -2, 0.5
				{Name: "a", DType: F32, Shape: []int{2}, Data: []byte{0x00, 0x00, 0xc0, 0x3f, 0x00, 0x00, 0x80, 0xbe}}, // 1.5, -0.25
			},
			meta: map[string]string{"format": "pt"},
			want: "\x90\x00\x00\x00\x00\x00\x00\x00" +
				`{"__metadata__":{"format":"pt"},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"BF16","shape":[1,3],"data_offsets":[8,14]}}  ` +
				"\x00\x00\xc0\x3f\x00\x00\x80\xbe" + "\x80\x3f\x00\xc0\x00\x3f",
		},
		{
			name: "dtype order and name order",
			ts: []Tensor{
				{Name: "m", DType: U8, Shape: []int{1}, Data: []byte{7}},
				{Name: "z", DType: I64, Shape: []int{}, Data: make([]byte, 8)},
				{Name: "y", DType: F32, Shape: []int{1}, Data: make([]byte, 4)},
				{Name: "x", DType: F32, Shape: []int{0}, Data: nil},
				{Name: "k", DType: BOOL, Shape: []int{1}, Data: []byte{1}},
			},
			want: le64(272) + `{"z":{"dtype":"I64","shape":[],"data_offsets":[0,8]},"x":{"dtype":"F32","shape":[0],"data_offsets":[8,8]},` +
				`"y":{"dtype":"F32","shape":[1],"data_offsets":[8,12]},"m":{"dtype":"U8","shape":[1],"data_offsets":[12,13]},` +
				`"k":{"dtype":"BOOL","shape":[1],"data_offsets":[13,14]}}` + strings.Repeat(" ", 2) +
				string(make([]byte, 12)) + "\x07\x01",
		},
		{
			name: "json escaping as serde_json",
			ts:   []Tensor{{Name: "q\"\\\n\x01é<", DType: U8, Shape: []int{1}, Data: []byte{9}}},
			want: le64(72) + `{"q\"\\\n\u0001é<":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}` + "    " + "\x09",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := Encode(&buf, tc.ts, tc.meta); err != nil {
				t.Fatal(err)
			}
			if got := buf.String(); got != tc.want {
				t.Fatalf("Encode:\n got %q\nwant %q", got, tc.want)
			}
			// Reading the golden bytes gives the tensors back.
			f, err := NewReader(bytes.NewReader([]byte(tc.want)), int64(len(tc.want)), tc.name)
			if err != nil {
				t.Fatal(err)
			}
			if len(tc.meta) > 0 && !equalMaps(f.Metadata(), tc.meta) {
				t.Errorf("Metadata = %v, want %v", f.Metadata(), tc.meta)
			}
			if f.Len() != len(tc.ts) {
				t.Fatalf("Len = %d, want %d", f.Len(), len(tc.ts))
			}
			for _, want := range tc.ts {
				got, err := f.Tensor(want.Name)
				if err != nil {
					t.Fatal(err)
				}
				if got.DType != want.DType || !slices.Equal(got.Shape, want.Shape) || !bytes.Equal(got.Data, want.Data) {
					t.Errorf("tensor %q = %+v, want %+v", want.Name, got, want)
				}
			}
		})
	}
}

func equalMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// TestGoldenTwoTensorValues decodes the hand-written two-tensor file to float32 values.
func TestGoldenTwoTensorValues(t *testing.T) {
	raw := "\x90\x00\x00\x00\x00\x00\x00\x00" +
		`{"__metadata__":{"format":"pt"},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"BF16","shape":[1,3],"data_offsets":[8,14]}}  ` +
		"\x00\x00\xc0\x3f\x00\x00\x80\xbe" + "\x80\x3f\x00\xc0\x00\x3f"
	path := filepath.Join(t.TempDir(), "two.safetensors")
	if err := os.WriteFile(path, []byte(raw), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got := f.Names(); !slices.Equal(got, []string{"a", "b"}) {
		t.Errorf("Names = %v", got)
	}
	if f.DataOffset() != 8+144 {
		t.Errorf("DataOffset = %d, want 152", f.DataOffset())
	}
	for name, want := range map[string][]float32{"a": {1.5, -0.25}, "b": {1, -2, 0.5}} {
		got, err := f.Float32s(name)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
	info, err := f.Info("b")
	if err != nil {
		t.Fatal(err)
	}
	if info.DType != BF16 || !slices.Equal(info.Shape, []int{1, 3}) || info.Begin != 8 || info.End != 14 {
		t.Errorf("Info(b) = %+v", info)
	}
	buf := make([]byte, 6)
	if err := f.ReadData("b", buf); err != nil || !bytes.Equal(buf, []byte{0x80, 0x3f, 0x00, 0xc0, 0x00, 0x3f}) {
		t.Errorf("ReadData(b) = %x, %v", buf, err)
	}
	if err := f.ReadData("b", make([]byte, 5)); !errors.Is(err, ErrInvalid) {
		t.Errorf("ReadData with a short buffer: %v, want ErrInvalid", err)
	}
	_, err = f.Tensor("c")
	if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), `"c"`) {
		t.Errorf("Tensor(c) error = %v, want ErrNotFound naming file and tensor", err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Tensor("a"); err == nil {
		t.Error("Tensor after Close succeeded")
	}
}

// TestDecodeAccepts lists files the reference accepts (from the Rust crate's tests and spec).
func TestDecodeAccepts(t *testing.T) {
	tests := []struct {
		name   string
		raw    string
		names  []string
		shapes [][]int
	}{
		{"rust test_deserialization", le64(60) + `{"test":{"dtype":"I32","shape":[2,2],"data_offsets":[0,16]}}` + string(make([]byte, 16)),
			[]string{"test"}, [][]int{{2, 2}}},
		{"rust test_empty_shapes_allowed (scalar)", le64(56) + `{"test":{"dtype":"I32","shape":[],"data_offsets":[0,4]}}` + string(make([]byte, 4)),
			[]string{"test"}, [][]int{{}}},
		{"rust test_zero_sized_tensor", le64(60) + `{"test":{"dtype":"I32","shape":[2,0],"data_offsets":[0, 0]}}`,
			[]string{"test"}, [][]int{{2, 0}}},
		{"rust trailing whitespace padding", le64(6) + "{}\r \t\n", nil, nil},
		{"rust leading whitespace padding", le64(6) + "\t\n{}\r ", nil, nil},
		{"header order differs from offset order", le64(105) +
			`{"b":{"dtype":"U8","shape":[1],"data_offsets":[1,2]},"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}` + "\x01\x02",
			[]string{"a", "b"}, [][]int{{1}, {1}}},
		{"unknown fields ignored, null metadata", le64(93) +
			`{"__metadata__":null,"t":{"dtype":"U8","shape":[1],"data_offsets":[0,1],"extra":[1,{"x":2}]}}` + "\x05",
			[]string{"t"}, [][]int{{1}}},
		{"sub-byte F4 with whole bytes", le64(55) + `{"t":{"dtype":"F4","shape":[1,2],"data_offsets":[0,1]}}` + "\x00",
			[]string{"t"}, [][]int{{1, 2}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, err := NewReader(strings.NewReader(tc.raw), int64(len(tc.raw)), "mem")
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(f.Names(), tc.names) {
				t.Errorf("Names = %q, want %q", f.Names(), tc.names)
			}
			for i, in := range f.Infos() {
				if !slices.Equal(in.Shape, tc.shapes[i]) {
					t.Errorf("%s shape = %v, want %v", in.Name, in.Shape, tc.shapes[i])
				}
			}
			if _, err := f.Tensors(); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestDecodeRejects covers every validation rule: each malformed file gives an error that wraps
// ErrInvalid, names the file, and contains the given fragments (tensor name, the field at fault).
func TestDecodeRejects(t *testing.T) {
	i32x4 := `{"test":{"dtype":"I32","shape":[2,2],"data_offsets":[0,16]}}`
	zeros16 := string(make([]byte, 16))
	hdr := func(js string) string { return le64(uint64(len(js))) + js }
	tests := []struct {
		name string
		raw  string
		want []string
	}{
		{"empty file (rust test_header_too_small)", "", []string{"too short"}},
		{"7 bytes", "\x01\x00\x00\x00\x00\x00\x00", []string{"too short"}},
		{"header length past the end (rust test_invalid_header_length)", le64(60), []string{"header length 60", "past the end"}},
		{"absurd header length (rust test_header_too_large)", "<\x00\x00\x00\x00\xff\xff\xff" + i32x4 + zeros16, []string{"larger than the 100000000-byte limit"}},
		{"header length 2^64-1", le64(math.MaxUint64) + "{}", []string{"larger than"}},
		{"non-UTF-8 header (rust test_invalid_header_non_utf8)", le64(1) + "\xff", []string{"not valid UTF-8"}},
		{"truncated JSON (rust test_invalid_header_not_json)", le64(1) + "{", []string{"JSON"}},
		{"zero-length header", le64(0), []string{"not a JSON object"}},
		{"JSON array", hdr(`[]`), []string{"not a JSON object"}},
		{"trailing JSON", hdr(`{}{}`), []string{"trailing"}},
		{"NUL padding", hdr("{}\x00\x00"), []string{"trailing"}},
		{"unknown dtype", hdr(`{"t":{"dtype":"F12","shape":[1],"data_offsets":[0,1]}}`) + "\x00", []string{`tensor "t"`, `unknown dtype "F12"`}},
		{"dtype not a string", hdr(`{"t":{"dtype":7,"shape":[1],"data_offsets":[0,1]}}`) + "\x00", []string{`tensor "t"`, "dtype must be a string"}},
		{"missing shape", hdr(`{"t":{"dtype":"U8","data_offsets":[0,1]}}`) + "\x00", []string{`tensor "t"`, `missing field "shape"`}},
		{"missing dtype", hdr(`{"t":{"shape":[1],"data_offsets":[0,1]}}`) + "\x00", []string{`missing field "dtype"`}},
		{"missing data_offsets", hdr(`{"t":{"dtype":"U8","shape":[1]}}`) + "\x00", []string{`missing field "data_offsets"`}},
		{"repeated field", hdr(`{"t":{"dtype":"U8","dtype":"U8","shape":[1],"data_offsets":[0,1]}}`) + "\x00", []string{`field "dtype" appears twice`}},
		{"negative dimension", hdr(`{"t":{"dtype":"U8","shape":[-1],"data_offsets":[0,1]}}`) + "\x00", []string{`tensor "t"`, "shape[0] = -1"}},
		{"fractional dimension", hdr(`{"t":{"dtype":"U8","shape":[1.0],"data_offsets":[0,1]}}`) + "\x00", []string{"shape[0] = 1.0"}},
		{"null dimension", hdr(`{"t":{"dtype":"U8","shape":[null],"data_offsets":[0,1]}}`) + "\x00", []string{"shape[0] must be an integer, found null"}},
		{"shape not an array", hdr(`{"t":{"dtype":"U8","shape":3,"data_offsets":[0,1]}}`) + "\x00", []string{"shape must be an array"}},
		{"three offsets", hdr(`{"t":{"dtype":"U8","shape":[1],"data_offsets":[0,1,2]}}`) + "\x00", []string{"data_offsets must have 2 elements"}},
		{"entry not an object", hdr(`{"t":[1]}`), []string{`tensor "t"`, "entry must be an object"}},
		{"duplicate tensor", hdr(`{"t":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"t":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}}`) + "\x00\x00",
			[]string{`tensor "t" twice`}},
		{"duplicate metadata", hdr(`{"__metadata__":{},"__metadata__":{}}`), []string{"__metadata__ twice"}},
		{"metadata value not a string", hdr(`{"__metadata__":{"step":3}}`), []string{`key "step"`, "must be a string"}},
		{"metadata not an object", hdr(`{"__metadata__":"x"}`), []string{"__metadata__", "must be an object"}},
		{"size mismatch (rust test_invalid_info)", le64(60) + `{"test":{"dtype":"I32","shape":[2,2],"data_offsets":[0, 4]}}`,
			[]string{`tensor "test"`, "I32 shape [2 2] needs 16 bytes but data_offsets [0, 4] span 4"}},
		{"shape overflow (rust test_validation_overflow)", hdr(`{"test":{"dtype":"I32","shape":[2,18446744073709551614],"data_offsets":[0,16]}}`) + zeros16,
			[]string{`tensor "test"`, "overflows"}},
		{"element count overflow", hdr(`{"test":{"dtype":"I32","shape":[2,9223372036854775807],"data_offsets":[0,16]}}`) + zeros16,
			[]string{`tensor "test"`, "overflows"}},
		{"byte size overflow", hdr(`{"test":{"dtype":"I32","shape":[4611686018427387904],"data_offsets":[0,16]}}`) + zeros16,
			[]string{`tensor "test"`, "overflows"}},
		{"overlapping tensors (rust test_json_attack)", hdr(`{"a":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]},"b":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]}}`) + zeros16,
			[]string{`tensor "b"`, `overlap tensor "a"`}},
		{"gap between tensors", hdr(`{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"b":{"dtype":"U8","shape":[1],"data_offsets":[2,3]}}`) + "\x00\x00\x00",
			[]string{`tensor "b"`, `gap after tensor "a"`}},
		{"data not starting at 0", hdr(`{"a":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}}`) + "\x00\x00",
			[]string{`tensor "a"`, "bytes [0, 1) of the data buffer unused"}},
		{"end before begin", hdr(`{"a":{"dtype":"U8","shape":[0],"data_offsets":[0,0]},"b":{"dtype":"U8","shape":[1],"data_offsets":[2,1]}}`) + "\x00\x00",
			[]string{`tensor "b"`, "end before they begin"}},
		{"truncated data (rust test_metadata_incomplete_buffer)", le64(60) + i32x4 + zeros16[:14],
			[]string{`tensor "test"`, "holds only 14 data bytes"}},
		{"trailing data (rust test_metadata_incomplete_buffer)", le64(60) + i32x4 + zeros16 + "extra_bogus_data_for_polyglot_file",
			[]string{"trailing bytes after the last tensor"}},
		{"offset beyond int64", hdr(`{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,9223372036854775808]}}`), []string{"data_offsets[1]", "overflows"}},
		{"F4 with half a byte", hdr(`{"t":{"dtype":"F4","shape":[1,3],"data_offsets":[0,2]}}`) + "\x00\x00", []string{`tensor "t"`, "do not fill whole bytes"}},
		{"deeply nested unknown field", hdr(`{"t":{"x":` + strings.Repeat("[", 20000) + strings.Repeat("]", 20000) + `}}`), []string{`tensor "t"`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, err := NewReader(strings.NewReader(tc.raw), int64(len(tc.raw)), "bad.safetensors")
			if err == nil {
				t.Fatalf("accepted: %v", f.Names())
			}
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("error %q does not wrap ErrInvalid", err)
			}
			msg := err.Error()
			for _, w := range append([]string{"bad.safetensors"}, tc.want...) {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q lacks %q", msg, w)
				}
			}
		})
	}
}

// TestReadFileErrors covers failures of the file itself.
func TestReadFileErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := ReadFile(filepath.Join(dir, "missing.safetensors")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
	if _, err := ReadFile(dir); !errors.Is(err, ErrInvalid) {
		t.Errorf("directory: %v", err)
	}
	// A file truncated after it was opened: the header is valid, the read fails cleanly.
	path := filepath.Join(dir, "shrinks.safetensors")
	ts := []Tensor{{Name: "w", DType: F32, Shape: []int{4}, Data: f32le(1, 2, 3, 4)}}
	if err := WriteFile(path, ts, nil); err != nil {
		t.Fatal(err)
	}
	f, err := ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := os.Truncate(path, f.DataOffset()+8); err != nil {
		t.Fatal(err)
	}
	_, err = f.Tensor("w")
	if err == nil || !strings.Contains(err.Error(), `tensor "w"`) || !strings.Contains(err.Error(), path) {
		t.Errorf("read of truncated file: %v", err)
	}
}

// TestWriteRejects checks that bad tensors are refused before anything is written.
func TestWriteRejects(t *testing.T) {
	tests := []struct {
		name string
		ts   []Tensor
		meta map[string]string
		want string
	}{
		{"data too short", []Tensor{{Name: "w", DType: F32, Shape: []int{2}, Data: make([]byte, 7)}}, nil, `tensor "w": F32 shape [2] needs 8 bytes but Data holds 7`},
		{"unknown dtype", []Tensor{{Name: "w", DType: "F33", Shape: []int{1}, Data: make([]byte, 4)}}, nil, `tensor "w": unknown dtype "F33"`},
		{"negative dim", []Tensor{{Name: "w", DType: U8, Shape: []int{-1}}}, nil, `tensor "w": shape [-1] has a negative dimension`},
		{"duplicate", []Tensor{{Name: "w", DType: U8, Shape: []int{1}, Data: []byte{1}}, {Name: "w", DType: U8, Shape: []int{1}, Data: []byte{1}}}, nil, `tensor "w" appears twice`},
		{"reserved name", []Tensor{{Name: "__metadata__", DType: U8, Shape: []int{1}, Data: []byte{1}}}, nil, "reserved"},
		{"bad UTF-8 name", []Tensor{{Name: "w\xff", DType: U8, Shape: []int{1}, Data: []byte{1}}}, nil, "not valid UTF-8"},
		{"bad UTF-8 metadata", nil, map[string]string{"k": "\xff"}, "valid UTF-8"},
		{"header too large", nil, map[string]string{"k": strings.Repeat("a", MaxHeaderSize)}, "above the 100000000-byte limit"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "out.safetensors")
			err := WriteFile(path, tc.ts, tc.meta)
			if err == nil || !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), path) {
				t.Fatalf("WriteFile error = %v, want ErrInvalid containing %q and the path", err, tc.want)
			}
			if entries, _ := os.ReadDir(dir); len(entries) != 0 {
				t.Errorf("WriteFile left %d files behind", len(entries))
			}
		})
	}
}

// TestWriteFileAtomic checks that a rewrite replaces the file whole and leaves no temp files,
// and that a failed write leaves the old file untouched.
func TestWriteFileAtomic(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "m.safetensors")
	v1 := []Tensor{{Name: "w", DType: F32, Shape: []int{2}, Data: f32le(1, 2)}}
	if err := WriteFile(path, v1, map[string]string{"v": "1"}); err != nil {
		t.Fatal(err)
	}
	old, _ := os.ReadFile(path)
	if err := WriteFile(path, []Tensor{{Name: "w", DType: F32, Shape: []int{3}, Data: f32le(1, 2)}}, nil); err == nil {
		t.Fatal("bad rewrite succeeded")
	}
	if now, _ := os.ReadFile(path); !bytes.Equal(now, old) {
		t.Fatal("failed rewrite changed the file")
	}
	v2 := []Tensor{{Name: "w", DType: BF16, Shape: []int{1}, Data: []byte{0x80, 0x3f}}}
	if err := WriteFile(path, v2, nil); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("directory holds %d entries, want 1", len(entries))
	}
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o644 {
		t.Errorf("mode %v, want 0644", st.Mode().Perm())
	}
	f, err := ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got, err := f.Float32s("w")
	if err != nil || !slices.Equal(got, []float32{1}) || f.Metadata() != nil {
		t.Errorf("after rewrite: %v %v meta %v", got, err, f.Metadata())
	}
}

// TestRoundTripAllDTypes writes one tensor of every dtype with patterned bytes, reads it back
// bit-exactly, and checks that the file is byte-identical after a second write.
func TestRoundTripAllDTypes(t *testing.T) {
	var ts []Tensor
	for i, dt := range DTypes() {
		shape := []int{2, 3, 4}
		n, _ := byteSize(dt, shape)
		data := make([]byte, n)
		for j := range data {
			data[j] = byte(i*31 + j*7)
		}
		if dt == BOOL {
			for j := range data {
				data[j] &= 1
			}
		}
		ts = append(ts, Tensor{Name: "t." + string(dt), DType: dt, Shape: shape, Data: data})
	}
	dir := t.TempDir()
	p1, p2 := filepath.Join(dir, "1.safetensors"), filepath.Join(dir, "2.safetensors")
	meta := map[string]string{"format": "pt", "note": "all dtypes"}
	if err := WriteFile(p1, ts, meta); err != nil {
		t.Fatal(err)
	}
	f, err := ReadFile(p1)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	back, err := f.Tensors()
	if err != nil {
		t.Fatal(err)
	}
	if len(back) != len(ts) {
		t.Fatalf("read %d tensors, wrote %d", len(back), len(ts))
	}
	for _, want := range ts {
		got, err := f.Tensor(want.Name)
		if err != nil {
			t.Fatal(err)
		}
		if got.DType != want.DType || !slices.Equal(got.Shape, want.Shape) || !bytes.Equal(got.Data, want.Data) {
			t.Errorf("%s differs after round trip", want.Name)
		}
		info, _ := f.Info(want.Name)
		if info.Begin%int64(max(want.DType.Size(), 1)) != 0 || f.DataOffset()%8 != 0 {
			t.Errorf("%s at data offset %d is not aligned to its %d-byte elements", want.Name, info.Begin, want.DType.Size())
		}
	}
	if err := WriteFile(p2, back, f.Metadata()); err != nil {
		t.Fatal(err)
	}
	b1, _ := os.ReadFile(p1)
	b2, _ := os.ReadFile(p2)
	if !bytes.Equal(b1, b2) {
		t.Error("rewriting the tensors read back gives different bytes")
	}
}

// TestTransformersFile reads a checkpoint that transformers wrote with the reference
// serializer (testdata/README.md): every tensor has the dtype, shape and initial values
// transformers gives it, and encoding the tensors again reproduces the file byte for byte.
func TestTransformersFile(t *testing.T) {
	path := filepath.Join("testdata", "transformers-tiny-qwen2.safetensors")
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	f, err := ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if f.Len() != 26 || f.Metadata()["format"] != "pt" || f.DataOffset()%8 != 0 {
		t.Fatalf("Len %d, metadata %v, data offset %d", f.Len(), f.Metadata(), f.DataOffset())
	}
	info, err := f.Info("model.embed_tokens.weight")
	if err != nil || info.DType != F32 || !slices.Equal(info.Shape, []int{256, 64}) || info.Begin != 0 {
		t.Fatalf("embed_tokens: %+v, %v", info, err)
	}
	for _, name := range f.Names() {
		vals, err := f.Float32s(name)
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case strings.HasSuffix(name, "norm.weight"): // RMSNorm weights start at 1
			for _, v := range vals {
				if v != 1 {
					t.Fatalf("%s holds %g, want all 1", name, v)
				}
			}
		case strings.HasSuffix(name, ".bias"): // linear biases start at 0
			for _, v := range vals {
				if v != 0 {
					t.Fatalf("%s holds %g, want all 0", name, v)
				}
			}
		default: // normal(0, initializer_range = 0.1)
			var sum, sq float64
			for _, v := range vals {
				sum += float64(v)
				sq += float64(v) * float64(v)
			}
			n := float64(len(vals))
			mean, std := sum/n, math.Sqrt(sq/n-(sum/n)*(sum/n))
			if math.Abs(mean) > 0.01 || math.Abs(std-0.1) > 0.01 {
				t.Errorf("%s: mean %.4f std %.4f, want about 0 and 0.1", name, mean, std)
			}
		}
	}
	ts, err := f.Tensors()
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := Encode(&buf, ts, f.Metadata()); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), raw) {
		n := 0
		for n < min(len(raw), buf.Len()) && raw[n] == buf.Bytes()[n] {
			n++
		}
		t.Fatalf("re-encoded file differs from the transformers file at byte %d (%d vs %d bytes)", n, buf.Len(), len(raw))
	}
}
