package safetensors

import (
	"bufio"
	"cmp"
	"encoding/binary"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"unicode/utf8"
)

// WriteFile writes ts and meta as a safetensors file at path, atomically: the bytes go to a
// temporary file in the same directory, which is fsynced and then renamed over path, so path
// holds either its old content or the complete new file. Tensors are validated first (known
// dtype, data length matching the shape, unique names); nothing is written when one is bad.
// The bytes are those the reference serializer produces for the same tensors (see Encode).
func WriteFile(path string, ts []Tensor, meta map[string]string) error {
	lazy, err := lazyAll(ts)
	if err != nil {
		return fmt.Errorf("safetensors: writing %s: %w", path, err)
	}
	return WriteFileLazy(path, lazy, meta)
}

// LazyTensor is a tensor whose bytes are produced only when the writer reaches it, so that a
// large checkpoint can be written holding one tensor's bytes in memory at a time (for example
// fetched from an accelerator and converted to BF16 on demand).
type LazyTensor struct {
	Name  string
	DType DType
	Shape []int
	// Bytes returns the tensor's little-endian data, exactly as many bytes as its dtype and shape
	// call for. The writer calls it once per file written, in file order, and keeps no reference.
	Bytes func() ([]byte, error)
}

// Lazy wraps an in-memory tensor as a LazyTensor.
func Lazy(t Tensor) LazyTensor {
	return LazyTensor{Name: t.Name, DType: t.DType, Shape: t.Shape, Bytes: func() ([]byte, error) { return t.Data, nil }}
}

// LazyFloat32s is FromFloat32s deferred: the returned tensor converts vals to dt (F32, BF16, F16
// or F64) only when the writer asks for its bytes, so a checkpoint of float32 weights can be
// written in BF16 with one converted tensor in memory at a time. vals must not change until the
// write is done.
func LazyFloat32s(name string, shape []int, vals []float32, dt DType) (LazyTensor, error) {
	n, err := numElements(shape)
	if err != nil {
		return LazyTensor{}, fmt.Errorf("tensor %q: %w", name, err)
	}
	if n != int64(len(vals)) {
		return LazyTensor{}, fmt.Errorf("tensor %q: shape %v holds %d elements but %d values were given: %w",
			name, shape, n, len(vals), ErrInvalid)
	}
	if !isFloat(dt) {
		return LazyTensor{}, fmt.Errorf("tensor %q: dtype %q cannot be written from float32 (only F32, BF16, F16, F64): %w",
			name, string(dt), ErrInvalid)
	}
	shape = append([]int(nil), shape...)
	return LazyTensor{Name: name, DType: dt, Shape: shape, Bytes: func() ([]byte, error) {
		data := make([]byte, len(vals)*dt.Size())
		if err := EncodeFloat32s(data, dt, vals); err != nil {
			return nil, err
		}
		return data, nil
	}}, nil
}

// lazyAll validates in-memory tensors and wraps them.
func lazyAll(ts []Tensor) ([]LazyTensor, error) {
	out := make([]LazyTensor, len(ts))
	for i, t := range ts {
		if err := t.Validate(); err != nil {
			return nil, err
		}
		out[i] = Lazy(t)
	}
	return out, nil
}

// WriteFileLazy is WriteFile for tensors whose bytes are produced on demand. Names, dtypes and
// shapes are validated before anything is written; a Bytes function that fails or returns the
// wrong number of bytes aborts the write, leaving path untouched.
func WriteFileLazy(path string, ts []LazyTensor, meta map[string]string) error {
	enc, err := newEncoding(ts, meta)
	if err != nil {
		return fmt.Errorf("safetensors: writing %s: %w", path, err)
	}
	tmp, err := writeTemp(path, enc.writeTo)
	if err != nil {
		return fmt.Errorf("safetensors: writing %s: %w", path, err)
	}
	if err := commitTemp(tmp, path); err != nil {
		return fmt.Errorf("safetensors: writing %s: %w", path, err)
	}
	return nil
}

// Encode writes ts and meta in the safetensors format to w. Tensors are laid out as the Rust
// reference serializer lays them out: sorted by descending dtype (U64, I64, F64, C64, F32, U32,
// I32, BF16, F16, ... BOOL, which keeps every tensor aligned to its element width), then by name;
// the header is compact JSON with __metadata__ (keys sorted) first and is padded with spaces to
// a multiple of 8 bytes. An empty or nil meta writes no __metadata__ entry.
func Encode(w io.Writer, ts []Tensor, meta map[string]string) error {
	lazy, err := lazyAll(ts)
	if err != nil {
		return fmt.Errorf("safetensors: %w", err)
	}
	enc, err := newEncoding(lazy, meta)
	if err != nil {
		return fmt.Errorf("safetensors: %w", err)
	}
	return enc.writeTo(w)
}

// encoding is a validated, ordered set of tensors and its serialized header.
type encoding struct {
	header  []byte       // 8-byte length + padded JSON
	tensors []LazyTensor // in file order
	sizes   []int64      // byte size of each tensor
}

// newEncoding validates names, dtypes and shapes, orders the tensors as the reference does and
// builds the header.
func newEncoding(ts []LazyTensor, meta map[string]string) (*encoding, error) {
	seen := make(map[string]bool, len(ts))
	for _, t := range ts {
		if !t.DType.Valid() {
			return nil, fmt.Errorf("tensor %q: unknown dtype %q: %w", t.Name, string(t.DType), ErrInvalid)
		}
		if _, err := byteSize(t.DType, t.Shape); err != nil {
			return nil, fmt.Errorf("tensor %q: %w", t.Name, err)
		}
		if t.Bytes == nil {
			return nil, fmt.Errorf("tensor %q: no Bytes function: %w", t.Name, ErrInvalid)
		}
		if t.Name == metadataKey {
			return nil, fmt.Errorf("tensor name %q is reserved for the metadata map: %w", t.Name, ErrInvalid)
		}
		if !utf8.ValidString(t.Name) {
			return nil, fmt.Errorf("tensor name %q is not valid UTF-8: %w", t.Name, ErrInvalid)
		}
		if seen[t.Name] {
			return nil, fmt.Errorf("tensor %q appears twice: %w", t.Name, ErrInvalid)
		}
		seen[t.Name] = true
	}
	for k, v := range meta {
		if !utf8.ValidString(k) || !utf8.ValidString(v) {
			return nil, fmt.Errorf("metadata %q: keys and values must be valid UTF-8: %w", k, ErrInvalid)
		}
	}
	sorted := slices.Clone(ts)
	slices.SortStableFunc(sorted, func(a, b LazyTensor) int {
		if c := cmp.Compare(b.DType.rank(), a.DType.rank()); c != 0 {
			return c
		}
		return cmp.Compare(a.Name, b.Name)
	})

	sizes := make([]int64, len(sorted))
	js := make([]byte, 0, 64+96*len(sorted))
	js = append(js, '{')
	if len(meta) > 0 {
		js = appendJSONString(js, metadataKey)
		js = append(js, ":{"...)
		for i, k := range slices.Sorted(maps.Keys(meta)) {
			if i > 0 {
				js = append(js, ',')
			}
			js = appendJSONString(js, k)
			js = append(js, ':')
			js = appendJSONString(js, meta[k])
		}
		js = append(js, '}')
	}
	var offset int64
	for i, t := range sorted {
		sizes[i], _ = byteSize(t.DType, t.Shape) // validated above
		if i > 0 || len(meta) > 0 {
			js = append(js, ',')
		}
		js = appendJSONString(js, t.Name)
		js = append(js, `:{"dtype":`...)
		js = appendJSONString(js, string(t.DType))
		js = append(js, `,"shape":[`...)
		for j, d := range t.Shape {
			if j > 0 {
				js = append(js, ',')
			}
			js = strconv.AppendInt(js, int64(d), 10)
		}
		js = append(js, `],"data_offsets":[`...)
		js = strconv.AppendInt(js, offset, 10)
		js = append(js, ',')
		offset += sizes[i]
		js = strconv.AppendInt(js, offset, 10)
		js = append(js, "]}"...)
	}
	js = append(js, '}')
	for len(js)%8 != 0 {
		js = append(js, ' ')
	}
	if len(js) > MaxHeaderSize {
		return nil, fmt.Errorf("header would be %d bytes, above the %d-byte limit readers accept: %w", len(js), MaxHeaderSize, ErrInvalid)
	}
	hdr := make([]byte, 8, 8+len(js))
	binary.LittleEndian.PutUint64(hdr, uint64(len(js)))
	return &encoding{header: append(hdr, js...), tensors: sorted, sizes: sizes}, nil
}

// writeTo writes the header, then each tensor's bytes as its Bytes function produces them.
func (e *encoding) writeTo(w io.Writer) error {
	if _, err := w.Write(e.header); err != nil {
		return err
	}
	for i, t := range e.tensors {
		data, err := t.Bytes()
		if err != nil {
			return fmt.Errorf("tensor %q: %w", t.Name, err)
		}
		if int64(len(data)) != e.sizes[i] {
			return fmt.Errorf("tensor %q: %s shape %v needs %d bytes but Bytes returned %d: %w",
				t.Name, t.DType, t.Shape, e.sizes[i], len(data), ErrInvalid)
		}
		if _, err := w.Write(data); err != nil {
			return err
		}
	}
	return nil
}

// appendJSONString appends s as a JSON string escaped exactly as serde_json escapes it:
// quote, backslash and the control characters below U+0020 (\b \f \n \r \t or \u00xx with
// lower-case hex); everything else, including non-ASCII, is written as is.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"':
			b = append(b, '\\', '"')
		case c == '\\':
			b = append(b, '\\', '\\')
		case c == '\b':
			b = append(b, '\\', 'b')
		case c == '\f':
			b = append(b, '\\', 'f')
		case c == '\n':
			b = append(b, '\\', 'n')
		case c == '\r':
			b = append(b, '\\', 'r')
		case c == '\t':
			b = append(b, '\\', 't')
		case c < 0x20:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}

// writeTemp creates a temporary file next to path, fills it with write through a buffer,
// fsyncs and closes it, and returns its name. On error nothing is left behind.
func writeTemp(path string, write func(io.Writer) error) (tmpName string, err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return "", err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	bw := bufio.NewWriterSize(f, 1<<20)
	if err = write(bw); err != nil {
		return "", err
	}
	if err = bw.Flush(); err != nil {
		return "", err
	}
	if err = f.Chmod(0o644); err != nil {
		return "", err
	}
	if err = f.Sync(); err != nil {
		return "", err
	}
	if err = f.Close(); err != nil {
		return "", err
	}
	return f.Name(), nil
}

// commitTemp renames the finished temporary file over path and fsyncs the directory so the
// rename survives a crash. On error the temporary file is removed.
func commitTemp(tmp, path string) error {
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return err
	}
	return syncDir(filepath.Dir(path))
}

// syncDir fsyncs a directory, making renames and removals in it durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("syncing directory %s: %w", dir, err)
	}
	return nil
}
