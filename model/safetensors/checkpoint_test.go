package safetensors

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// u8Tensor is a U8 tensor of n bytes filled with seed, seed+1, ...
func u8Tensor(name string, n int, seed byte) Tensor {
	data := make([]byte, n)
	for i := range data {
		data[i] = seed + byte(i)
	}
	return Tensor{Name: name, DType: U8, Shape: []int{n}, Data: data}
}

// dirEntries lists the names in dir, sorted.
func dirEntries(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
}

// checkReads opens dir and checks that every tensor reads back bit-exactly.
func checkReads(t *testing.T, dir string, ts []Tensor, sharded bool) *Checkpoint {
	t.Helper()
	c, err := OpenDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if c.Sharded() != sharded {
		t.Errorf("Sharded = %v, want %v", c.Sharded(), sharded)
	}
	if len(c.Names()) != len(ts) {
		t.Errorf("Names = %v, want %d names", c.Names(), len(ts))
	}
	for _, want := range ts {
		got, err := c.Tensor(want.Name)
		if err != nil {
			t.Fatal(err)
		}
		if got.DType != want.DType || !slices.Equal(got.Shape, want.Shape) || !bytes.Equal(got.Data, want.Data) {
			t.Errorf("tensor %q differs after the round trip", want.Name)
		}
	}
	return c
}

func TestWriteDirSingle(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "ckpt")
	ts := []Tensor{u8Tensor("b", 10, 1), u8Tensor("a", 20, 2)}
	if err := WriteDir(dir, ts, map[string]string{"format": "pt"}, 30); err != nil {
		t.Fatal(err)
	}
	if got := dirEntries(t, dir); !slices.Equal(got, []string{SingleFileName}) {
		t.Fatalf("dir holds %v", got)
	}
	c := checkReads(t, dir, ts, false)
	if !slices.Equal(c.Names(), []string{"a", "b"}) {
		t.Errorf("Names = %v, want file order [a b]", c.Names())
	}
	if c.Metadata()["format"] != "pt" {
		t.Errorf("Metadata = %v", c.Metadata())
	}
	if _, err := c.Tensor("zz"); !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), SingleFileName) {
		t.Errorf("missing tensor: %v", err)
	}
}

func TestWriteDirSharded(t *testing.T) {
	dir := t.TempDir()
	// 40+40 fit in 90; the third 40 starts shard 2; 100 exceeds the limit and stands alone;
	// 8 no longer fits next to it.
	ts := []Tensor{u8Tensor("l0.w", 40, 0), u8Tensor("l0.b", 40, 1), u8Tensor("l1.w", 40, 2), u8Tensor("emb", 100, 3), u8Tensor("norm", 8, 4)}
	if err := WriteDir(dir, ts, map[string]string{"format": "pt"}, 90); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"model-00001-of-00004.safetensors", "model-00002-of-00004.safetensors",
		"model-00003-of-00004.safetensors", "model-00004-of-00004.safetensors", IndexFileName,
	}
	if got := dirEntries(t, dir); !slices.Equal(got, want) {
		t.Fatalf("dir holds %v, want %v", got, want)
	}
	index, err := os.ReadFile(filepath.Join(dir, IndexFileName))
	if err != nil {
		t.Fatal(err)
	}
	wantIndex := `{
  "metadata": {
    "total_size": 228
  },
  "weight_map": {
    "emb": "model-00003-of-00004.safetensors",
    "l0.b": "model-00001-of-00004.safetensors",
    "l0.w": "model-00001-of-00004.safetensors",
    "l1.w": "model-00002-of-00004.safetensors",
    "norm": "model-00004-of-00004.safetensors"
  }
}
`
	if string(index) != wantIndex {
		t.Errorf("index:\n%s\nwant:\n%s", index, wantIndex)
	}
	c := checkReads(t, dir, ts, true)
	if !slices.Equal(c.Names(), []string{"emb", "l0.b", "l0.w", "l1.w", "norm"}) {
		t.Errorf("Names = %v, want weight_map order", c.Names())
	}
	if len(c.Files()) != 4 || c.Metadata()["format"] != "pt" {
		t.Errorf("Files = %v, Metadata = %v", c.Files(), c.Metadata())
	}
	// Each shard is a complete safetensors file with the shared metadata.
	f, err := ReadFile(filepath.Join(dir, want[0]))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if !slices.Equal(f.Names(), []string{"l0.b", "l0.w"}) || f.Metadata()["format"] != "pt" {
		t.Errorf("shard 1 holds %v, metadata %v", f.Names(), f.Metadata())
	}
	if _, err := c.Tensor("missing"); !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), IndexFileName) {
		t.Errorf("missing tensor: %v", err)
	}
	if _, err := c.Float32s("emb"); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), want[2]) {
		t.Errorf("Float32s of U8 tensor: %v", err)
	}
}

// TestWriteDirReplaces checks that rewriting a directory in another layout removes the old
// checkpoint's files, and only those.
func TestWriteDirReplaces(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	big := []Tensor{u8Tensor("a", 50, 0), u8Tensor("b", 50, 1), u8Tensor("c", 50, 2), u8Tensor("d", 50, 3)}
	steps := []struct {
		name    string
		ts      []Tensor
		max     int64
		want    []string
		sharded bool
	}{
		{"sharded in 4", big, 50, []string{"config.json", "model-00001-of-00004.safetensors", "model-00002-of-00004.safetensors",
			"model-00003-of-00004.safetensors", "model-00004-of-00004.safetensors", IndexFileName}, true},
		{"sharded in 2", big, 100, []string{"config.json", "model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors", IndexFileName}, true},
		{"single", big[:2], 0, []string{"config.json", SingleFileName}, false},
		{"sharded again", big, 150, []string{"config.json", "model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors", IndexFileName}, true},
		{"single again", big, 1000, []string{"config.json", SingleFileName}, false},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			if err := WriteDir(dir, st.ts, nil, st.max); err != nil {
				t.Fatal(err)
			}
			if got := dirEntries(t, dir); !slices.Equal(got, st.want) {
				t.Fatalf("dir holds %v, want %v", got, st.want)
			}
			checkReads(t, dir, st.ts, st.sharded)
		})
	}
}

func TestWriteDirRejectsBadTensors(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "new")
	ts := []Tensor{u8Tensor("a", 4, 0), {Name: "b", DType: F32, Shape: []int{2}, Data: make([]byte, 4)}}
	err := WriteDir(dir, ts, nil, 2)
	if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), `tensor "b"`) {
		t.Fatalf("error = %v", err)
	}
	if _, err := os.Stat(dir); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("directory was created for a rejected checkpoint: %v", err)
	}
}

// TestOpenIndexErrors checks that each broken index gives an error naming the index and the
// tensor or field at fault.
func TestOpenIndexErrors(t *testing.T) {
	shard := "model-00001-of-00001.safetensors"
	tests := []struct {
		name  string
		index string
		shard []byte // content of the shard file; nil writes a valid one holding "a"
		want  []string
		is    error
	}{
		{"missing shard", `{"weight_map":{"a":"model-00009-of-00009.safetensors"}}`, nil,
			[]string{`tensor "a" is mapped to model-00009-of-00009.safetensors`, "cannot be opened"}, fs.ErrNotExist},
		{"tensor not in shard", `{"weight_map":{"a":"` + shard + `","b":"` + shard + `"}}`, nil,
			[]string{`tensor "b" is mapped to ` + shard + `, which does not hold it`}, ErrNotFound},
		{"corrupt shard", `{"weight_map":{"a":"` + shard + `"}}`, []byte("\x08\x00\x00\x00\x00\x00\x00\x00{}      trailing"),
			[]string{filepath.Join("DIR", shard) + ": file has 8 data bytes", "(shard listed in "}, ErrInvalid},
		{"path traversal", `{"weight_map":{"a":"../evil.safetensors"}}`, nil,
			[]string{`weight_map["a"] = "../evil.safetensors" is not a plain file name`}, ErrInvalid},
		{"duplicate name", `{"weight_map":{"a":"` + shard + `","a":"` + shard + `"}}`, nil,
			[]string{`weight_map lists tensor "a" twice`}, ErrInvalid},
		{"file not a string", `{"weight_map":{"a":1}}`, nil, []string{`weight_map["a"] must be a file name, found a number`}, ErrInvalid},
		{"no weight_map", `{"metadata":{"total_size":4}}`, nil, []string{"index has no weight_map"}, ErrInvalid},
		{"not JSON", `{"weight_map":`, nil, []string{"weight_map must be an object"}, ErrInvalid},
		{"trailing data", `{"weight_map":{}} x`, nil, []string{"trailing data"}, ErrInvalid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if tc.shard == nil {
				if err := WriteFile(filepath.Join(dir, shard), []Tensor{u8Tensor("a", 4, 0)}, nil); err != nil {
					t.Fatal(err)
				}
			} else if err := os.WriteFile(filepath.Join(dir, shard), tc.shard, 0o644); err != nil {
				t.Fatal(err)
			}
			indexPath := filepath.Join(dir, IndexFileName)
			if err := os.WriteFile(indexPath, []byte(tc.index), 0o644); err != nil {
				t.Fatal(err)
			}
			c, err := OpenDir(dir)
			if err == nil {
				c.Close()
				t.Fatal("OpenDir succeeded")
			}
			if !errors.Is(err, tc.is) {
				t.Errorf("error %q does not wrap %v", err, tc.is)
			}
			for _, w := range append([]string{indexPath}, tc.want...) {
				if w = strings.ReplaceAll(w, "DIR", dir); !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

func TestOpenVariants(t *testing.T) {
	dir := t.TempDir()
	if _, err := OpenDir(dir); !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), "neither") {
		t.Errorf("empty dir: %v", err)
	}
	if _, err := OpenDir(filepath.Join(dir, "nope")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing dir: %v", err)
	}
	ts := []Tensor{u8Tensor("a", 8, 0), u8Tensor("b", 8, 9)}
	if err := WriteDir(dir, ts, nil, 8); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{dir, filepath.Join(dir, IndexFileName), filepath.Join(dir, "model-00002-of-00002.safetensors")} {
		c, err := Open(p)
		if err != nil {
			t.Fatal(err)
		}
		if !c.Has("b") {
			t.Errorf("Open(%s) lacks b", p)
		}
		info, err := c.Info("b")
		if err != nil || info.Size() != 8 {
			t.Errorf("Info(b) = %+v, %v", info, err)
		}
		if err := c.Close(); err != nil {
			t.Error(err)
		}
	}
}

// TestWriteLazy checks that lazily produced tensors are fetched exactly once each and give the
// same files as in-memory ones, and that a failing or wrong-sized Bytes aborts the write
// without touching the previous checkpoint.
func TestWriteLazy(t *testing.T) {
	ts := []Tensor{u8Tensor("a", 30, 0), u8Tensor("b", 30, 1), u8Tensor("c", 30, 2)}
	calls := map[string]int{}
	lazy := func(fail string, short string) []LazyTensor {
		var out []LazyTensor
		for _, tn := range ts {
			out = append(out, LazyTensor{Name: tn.Name, DType: tn.DType, Shape: tn.Shape, Bytes: func() ([]byte, error) {
				calls[tn.Name]++
				switch tn.Name {
				case fail:
					return nil, errors.New("device fetch failed")
				case short:
					return tn.Data[:10], nil
				}
				return slices.Clone(tn.Data), nil
			}})
		}
		return out
	}
	eager, lz := t.TempDir(), t.TempDir()
	if err := WriteDir(eager, ts, map[string]string{"format": "pt"}, 60); err != nil {
		t.Fatal(err)
	}
	if err := WriteDirLazy(lz, lazy("", ""), map[string]string{"format": "pt"}, 60); err != nil {
		t.Fatal(err)
	}
	for name, n := range calls {
		if n != 1 {
			t.Errorf("Bytes of %q called %d times, want 1", name, n)
		}
	}
	for _, name := range []string{IndexFileName, ShardFileName(1, 2), ShardFileName(2, 2)} {
		a, _ := os.ReadFile(filepath.Join(eager, name))
		b, err := os.ReadFile(filepath.Join(lz, name))
		if err != nil || !bytes.Equal(a, b) {
			t.Errorf("%s differs between WriteDir and WriteDirLazy (%v)", name, err)
		}
	}
	before := dirEntries(t, lz)
	index, _ := os.ReadFile(filepath.Join(lz, IndexFileName))
	for _, tc := range []struct{ fail, short, want string }{
		{"c", "", `tensor "c": device fetch failed`},
		{"", "b", `tensor "b": U8 shape [30] needs 30 bytes but Bytes returned 10`},
	} {
		err := WriteDirLazy(lz, lazy(tc.fail, tc.short), nil, 40)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Fatalf("error = %v, want %q", err, tc.want)
		}
		if got := dirEntries(t, lz); !slices.Equal(got, before) {
			t.Errorf("failed write changed the directory: %v, was %v", got, before)
		}
		if now, _ := os.ReadFile(filepath.Join(lz, IndexFileName)); !bytes.Equal(now, index) {
			t.Error("failed write changed the index")
		}
		checkReads(t, lz, ts, true)
	}
	single := filepath.Join(t.TempDir(), "m.safetensors")
	if err := WriteFileLazy(single, lazy("a", ""), nil); err == nil || !strings.Contains(err.Error(), single) {
		t.Errorf("WriteFileLazy error = %v, want one naming the file", err)
	}
	if _, err := os.Stat(single); !errors.Is(err, fs.ErrNotExist) {
		t.Error("failed WriteFileLazy left a file")
	}
	if err := WriteFileLazy(single, []LazyTensor{{Name: "x", DType: U8, Shape: []int{1}}}, nil); !errors.Is(err, ErrInvalid) {
		t.Errorf("nil Bytes: %v", err)
	}
}

// TestConcurrentReads reads every tensor of a sharded checkpoint from several goroutines at once
// (run with -race to check the claim that reads may be concurrent).
func TestConcurrentReads(t *testing.T) {
	dir := t.TempDir()
	var ts []Tensor
	for i := range 16 {
		ts = append(ts, u8Tensor("t"+strconv.Itoa(i), 64+i, byte(i)))
	}
	if err := WriteDir(dir, ts, nil, 300); err != nil {
		t.Fatal(err)
	}
	c, err := OpenDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	errs := make(chan error, 8)
	for g := range 8 {
		go func() {
			for i := range ts {
				want := ts[(i+g)%len(ts)]
				got, err := c.Tensor(want.Name)
				if err == nil && !bytes.Equal(got.Data, want.Data) {
					err = errors.New("data differs for " + want.Name)
				}
				if err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for range 8 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}

// TestLazyFloat32s checks that deferred conversion writes the same bytes as FromFloat32s.
func TestLazyFloat32s(t *testing.T) {
	vals := []float32{0.1, -2, 3.5e-3, 65504, 1e30, 0}
	dir := t.TempDir()
	for _, dt := range []DType{F32, BF16, F16, F64} {
		eager, err := FromFloat32s("w", []int{2, 3}, vals, dt)
		if err != nil {
			t.Fatal(err)
		}
		lazy, err := LazyFloat32s("w", []int{2, 3}, vals, dt)
		if err != nil {
			t.Fatal(err)
		}
		a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
		if err := WriteFile(a, []Tensor{eager}, nil); err != nil {
			t.Fatal(err)
		}
		if err := WriteFileLazy(b, []LazyTensor{lazy}, nil); err != nil {
			t.Fatal(err)
		}
		ab, _ := os.ReadFile(a)
		bb, _ := os.ReadFile(b)
		if !bytes.Equal(ab, bb) {
			t.Errorf("%s: lazy and eager files differ", dt)
		}
	}
	if _, err := LazyFloat32s("w", []int{4}, vals, BF16); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "holds 4 elements but 6") {
		t.Errorf("count mismatch: %v", err)
	}
	if _, err := LazyFloat32s("w", []int{6}, vals, U8); !errors.Is(err, ErrInvalid) {
		t.Errorf("integer dtype: %v", err)
	}
}
