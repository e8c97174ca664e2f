// Package safetensors reads and writes the safetensors tensor file format of Hugging Face,
// single files and sharded checkpoints (model.safetensors.index.json), in pure Go.
//
// A file is an 8-byte little-endian header length N, N bytes of JSON header
//
//	{"__metadata__":{"format":"pt"},"name":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]},...}
//
// padded with spaces to a multiple of 8 bytes, then the data buffer: every tensor's bytes,
// little-endian, row-major, back to back.
//
// Reading parses and validates the header only (the reference crate's rules plus duplicate
// keys); tensor data is read on demand with ReadAt, so a File costs its header, not its size.
// Writing produces the same bytes as the reference serializer (safetensors.torch.save_file):
// tensors sorted by dtype in the reference's order (widest first, which keeps every tensor
// aligned) then by name, the same compact JSON, space padding. Files are written atomically
// (temp file in the same directory, fsync, rename). LazyTensor, WriteFileLazy and WriteDirLazy
// write a checkpoint while holding one tensor's bytes at a time.
//
// Every error about malformed input wraps ErrInvalid and names the file and, where there is
// one, the tensor; asking for an absent tensor wraps ErrNotFound.
package safetensors

import (
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"unsafe"
)

// ErrInvalid is wrapped by every error that reports malformed safetensors data or an
// impossible request (unknown dtype, shape not matching the data, ...).
var ErrInvalid = errors.New("invalid safetensors data")

// ErrNotFound is wrapped by the error for a tensor name that a file or checkpoint lacks.
var ErrNotFound = errors.New("tensor not found")

// File is an open safetensors file whose header has been parsed and validated. Tensor data is
// read lazily, by name. Its read methods may be called from several goroutines at once; Close
// must not race with them.
type File struct {
	path   string
	r      io.ReaderAt
	closer io.Closer
	h      *header
}

// ReadFile opens the safetensors file at path and validates its header; tensor data stays on
// disk until asked for. Close the File when done.
func ReadFile(path string) (*File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("safetensors: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("safetensors: %w", err)
	}
	if !st.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("safetensors: %s: not a regular file: %w", path, ErrInvalid)
	}
	sf, err := NewReader(f, st.Size(), path)
	if err != nil {
		f.Close()
		return nil, err
	}
	sf.closer = f
	return sf, nil
}

// NewReader parses and validates the safetensors header of r, which holds size bytes; name
// labels errors (usually the file's path). Close on the result does not close r.
func NewReader(r io.ReaderAt, size int64, name string) (*File, error) {
	h, err := parseHeader(r, size)
	if err != nil {
		return nil, fmt.Errorf("safetensors: %s: %w", name, err)
	}
	return &File{path: name, r: r, h: h}, nil
}

// Path returns the path (or name) the File was opened with.
func (f *File) Path() string { return f.path }

// Names returns the tensor names in file order (increasing data offset).
func (f *File) Names() []string {
	names := make([]string, len(f.h.infos))
	for i, in := range f.h.infos {
		names[i] = in.Name
	}
	return names
}

// Len returns the number of tensors in the file.
func (f *File) Len() int { return len(f.h.infos) }

// Has reports whether the file holds a tensor with this name.
func (f *File) Has(name string) bool {
	_, ok := f.h.index[name]
	return ok
}

// Info returns the dtype, shape and data offsets of the named tensor without reading its data.
func (f *File) Info(name string) (Info, error) {
	i, ok := f.h.index[name]
	if !ok {
		return Info{}, fmt.Errorf("safetensors: %s: tensor %q: %w", f.path, name, ErrNotFound)
	}
	in := f.h.infos[i]
	in.Shape = append([]int(nil), in.Shape...)
	return in, nil
}

// Infos returns the description of every tensor, in file order.
func (f *File) Infos() []Info {
	out := make([]Info, len(f.h.infos))
	for i, in := range f.h.infos {
		in.Shape = append([]int(nil), in.Shape...)
		out[i] = in
	}
	return out
}

// DataOffset returns the absolute file offset of the data buffer (8 + header length); the
// named tensor's bytes are [DataOffset()+Begin, DataOffset()+End) of the file.
func (f *File) DataOffset() int64 { return f.h.dataStart }

// Metadata returns a copy of the header's __metadata__ map (nil when the file has none).
func (f *File) Metadata() map[string]string {
	if f.h.meta == nil {
		return nil
	}
	return maps.Clone(f.h.meta)
}

// Tensor reads the named tensor's data into a new buffer.
func (f *File) Tensor(name string) (Tensor, error) {
	in, err := f.Info(name)
	if err != nil {
		return Tensor{}, err
	}
	data := make([]byte, in.Size())
	if err := f.readData(in, data); err != nil {
		return Tensor{}, err
	}
	return Tensor{Name: name, DType: in.DType, Shape: in.Shape, Data: data}, nil
}

// ReadData reads the named tensor's bytes into dst, which must be exactly Info(name).Size()
// bytes long; it lets callers reuse buffers.
func (f *File) ReadData(name string, dst []byte) error {
	in, err := f.Info(name)
	if err != nil {
		return err
	}
	if int64(len(dst)) != in.Size() {
		return fmt.Errorf("safetensors: %s: tensor %q has %d bytes, destination holds %d: %w",
			f.path, name, in.Size(), len(dst), ErrInvalid)
	}
	return f.readData(in, dst)
}

// Float32s reads the named tensor and converts it to float32 (see Tensor.Float32s).
func (f *File) Float32s(name string) ([]float32, error) {
	t, err := f.Tensor(name)
	if err != nil {
		return nil, err
	}
	vals, err := t.Float32s()
	if err != nil {
		return nil, fmt.Errorf("safetensors: %s: %w", f.path, err)
	}
	return vals, nil
}

// readChunk is the size of the staging buffer ReadFloat32s converts through.
var readChunk = 1 << 20

// ReadFloat32s reads the named tensor (F32, BF16, F16 or F64) into dst, converting as
// Tensor.Float32s does; dst must hold exactly the tensor's element count. F32 data is read
// straight into dst; the other dtypes pass through a 1 MiB staging buffer, so no copy of the
// whole tensor is ever held.
func (f *File) ReadFloat32s(name string, dst []float32) error {
	in, err := f.Info(name)
	if err != nil {
		return err
	}
	if !isFloat(in.DType) {
		return fmt.Errorf("safetensors: %s: tensor %q: dtype %s cannot be read as float32 (only F32, BF16, F16, F64): %w",
			f.path, name, in.DType, ErrInvalid)
	}
	size := int64(in.DType.Size())
	if int64(len(dst))*size != in.Size() {
		return fmt.Errorf("safetensors: %s: tensor %q has %d elements, destination holds %d: %w",
			f.path, name, in.Size()/size, len(dst), ErrInvalid)
	}
	if len(dst) == 0 {
		return nil
	}
	if in.DType == F32 && nativeLittleEndian {
		return f.readData(in, unsafe.Slice((*byte)(unsafe.Pointer(&dst[0])), in.Size()))
	}
	per := max(readChunk/int(size), 1) // elements per chunk
	buf := make([]byte, min(int64(per), int64(len(dst)))*size)
	for start := 0; start < len(dst); start += per {
		n := min(per, len(dst)-start)
		part := Info{Name: name, Begin: in.Begin + int64(start)*size, End: in.Begin + int64(start+n)*size}
		chunk := buf[:int64(n)*size]
		if err := f.readData(part, chunk); err != nil {
			return err
		}
		if err := DecodeFloat32s(dst[start:start+n], in.DType, chunk); err != nil {
			return fmt.Errorf("safetensors: %s: tensor %q: %w", f.path, name, err)
		}
	}
	return nil
}

// Tensors reads every tensor, in file order.
func (f *File) Tensors() ([]Tensor, error) {
	out := make([]Tensor, 0, len(f.h.infos))
	for _, in := range f.h.infos {
		t, err := f.Tensor(in.Name)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, nil
}

func (f *File) readData(in Info, dst []byte) error {
	if f.r == nil {
		return fmt.Errorf("safetensors: %s: file is closed", f.path)
	}
	err := readFullAt(f.r, dst, f.h.dataStart+in.Begin)
	if err == nil {
		return nil
	}
	return fmt.Errorf("safetensors: %s: tensor %q: reading %d bytes at offset %d (file changed since it was opened?): %w",
		f.path, in.Name, len(dst), f.h.dataStart+in.Begin, err)
}

// Close releases the underlying file (if ReadFile opened it). Reading after Close is an error.
func (f *File) Close() error {
	f.r = nil
	if f.closer == nil {
		return nil
	}
	c := f.closer
	f.closer = nil
	if err := c.Close(); err != nil {
		return fmt.Errorf("safetensors: closing %s: %w", f.path, err)
	}
	return nil
}
