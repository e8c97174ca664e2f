package safetensors

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/bits"
	"sync"
	"unsafe"

	"github.com/x448/float16"
)

// Tensor is one named tensor: its dtype, its shape (row-major, outermost first; empty for a
// scalar) and its raw little-endian bytes.
type Tensor struct {
	Name  string
	DType DType
	Shape []int
	Data  []byte
}

// NumElements returns the product of t's shape (1 for a scalar), or an error when a dimension
// is negative or the product overflows.
func (t Tensor) NumElements() (int64, error) {
	return numElements(t.Shape)
}

// Validate checks that t's dtype is known, its shape has no negative dimension, and Data holds
// exactly the bytes its dtype and shape call for.
func (t Tensor) Validate() error {
	if !t.DType.Valid() {
		return fmt.Errorf("tensor %q: unknown dtype %q: %w", t.Name, string(t.DType), ErrInvalid)
	}
	want, err := byteSize(t.DType, t.Shape)
	if err != nil {
		return fmt.Errorf("tensor %q: %w", t.Name, err)
	}
	if int64(len(t.Data)) != want {
		return fmt.Errorf("tensor %q: %s shape %v needs %d bytes but Data holds %d: %w",
			t.Name, t.DType, t.Shape, want, len(t.Data), ErrInvalid)
	}
	return nil
}

// numElements multiplies the dimensions of shape, rejecting negative dimensions and products
// that do not fit in an int64.
func numElements(shape []int) (int64, error) {
	n := uint64(1)
	for _, d := range shape {
		if d < 0 {
			return 0, fmt.Errorf("shape %v has a negative dimension: %w", shape, ErrInvalid)
		}
		hi, lo := bits.Mul64(n, uint64(d))
		if hi != 0 || lo > math.MaxInt64 {
			return 0, fmt.Errorf("shape %v: element count overflows: %w", shape, ErrInvalid)
		}
		n = lo
	}
	return int64(n), nil
}

// byteSize is the number of data bytes a tensor of dtype dt and the given shape occupies.
func byteSize(dt DType, shape []int) (int64, error) {
	n, err := numElements(shape)
	if err != nil {
		return 0, err
	}
	hi, nbits := bits.Mul64(uint64(n), uint64(dt.Bits()))
	if hi != 0 || nbits > math.MaxInt64 {
		return 0, fmt.Errorf("%s shape %v: byte size overflows: %w", dt, shape, ErrInvalid)
	}
	if nbits%8 != 0 {
		return 0, fmt.Errorf("%s shape %v: %d elements of %d bits do not fill whole bytes: %w",
			dt, shape, n, dt.Bits(), ErrInvalid)
	}
	return int64(nbits / 8), nil
}

// Float32s decodes t's data as float32 values. F32 is copied exactly; BF16 and F16 widen
// exactly (NaN stays NaN); F64 rounds to the nearest float32. Other dtypes are an error.
func (t Tensor) Float32s() ([]float32, error) {
	if err := t.Validate(); err != nil {
		return nil, err
	}
	out := make([]float32, len(t.Data)/max(t.DType.Size(), 1))
	if err := DecodeFloat32s(out, t.DType, t.Data); err != nil {
		return nil, fmt.Errorf("tensor %q: %w", t.Name, err)
	}
	return out, nil
}

// DecodeFloat32s decodes src, the little-endian bytes of len(dst) elements of dtype dt
// (F32, BF16, F16 or F64), into dst.
func DecodeFloat32s(dst []float32, dt DType, src []byte) error {
	if !isFloat(dt) {
		return fmt.Errorf("dtype %s cannot be read as float32 (only F32, BF16, F16, F64): %w", dt, ErrInvalid)
	}
	if len(src) != len(dst)*dt.Size() {
		return fmt.Errorf("%d bytes of %s do not make %d elements: %w", len(src), dt, len(dst), ErrInvalid)
	}
	if len(dst) == 0 {
		return nil
	}
	out := unsafe.Slice((*uint32)(unsafe.Pointer(&dst[0])), len(dst)) // same bits, as integers
	switch dt {
	case F32:
		if nativeLittleEndian {
			copy(unsafe.Slice((*byte)(unsafe.Pointer(&dst[0])), len(src)), src)
			return nil
		}
		for i := range out {
			out[i] = binary.LittleEndian.Uint32(src[4*i:])
		}
	case BF16:
		if in, ok := uint16View(src); ok {
			for i, h := range in[:len(out)] {
				out[i] = uint32(h) << 16
			}
			return nil
		}
		for i := range out {
			out[i] = uint32(binary.LittleEndian.Uint16(src[2*i:])) << 16
		}
	case F16:
		table := f16Table()
		if in, ok := uint16View(src); ok {
			for i, h := range in[:len(out)] {
				out[i] = table[h]
			}
			return nil
		}
		for i := range out {
			out[i] = table[binary.LittleEndian.Uint16(src[2*i:])]
		}
	case F64:
		for i := range dst {
			dst[i] = float32(math.Float64frombits(binary.LittleEndian.Uint64(src[8*i:])))
		}
	}
	return nil
}

// EncodeFloat32s encodes vals as dtype dt (F32, BF16, F16 or F64) into dst, which must hold
// exactly len(vals)*dt.Size() bytes. BF16 and F16 round to nearest, ties to even; overflow
// gives ±Inf; NaN stays NaN (sign and leading payload bits kept, quiet bit set).
func EncodeFloat32s(dst []byte, dt DType, vals []float32) error {
	if !isFloat(dt) {
		return fmt.Errorf("dtype %s cannot be written from float32 (only F32, BF16, F16, F64): %w", dt, ErrInvalid)
	}
	if len(dst) != len(vals)*dt.Size() {
		return fmt.Errorf("%d bytes cannot hold %d elements of %s: %w", len(dst), len(vals), dt, ErrInvalid)
	}
	if len(vals) == 0 {
		return nil
	}
	switch dt {
	case F32:
		if nativeLittleEndian {
			copy(dst, unsafe.Slice((*byte)(unsafe.Pointer(&vals[0])), len(dst)))
			return nil
		}
		for i, v := range vals {
			binary.LittleEndian.PutUint32(dst[4*i:], math.Float32bits(v))
		}
	case BF16:
		if out, ok := uint16View(dst); ok {
			for i, v := range vals[:len(out)] {
				out[i] = BF16Bits(v)
			}
			return nil
		}
		for i, v := range vals {
			binary.LittleEndian.PutUint16(dst[2*i:], BF16Bits(v))
		}
	case F16:
		for i, v := range vals {
			binary.LittleEndian.PutUint16(dst[2*i:], float16.Fromfloat32(v).Bits())
		}
	case F64:
		for i, v := range vals {
			binary.LittleEndian.PutUint64(dst[8*i:], math.Float64bits(float64(v)))
		}
	}
	return nil
}

// FromFloat32s builds a tensor of dtype dt (F32, BF16, F16 or F64) from float32 values, rounding
// as EncodeFloat32s does. len(vals) must equal the product of shape.
func FromFloat32s(name string, shape []int, vals []float32, dt DType) (Tensor, error) {
	n, err := numElements(shape)
	if err != nil {
		return Tensor{}, fmt.Errorf("tensor %q: %w", name, err)
	}
	if n != int64(len(vals)) {
		return Tensor{}, fmt.Errorf("tensor %q: shape %v holds %d elements but %d values were given: %w",
			name, shape, n, len(vals), ErrInvalid)
	}
	if !isFloat(dt) {
		return Tensor{}, fmt.Errorf("tensor %q: dtype %q cannot be written from float32 (only F32, BF16, F16, F64): %w",
			name, string(dt), ErrInvalid)
	}
	data := make([]byte, len(vals)*dt.Size())
	if err := EncodeFloat32s(data, dt, vals); err != nil {
		return Tensor{}, fmt.Errorf("tensor %q: %w", name, err)
	}
	return Tensor{Name: name, DType: dt, Shape: append([]int(nil), shape...), Data: data}, nil
}

// Int64s decodes t's data as integers. It accepts the integer dtypes (I8, I16, I32, I64, U8, U16,
// U32, U64) and BOOL (0 or 1); a U64 value above math.MaxInt64 is an error.
func (t Tensor) Int64s() ([]int64, error) {
	if err := t.Validate(); err != nil {
		return nil, err
	}
	size := t.DType.Size()
	if !isInt(t.DType) {
		return nil, fmt.Errorf("tensor %q: dtype %s cannot be read as integers: %w", t.Name, t.DType, ErrInvalid)
	}
	out := make([]int64, len(t.Data)/size)
	d := t.Data
	for i := range out {
		switch t.DType {
		case BOOL:
			if d[i] > 1 {
				return nil, fmt.Errorf("tensor %q: element %d of BOOL tensor is %d, not 0 or 1: %w", t.Name, i, d[i], ErrInvalid)
			}
			out[i] = int64(d[i])
		case U8:
			out[i] = int64(d[i])
		case I8:
			out[i] = int64(int8(d[i]))
		case U16:
			out[i] = int64(binary.LittleEndian.Uint16(d[2*i:]))
		case I16:
			out[i] = int64(int16(binary.LittleEndian.Uint16(d[2*i:])))
		case U32:
			out[i] = int64(binary.LittleEndian.Uint32(d[4*i:]))
		case I32:
			out[i] = int64(int32(binary.LittleEndian.Uint32(d[4*i:])))
		case I64:
			out[i] = int64(binary.LittleEndian.Uint64(d[8*i:]))
		case U64:
			u := binary.LittleEndian.Uint64(d[8*i:])
			if u > math.MaxInt64 {
				return nil, fmt.Errorf("tensor %q: element %d (%d) does not fit in int64: %w", t.Name, i, u, ErrInvalid)
			}
			out[i] = int64(u)
		}
	}
	return out, nil
}

// FromInt64s builds a tensor of an integer dtype or BOOL from int64 values; a value outside the
// dtype's range is an error naming its index.
func FromInt64s(name string, shape []int, vals []int64, dt DType) (Tensor, error) {
	n, err := numElements(shape)
	if err != nil {
		return Tensor{}, fmt.Errorf("tensor %q: %w", name, err)
	}
	if n != int64(len(vals)) {
		return Tensor{}, fmt.Errorf("tensor %q: shape %v holds %d elements but %d values were given: %w",
			name, shape, n, len(vals), ErrInvalid)
	}
	if !isInt(dt) {
		return Tensor{}, fmt.Errorf("tensor %q: dtype %q is not an integer dtype: %w", name, string(dt), ErrInvalid)
	}
	lo, hi := intRange(dt)
	size := dt.Size()
	data := make([]byte, len(vals)*size)
	for i, v := range vals {
		if v < lo || v > hi {
			return Tensor{}, fmt.Errorf("tensor %q: value %d at index %d is out of range for %s: %w", name, v, i, dt, ErrInvalid)
		}
		switch size {
		case 1:
			data[i] = byte(v)
		case 2:
			binary.LittleEndian.PutUint16(data[2*i:], uint16(v))
		case 4:
			binary.LittleEndian.PutUint32(data[4*i:], uint32(v))
		case 8:
			binary.LittleEndian.PutUint64(data[8*i:], uint64(v))
		}
	}
	return Tensor{Name: name, DType: dt, Shape: append([]int(nil), shape...), Data: data}, nil
}

// intRange is the inclusive range of values dtype dt can hold, as int64.
func intRange(dt DType) (lo, hi int64) {
	switch dt {
	case BOOL:
		return 0, 1
	case U8:
		return 0, math.MaxUint8
	case I8:
		return math.MinInt8, math.MaxInt8
	case U16:
		return 0, math.MaxUint16
	case I16:
		return math.MinInt16, math.MaxInt16
	case U32:
		return 0, math.MaxUint32
	case I32:
		return math.MinInt32, math.MaxInt32
	case U64:
		return 0, math.MaxInt64
	default: // I64
		return math.MinInt64, math.MaxInt64
	}
}

func isFloat(dt DType) bool { return dt == F32 || dt == BF16 || dt == F16 || dt == F64 }

func isInt(dt DType) bool {
	switch dt {
	case BOOL, U8, I8, U16, I16, U32, I32, U64, I64:
		return true
	}
	return false
}

// nativeLittleEndian reports whether the host stores integers little-endian, as the format does
// (amd64, arm64); the conversions then work on the bytes in place.
var nativeLittleEndian = binary.NativeEndian.Uint16([]byte{1, 0}) == 1

// uint16View reinterprets b as little-endian uint16s when the host is little-endian and b is
// 2-byte aligned; ok is false otherwise and callers take the portable path.
func uint16View(b []byte) (v []uint16, ok bool) {
	if !nativeLittleEndian || len(b) < 2 || uintptr(unsafe.Pointer(&b[0]))%2 != 0 {
		return nil, false
	}
	return unsafe.Slice((*uint16)(unsafe.Pointer(&b[0])), len(b)/2), true
}

// BF16Bits converts f to bfloat16 bits, rounding to nearest with ties to even. Values beyond
// the bfloat16 range become ±Inf; a NaN stays a NaN with its sign and leading payload bits and
// the quiet bit set (plain rounding would turn some NaNs into Inf).
func BF16Bits(f float32) uint16 {
	b := math.Float32bits(f)
	if b&0x7fffffff > 0x7f800000 { // NaN
		return uint16(b>>16) | 0x0040
	}
	b += 0x7fff + (b>>16)&1
	return uint16(b >> 16)
}

// BF16ToFloat32 widens bfloat16 bits to the float32 of equal value.
func BF16ToFloat32(h uint16) float32 {
	return math.Float32frombits(uint32(h) << 16)
}

// F16Bits converts f to IEEE half-precision bits, rounding to nearest with ties to even;
// values beyond ±65504 round to ±Inf, NaN stays NaN.
func F16Bits(f float32) uint16 {
	return float16.Fromfloat32(f).Bits()
}

// F16ToFloat32 widens IEEE half-precision bits to the float32 of equal value.
func F16ToFloat32(h uint16) float32 {
	return math.Float32frombits(f16Table()[h])
}

// f16Table maps every half-precision bit pattern to its float32 bits (256 KiB, built on first use).
var f16Table = sync.OnceValue(func() *[1 << 16]uint32 {
	var t [1 << 16]uint32
	for i := range t {
		t[i] = math.Float32bits(float16.Frombits(uint16(i)).Float32())
	}
	return &t
})
