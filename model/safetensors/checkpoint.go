package safetensors

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// File names of a Hugging Face checkpoint directory.
const (
	SingleFileName = "model.safetensors"            // the whole checkpoint in one file
	IndexFileName  = "model.safetensors.index.json" // the index of a sharded checkpoint
)

// ShardFileName returns the name of shard i (1-based) of n, as transformers names it:
// model-00001-of-00003.safetensors.
func ShardFileName(i, n int) string {
	return fmt.Sprintf("model-%05d-of-%05d.safetensors", i, n)
}

// Checkpoint is a set of named tensors stored as one safetensors file or as shards listed by a
// model.safetensors.index.json. All files are opened and their headers validated up front;
// tensor data is read on demand.
type Checkpoint struct {
	dir   string
	index string // path of the index file; "" for a single-file checkpoint
	files []*File
	names []string
	where map[string]*File
}

// OpenDir opens the checkpoint in dir: model.safetensors when present (transformers gives it
// precedence), else model.safetensors.index.json and the shards it names. Every shard the index
// names must exist and hold the tensors the index maps to it.
func OpenDir(dir string) (*Checkpoint, error) {
	single := filepath.Join(dir, SingleFileName)
	if st, err := os.Stat(single); err == nil && st.Mode().IsRegular() {
		return openSingle(single)
	}
	index := filepath.Join(dir, IndexFileName)
	if _, err := os.Stat(index); err == nil {
		return OpenIndex(index)
	}
	if _, err := os.Stat(dir); err != nil {
		return nil, fmt.Errorf("safetensors: checkpoint directory: %w", err)
	}
	return nil, fmt.Errorf("safetensors: %s holds neither %s nor %s: %w", dir, SingleFileName, IndexFileName, fs.ErrNotExist)
}

// Open opens a checkpoint given a directory (see OpenDir), an index file (*.index.json) or a
// single .safetensors file.
func Open(path string) (*Checkpoint, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("safetensors: %w", err)
	}
	switch {
	case st.IsDir():
		return OpenDir(path)
	case strings.HasSuffix(path, ".json"):
		return OpenIndex(path)
	default:
		return openSingle(path)
	}
}

func openSingle(path string) (*Checkpoint, error) {
	f, err := ReadFile(path)
	if err != nil {
		return nil, err
	}
	c := &Checkpoint{dir: filepath.Dir(path), files: []*File{f}, names: f.Names(), where: map[string]*File{}}
	for _, n := range c.names {
		c.where[n] = f
	}
	return c, nil
}

// OpenIndex opens a sharded checkpoint from its index file; shard names are resolved in the
// index's directory and must be plain file names (no directories).
func OpenIndex(indexPath string) (*Checkpoint, error) {
	raw, err := os.ReadFile(indexPath)
	if err != nil {
		return nil, fmt.Errorf("safetensors: %w", err)
	}
	entries, err := parseIndex(raw)
	if err != nil {
		return nil, fmt.Errorf("safetensors: %s: %w", indexPath, err)
	}
	dir := filepath.Dir(indexPath)
	c := &Checkpoint{dir: dir, index: indexPath, where: make(map[string]*File, len(entries))}
	byName := map[string]*File{}
	for _, e := range entries {
		f, ok := byName[e.file]
		if !ok {
			path := filepath.Join(dir, e.file)
			if _, err := os.Stat(path); err != nil {
				c.Close()
				return nil, fmt.Errorf("safetensors: %s: tensor %q is mapped to %s, which cannot be opened: %w",
					indexPath, e.tensor, e.file, err)
			}
			if f, err = ReadFile(path); err != nil {
				c.Close()
				return nil, fmt.Errorf("%w (shard listed in %s)", err, indexPath)
			}
			byName[e.file] = f
			c.files = append(c.files, f)
		}
		if !f.Has(e.tensor) {
			c.Close()
			return nil, fmt.Errorf("safetensors: %s: tensor %q is mapped to %s, which does not hold it: %w",
				indexPath, e.tensor, e.file, ErrNotFound)
		}
		c.where[e.tensor] = f
		c.names = append(c.names, e.tensor)
	}
	return c, nil
}

// indexEntry is one weight_map entry, in index order.
type indexEntry struct{ tensor, file string }

// parseIndex reads {"metadata":{...},"weight_map":{"name":"file",...}} keeping weight_map order
// and rejecting duplicate names and shard names that are not plain file names.
func parseIndex(raw []byte) ([]indexEntry, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := expectDelim(dec, '{'); err != nil {
		return nil, fmt.Errorf("index is not a JSON object: %w", err)
	}
	var entries []indexEntry
	haveMap := false
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("index is not valid JSON: %v: %w", err, ErrInvalid)
		}
		key := tok.(string)
		if key != "weight_map" {
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return nil, fmt.Errorf("index field %q: not valid JSON: %v: %w", key, err, ErrInvalid)
			}
			continue
		}
		if haveMap {
			return nil, fmt.Errorf("index has weight_map twice: %w", ErrInvalid)
		}
		haveMap = true
		if err := expectDelim(dec, '{'); err != nil {
			return nil, fmt.Errorf("weight_map must be an object: %w", err)
		}
		seen := map[string]bool{}
		for dec.More() {
			tok, err := dec.Token()
			if err != nil {
				return nil, fmt.Errorf("weight_map is not valid JSON: %v: %w", err, ErrInvalid)
			}
			name := tok.(string)
			var v any
			if err := dec.Decode(&v); err != nil {
				return nil, fmt.Errorf("weight_map[%q]: not valid JSON: %v: %w", name, err, ErrInvalid)
			}
			file, ok := v.(string)
			if !ok {
				return nil, fmt.Errorf("weight_map[%q] must be a file name, found %s: %w", name, jsonKind(v), ErrInvalid)
			}
			if !plainFileName(file) {
				return nil, fmt.Errorf("weight_map[%q] = %q is not a plain file name in the checkpoint directory: %w", name, file, ErrInvalid)
			}
			if seen[name] {
				return nil, fmt.Errorf("weight_map lists tensor %q twice: %w", name, ErrInvalid)
			}
			seen[name] = true
			entries = append(entries, indexEntry{name, file})
		}
		if err := expectDelim(dec, '}'); err != nil {
			return nil, fmt.Errorf("weight_map is not valid JSON: %w", err)
		}
	}
	if err := expectDelim(dec, '}'); err != nil {
		return nil, fmt.Errorf("index is not valid JSON: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("index has trailing data after its JSON object: %w", ErrInvalid)
	}
	if !haveMap {
		return nil, fmt.Errorf("index has no weight_map: %w", ErrInvalid)
	}
	return entries, nil
}

// plainFileName reports whether name is a bare file name: no directory part, not . or ..
func plainFileName(name string) bool {
	return name != "" && name != "." && name != ".." && !strings.ContainsAny(name, `/\`) && !filepath.IsAbs(name)
}

// Dir returns the directory the checkpoint was opened from.
func (c *Checkpoint) Dir() string { return c.dir }

// Sharded reports whether the checkpoint was opened from an index file.
func (c *Checkpoint) Sharded() bool { return c.index != "" }

// Names returns the tensor names: file order for a single file, weight_map order for an index.
func (c *Checkpoint) Names() []string { return append([]string(nil), c.names...) }

// Has reports whether the checkpoint holds the named tensor.
func (c *Checkpoint) Has(name string) bool {
	_, ok := c.where[name]
	return ok
}

// Files returns the paths of the safetensors files, in the order they were opened.
func (c *Checkpoint) Files() []string {
	out := make([]string, len(c.files))
	for i, f := range c.files {
		out[i] = f.Path()
	}
	return out
}

// Metadata returns the __metadata__ map of the first file (transformers writes the same map,
// {"format":"pt"}, into every shard).
func (c *Checkpoint) Metadata() map[string]string {
	if len(c.files) == 0 {
		return nil
	}
	return c.files[0].Metadata()
}

func (c *Checkpoint) file(name string) (*File, error) {
	f, ok := c.where[name]
	if !ok {
		where := c.dir
		if c.index != "" {
			where = c.index
		} else if len(c.files) == 1 {
			where = c.files[0].Path()
		}
		return nil, fmt.Errorf("safetensors: %s: tensor %q: %w", where, name, ErrNotFound)
	}
	return f, nil
}

// Info returns the dtype, shape and offsets of the named tensor without reading its data.
func (c *Checkpoint) Info(name string) (Info, error) {
	f, err := c.file(name)
	if err != nil {
		return Info{}, err
	}
	return f.Info(name)
}

// Tensor reads the named tensor from whichever file holds it.
func (c *Checkpoint) Tensor(name string) (Tensor, error) {
	f, err := c.file(name)
	if err != nil {
		return Tensor{}, err
	}
	return f.Tensor(name)
}

// Float32s reads the named tensor and converts it to float32 (see Tensor.Float32s).
func (c *Checkpoint) Float32s(name string) ([]float32, error) {
	f, err := c.file(name)
	if err != nil {
		return nil, err
	}
	return f.Float32s(name)
}

// ReadFloat32s reads the named float tensor into dst without an intermediate copy of the whole
// tensor (see File.ReadFloat32s).
func (c *Checkpoint) ReadFloat32s(name string, dst []float32) error {
	f, err := c.file(name)
	if err != nil {
		return err
	}
	return f.ReadFloat32s(name, dst)
}

// Close closes every file of the checkpoint.
func (c *Checkpoint) Close() error {
	var errs []error
	for _, f := range c.files {
		errs = append(errs, f.Close())
	}
	return errors.Join(errs...)
}

// WriteDir writes ts as a Hugging Face checkpoint in dir (created if needed). When
// maxShardBytes <= 0 or the tensor data fits in maxShardBytes, it writes one model.safetensors;
// otherwise it splits the tensors, in the given order, into shards of at most maxShardBytes of
// tensor data (a larger tensor gets a shard of its own), named model-00001-of-0000N.safetensors,
// and writes model.safetensors.index.json ({"metadata":{"total_size":..},"weight_map":{..}}).
// meta goes into the __metadata__ of every file.
//
// Each file is written atomically; all shards are complete and fsynced before the first is
// renamed into place, and the index is renamed last. Files of a previous checkpoint in dir that
// the new one does not use (a stale model.safetensors, which transformers would load in
// preference to an index, or shards listed by the old index) are removed afterwards. For a
// checkpoint that is either entirely old or entirely new after a crash, write into a fresh
// directory and rename it.
func WriteDir(dir string, ts []Tensor, meta map[string]string, maxShardBytes int64) error {
	lazy, err := lazyAll(ts)
	if err != nil {
		return fmt.Errorf("safetensors: writing %s: %w", dir, err)
	}
	return WriteDirLazy(dir, lazy, meta, maxShardBytes)
}

// WriteDirLazy is WriteDir for tensors whose bytes are produced on demand (see LazyTensor):
// at most one tensor's bytes are held at a time.
func WriteDirLazy(dir string, ts []LazyTensor, meta map[string]string, maxShardBytes int64) error {
	if _, err := newEncoding(ts, meta); err != nil { // validate everything before touching dir
		return fmt.Errorf("safetensors: writing %s: %w", dir, err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("safetensors: %w", err)
	}
	stale := previousFiles(dir)
	shards := planShards(ts, maxShardBytes)
	if len(shards) <= 1 {
		if err := WriteFileLazy(filepath.Join(dir, SingleFileName), ts, meta); err != nil {
			return err
		}
		delete(stale, SingleFileName)
		return removeStale(dir, stale)
	}

	n := len(shards)
	names := make([]string, n)
	temps := make([]string, 0, n+1)
	cleanup := func() {
		for _, t := range temps {
			if t != "" {
				os.Remove(t)
			}
		}
	}
	weightMap := map[string]string{}
	var total int64
	for i, shard := range shards {
		names[i] = ShardFileName(i+1, n)
		path := filepath.Join(dir, names[i])
		enc, err := newEncoding(shard, meta)
		if err != nil {
			cleanup()
			return fmt.Errorf("safetensors: writing %s: %w", path, err)
		}
		tmp, err := writeTemp(path, enc.writeTo)
		if err != nil {
			cleanup()
			return fmt.Errorf("safetensors: writing %s: %w", path, err)
		}
		temps = append(temps, tmp)
		for j, t := range enc.tensors {
			weightMap[t.Name] = names[i]
			total += enc.sizes[j]
		}
	}
	var idx bytes.Buffer
	je := json.NewEncoder(&idx)
	je.SetEscapeHTML(false)
	je.SetIndent("", "  ")
	type indexMeta struct {
		TotalSize int64 `json:"total_size"`
	}
	if err := je.Encode(struct {
		Metadata  indexMeta         `json:"metadata"`
		WeightMap map[string]string `json:"weight_map"`
	}{indexMeta{total}, weightMap}); err != nil {
		cleanup()
		return fmt.Errorf("safetensors: encoding index: %w", err)
	}
	indexPath := filepath.Join(dir, IndexFileName)
	idxTmp, err := writeTemp(indexPath, func(w io.Writer) error { _, err := w.Write(idx.Bytes()); return err })
	if err != nil {
		cleanup()
		return fmt.Errorf("safetensors: writing %s: %w", indexPath, err)
	}
	temps = append(temps, idxTmp)
	for i := range n {
		if err := os.Rename(temps[i], filepath.Join(dir, names[i])); err != nil {
			cleanup()
			return fmt.Errorf("safetensors: writing %s: %w", filepath.Join(dir, names[i]), err)
		}
		temps[i] = ""
	}
	if err := syncDir(dir); err != nil {
		cleanup()
		return fmt.Errorf("safetensors: %w", err)
	}
	if err := commitTemp(idxTmp, indexPath); err != nil {
		return fmt.Errorf("safetensors: writing %s: %w", indexPath, err)
	}
	delete(stale, IndexFileName)
	for _, name := range names {
		delete(stale, name)
	}
	return removeStale(dir, stale)
}

// planShards splits ts, in order, into groups of at most maxBytes of data each (a tensor larger
// than maxBytes alone); a single group when maxBytes <= 0. Sizes were validated by the caller.
func planShards(ts []LazyTensor, maxBytes int64) [][]LazyTensor {
	if maxBytes <= 0 {
		return [][]LazyTensor{ts}
	}
	var shards [][]LazyTensor
	var cur []LazyTensor
	var curBytes int64
	for _, t := range ts {
		size, _ := byteSize(t.DType, t.Shape)
		if len(cur) > 0 && curBytes+size > maxBytes {
			shards = append(shards, cur)
			cur, curBytes = nil, 0
		}
		cur = append(cur, t)
		curBytes += size
	}
	if len(cur) > 0 || len(shards) == 0 {
		shards = append(shards, cur)
	}
	return shards
}

// previousFiles lists the checkpoint files already in dir: model.safetensors, the index, and the
// shards the index names (read leniently; an unreadable index only stops its shards from being
// listed).
func previousFiles(dir string) map[string]bool {
	old := map[string]bool{}
	for _, name := range []string{SingleFileName, IndexFileName} {
		if _, err := os.Lstat(filepath.Join(dir, name)); err == nil {
			old[name] = true
		}
	}
	if old[IndexFileName] {
		if raw, err := os.ReadFile(filepath.Join(dir, IndexFileName)); err == nil {
			if entries, err := parseIndex(raw); err == nil {
				for _, e := range entries {
					if strings.HasSuffix(e.file, ".safetensors") { // never delete what is not a shard
						old[e.file] = true
					}
				}
			}
		}
	}
	return old
}

// removeStale deletes the named files from dir; the index goes first so that no index ever
// points at a removed shard.
func removeStale(dir string, stale map[string]bool) error {
	if len(stale) == 0 {
		return nil
	}
	var errs []error
	if stale[IndexFileName] {
		if err := os.Remove(filepath.Join(dir, IndexFileName)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(stale)) {
		if name == IndexFileName {
			continue
		}
		if err := os.Remove(filepath.Join(dir, name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	if err := syncDir(dir); err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("safetensors: removing files of the previous checkpoint in %s: %w", dir, err)
	}
	return nil
}
