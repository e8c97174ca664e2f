package safetensors

import (
	"encoding/binary"
	"errors"
	"math"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestBF16BitsClosedForm(t *testing.T) {
	tests := []struct {
		in   uint32 // float32 bits
		want uint16
	}{
		{0x3f800000, 0x3f80}, // 1
		{0x40490fdb, 0x4049}, // pi: low half 0x0fdb < 0x8000 rounds down
		{0x3f808000, 0x3f80}, // exact tie, even stays
		{0x3f818000, 0x3f82}, // exact tie, odd rounds up to even
		{0x3f808001, 0x3f81}, // just above the tie
		{0x3f807fff, 0x3f80}, // just below the tie
		{0xbf808001, 0xbf81}, // negative
		{0x7f7f7fff, 0x7f7f}, // largest value that stays finite
		{0x7f7f8000, 0x7f80}, // tie at the top of the range overflows to +Inf (0x7f7f is odd)
		{0x7f7fffff, 0x7f80}, // float32 max overflows to +Inf
		{0xff7fffff, 0xff80}, // and to -Inf
		{0x7f800000, 0x7f80}, // +Inf
		{0xff800000, 0xff80}, // -Inf
		{0x00000001, 0x0000}, // smallest subnormal rounds to +0
		{0x80000001, 0x8000}, // and to -0
		{0x00018000, 0x0002}, // subnormal tie, odd rounds up
		{0x7fc00000, 0x7fc0}, // quiet NaN
		{0x7f800001, 0x7fc0}, // signalling NaN with low payload: NaN, not +Inf
		{0xff800001, 0xffc0}, // sign kept
		{0x7fffffff, 0x7fff}, // payload kept, no carry into the sign
		{0x7fa10000, 0x7fe1}, // payload bits above the cut kept, quiet bit set
	}
	for _, tc := range tests {
		if got := BF16Bits(math.Float32frombits(tc.in)); got != tc.want {
			t.Errorf("BF16Bits(%#08x) = %#04x, want %#04x", tc.in, got, tc.want)
		}
	}
}

func TestF16BitsClosedForm(t *testing.T) {
	tests := []struct {
		in   float32
		want uint16
	}{
		{1, 0x3c00},
		{-2, 0xc000},
		{0.1, 0x2e66},
		{1.0 / 3, 0x3555},
		{65504, 0x7bff},     // max finite
		{65519.99, 0x7bff},  // below max + half ulp
		{65520, 0x7c00},     // max + half ulp: tie to even overflows
		{0x1p-24, 0x0001},   // smallest subnormal
		{0x1p-25, 0x0000},   // half of it: tie to even (0)
		{0x1.8p-25, 0x0001}, // 0.75 of it rounds up
		{0x1.8p-24, 0x0002}, // 1.5 of it: tie to even (2)
		{0x1p-14, 0x0400},   // smallest normal
		{float32(math.Inf(-1)), 0xfc00},
	}
	for _, tc := range tests {
		if got := F16Bits(tc.in); got != tc.want {
			t.Errorf("F16Bits(%g) = %#04x, want %#04x", tc.in, got, tc.want)
		}
	}
	if h := F16Bits(float32(math.NaN())); h&0x7c00 != 0x7c00 || h&0x3ff == 0 {
		t.Errorf("F16Bits(NaN) = %#04x, not a NaN", h)
	}
}

// TestHalfWidthsRoundTrip checks every 16-bit pattern: widening to float32 and narrowing back is
// the identity for every non-NaN value, and NaN stays NaN.
func TestHalfWidthsRoundTrip(t *testing.T) {
	for i := range 1 << 16 {
		h := uint16(i)
		b := BF16ToFloat32(h)
		if isNaN32(b) {
			if !isNaN32(BF16ToFloat32(BF16Bits(b))) {
				t.Fatalf("bf16 NaN %#04x lost", h)
			}
		} else if got := BF16Bits(b); got != h {
			t.Fatalf("bf16 %#04x -> %g -> %#04x", h, b, got)
		}
		f := F16ToFloat32(h)
		if isNaN32(f) {
			if !isNaN32(F16ToFloat32(F16Bits(f))) {
				t.Fatalf("f16 NaN %#04x lost", h)
			}
		} else if got := F16Bits(f); got != h {
			t.Fatalf("f16 %#04x -> %g -> %#04x", h, f, got)
		}
	}
	// Closed-form widening.
	for h, want := range map[uint16]float32{0x3c00: 1, 0x0001: 0x1p-24, 0x7bff: 65504, 0xc000: -2, 0x3555: 0.333251953125} {
		if got := F16ToFloat32(h); got != want {
			t.Errorf("F16ToFloat32(%#04x) = %g, want %g", h, got, want)
		}
	}
}

func isNaN32(f float32) bool { return f != f }

// TestRoundingIsNearestEven checks BF16Bits and F16Bits on random float32 values against the
// definition, computed in float64: the result is at least as close to x as both neighbouring
// representable values, a tie goes to the even pattern, and overflow happens exactly at
// max + half an ulp.
func TestRoundingIsNearestEven(t *testing.T) {
	type format struct {
		name     string
		narrow   func(float32) uint16
		widen    func(uint16) float32
		expMask  uint16
		infValue float64 // the value the pattern after max-finite would have without overflow
		ulpShift int     // log2 of one ulp of a normal value, in float32 bit units
	}
	formats := []format{
		{"bf16", BF16Bits, BF16ToFloat32, 0x7f80, math.Ldexp(1, 128), 16},
		{"f16", F16Bits, F16ToFloat32, 0x7c00, 65536, 13},
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for _, fm := range formats {
		value := func(mag uint16) float64 { // magnitude pattern → value, Inf replaced by infValue
			if mag == fm.expMask {
				return fm.infValue
			}
			return float64(fm.widen(mag))
		}
		for range 200_000 {
			var x float32
			switch rng.IntN(3) {
			case 0: // any finite float32
				x = math.Float32frombits(rng.Uint32() &^ 0x00800000)
				if math.IsInf(float64(x), 0) || isNaN32(x) {
					continue
				}
			case 1: // near the format's values, including exact ties
				hb := math.Float32bits(fm.widen(uint16(rng.UintN(1 << 16))))
				span := uint32(1) << fm.ulpShift
				x = math.Float32frombits(hb + uint32(rng.Uint32N(2*span)) - span)
				if rng.IntN(4) == 0 {
					x = math.Float32frombits(hb | span>>1) // exact midpoint between neighbours (normals)
				}
			default: // ordinary magnitudes
				x = float32(rng.NormFloat64() * math.Pow(10, float64(rng.IntN(12)-6)))
			}
			if math.IsInf(float64(x), 0) || isNaN32(x) {
				continue
			}
			got := fm.narrow(x)
			if (got&0x8000 != 0) != math.Signbit(float64(x)) {
				t.Fatalf("%s(%g) = %#04x: wrong sign", fm.name, x, got)
			}
			mag := got & 0x7fff
			if mag > fm.expMask {
				t.Fatalf("%s(%g) = %#04x: NaN for a number", fm.name, x, got)
			}
			ax := math.Abs(float64(x))
			d := math.Abs(ax - value(mag))
			if mag == fm.expMask { // overflowed: x must be at or beyond max + half ulp
				max := value(mag - 1)
				if ax < (max+fm.infValue)/2 {
					t.Fatalf("%s(%g) overflowed below max+half ulp", fm.name, x)
				}
				continue
			}
			for _, nb := range []uint16{mag - 1, mag + 1} {
				if mag == 0 && nb == 0xffff {
					continue
				}
				dn := math.Abs(ax - value(nb))
				if dn < d || (dn == d && mag&1 == 1) {
					t.Fatalf("%s(%g) = %#04x (%g) but %#04x (%g) is nearer or the even tie",
						fm.name, x, got, value(mag), nb, value(nb))
				}
			}
		}
	}
}

func TestFloat32sAndFromFloat32s(t *testing.T) {
	vals := []float32{0, float32(math.Copysign(0, -1)), 1, -2.5, 0.1, 3.4e38, 1e-40, float32(math.Inf(1))} // +0 and −0 (a literal -0.0 is +0)
	for _, dt := range []DType{F32, BF16, F16, F64} {
		tn, err := FromFloat32s("w", []int{2, 4}, vals, dt)
		if err != nil {
			t.Fatal(err)
		}
		if len(tn.Data) != 8*dt.Size() || !slices.Equal(tn.Shape, []int{2, 4}) || tn.DType != dt {
			t.Fatalf("%s: tensor %+v", dt, tn)
		}
		got, err := tn.Float32s()
		if err != nil {
			t.Fatal(err)
		}
		for i, v := range vals {
			var want float32
			switch dt {
			case F32, F64:
				want = v
			case BF16:
				want = BF16ToFloat32(BF16Bits(v))
			case F16:
				want = F16ToFloat32(F16Bits(v))
			}
			if math.Float32bits(got[i]) != math.Float32bits(want) {
				t.Errorf("%s: element %d = %g, want %g", dt, i, got[i], want)
			}
		}
	}
	// F64 → float32 rounds to nearest.
	d := make([]byte, 8)
	binary.LittleEndian.PutUint64(d, math.Float64bits(0.1))
	got, err := Tensor{Name: "x", DType: F64, Shape: []int{1}, Data: d}.Float32s()
	if err != nil || got[0] != float32(0.1) {
		t.Errorf("F64 0.1 -> %v, %v", got, err)
	}
	// NaN survives every float dtype.
	for _, dt := range []DType{F32, BF16, F16, F64} {
		tn, _ := FromFloat32s("n", []int{1}, []float32{float32(math.NaN())}, dt)
		if got, _ := tn.Float32s(); !isNaN32(got[0]) {
			t.Errorf("%s: NaN became %g", dt, got[0])
		}
	}
}

func TestConversionErrors(t *testing.T) {
	tests := []struct {
		name string
		err  func() error
		want string
	}{
		{"FromFloat32s count", func() error { _, err := FromFloat32s("w", []int{2, 2}, make([]float32, 3), F32); return err },
			`tensor "w": shape [2 2] holds 4 elements but 3 values were given`},
		{"FromFloat32s dtype", func() error { _, err := FromFloat32s("w", []int{1}, make([]float32, 1), I32); return err },
			`tensor "w": dtype "I32" cannot be written from float32`},
		{"FromFloat32s negative", func() error { _, err := FromFloat32s("w", []int{-1}, nil, F32); return err },
			`tensor "w": shape [-1] has a negative dimension`},
		{"Float32s of ints", func() error {
			_, err := Tensor{Name: "ids", DType: I64, Shape: []int{1}, Data: make([]byte, 8)}.Float32s()
			return err
		}, `tensor "ids": dtype I64 cannot be read as float32`},
		{"Float32s short data", func() error {
			_, err := Tensor{Name: "w", DType: BF16, Shape: []int{3}, Data: make([]byte, 5)}.Float32s()
			return err
		}, `tensor "w": BF16 shape [3] needs 6 bytes but Data holds 5`},
		{"Int64s of floats", func() error {
			_, err := Tensor{Name: "w", DType: F32, Shape: []int{1}, Data: make([]byte, 4)}.Int64s()
			return err
		}, `tensor "w": dtype F32 cannot be read as integers`},
		{"Int64s bad bool", func() error {
			_, err := Tensor{Name: "m", DType: BOOL, Shape: []int{2}, Data: []byte{1, 2}}.Int64s()
			return err
		}, `tensor "m": element 1 of BOOL tensor is 2`},
		{"Int64s U64 overflow", func() error {
			_, err := Tensor{Name: "u", DType: U64, Shape: []int{1}, Data: []byte{0, 0, 0, 0, 0, 0, 0, 0x80}}.Int64s()
			return err
		}, `tensor "u": element 0 (9223372036854775808) does not fit in int64`},
		{"FromInt64s range", func() error { _, err := FromInt64s("b", []int{2}, []int64{5, 300}, U8); return err },
			`tensor "b": value 300 at index 1 is out of range for U8`},
		{"FromInt64s negative unsigned", func() error { _, err := FromInt64s("b", []int{1}, []int64{-1}, U32); return err },
			`value -1 at index 0 is out of range for U32`},
		{"FromInt64s dtype", func() error { _, err := FromInt64s("b", []int{1}, []int64{1}, F32); return err },
			`dtype "F32" is not an integer dtype`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.err()
			if err == nil || !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error = %v, want ErrInvalid containing %q", err, tc.want)
			}
		})
	}
}

func TestInt64sRoundTrip(t *testing.T) {
	tests := []struct {
		dt   DType
		vals []int64
		data []byte // expected little-endian bytes
	}{
		{I8, []int64{-128, 127, -1}, []byte{0x80, 0x7f, 0xff}},
		{U8, []int64{0, 255}, []byte{0, 0xff}},
		{BOOL, []int64{1, 0}, []byte{1, 0}},
		{I16, []int64{-2, 300}, []byte{0xfe, 0xff, 0x2c, 0x01}},
		{U16, []int64{65535}, []byte{0xff, 0xff}},
		{I32, []int64{-2147483648}, []byte{0, 0, 0, 0x80}},
		{U32, []int64{4294967295}, []byte{0xff, 0xff, 0xff, 0xff}},
		{I64, []int64{-1}, []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}},
		{U64, []int64{math.MaxInt64}, []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f}},
	}
	for _, tc := range tests {
		tn, err := FromInt64s("x", []int{len(tc.vals)}, tc.vals, tc.dt)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(tn.Data, tc.data) {
			t.Errorf("%s: bytes %x, want %x", tc.dt, tn.Data, tc.data)
		}
		back, err := tn.Int64s()
		if err != nil || !slices.Equal(back, tc.vals) {
			t.Errorf("%s: Int64s = %v, %v; want %v", tc.dt, back, err, tc.vals)
		}
	}
}

func TestDTypeSizes(t *testing.T) {
	want := map[DType]int{F32: 4, BF16: 2, F16: 2, F64: 8, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1, C64: 8, F4: 0, "F12": 0}
	for dt, size := range want {
		if dt.Size() != size {
			t.Errorf("%s.Size() = %d, want %d", dt, dt.Size(), size)
		}
	}
	if F4.Bits() != 4 || F6E2M3.Bits() != 6 || DType("x").Valid() || !BF16.Valid() {
		t.Error("Bits/Valid wrong for sub-byte or unknown dtypes")
	}
	if len(DTypes()) != 22 {
		t.Errorf("DTypes() has %d entries, want 22", len(DTypes()))
	}
}

// TestConversionPathsAgree checks that the in-place fast path (aligned buffers) and the
// portable path (a buffer at an odd address) give identical results for every float dtype.
func TestConversionPathsAgree(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	vals := make([]float32, 1001)
	for i := range vals {
		vals[i] = math.Float32frombits(rng.Uint32())
	}
	for _, dt := range []DType{F32, BF16, F16, F64} {
		n := len(vals) * dt.Size()
		aligned := make([]byte, n)
		backing := make([]byte, n+1)
		odd := backing[1:]
		if err := EncodeFloat32s(aligned, dt, vals); err != nil {
			t.Fatal(err)
		}
		if err := EncodeFloat32s(odd, dt, vals); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(aligned, odd) {
			t.Fatalf("%s: encoding differs between aligned and odd buffers", dt)
		}
		for i, v := range vals[:50] { // bytes are little-endian whatever the path
			var want uint64
			switch dt {
			case F32:
				want = uint64(math.Float32bits(v))
			case BF16:
				want = uint64(BF16Bits(v))
			case F16:
				want = uint64(F16Bits(v))
			case F64:
				want = math.Float64bits(float64(v))
			}
			var got uint64
			for j := dt.Size() - 1; j >= 0; j-- {
				got = got<<8 | uint64(aligned[i*dt.Size()+j])
			}
			if got != want {
				t.Fatalf("%s: element %d encoded as %#x, want %#x", dt, i, got, want)
			}
		}
		a, b := make([]float32, len(vals)), make([]float32, len(vals))
		if err := DecodeFloat32s(a, dt, aligned); err != nil {
			t.Fatal(err)
		}
		if err := DecodeFloat32s(b, dt, odd); err != nil {
			t.Fatal(err)
		}
		for i := range a {
			if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
				t.Fatalf("%s: element %d decodes to %#x aligned, %#x odd", dt, i, math.Float32bits(a[i]), math.Float32bits(b[i]))
			}
		}
	}
}

// TestReadFloat32s checks the streaming float reader against Float32s for every float dtype,
// with a staging buffer small enough that tensors span several chunks and end in a partial one.
func TestReadFloat32s(t *testing.T) {
	defer func(old int) { readChunk = old }(readChunk)
	readChunk = 24
	rng := rand.New(rand.NewPCG(5, 6))
	vals := make([]float32, 37)
	for i := range vals {
		vals[i] = float32(rng.NormFloat64())
	}
	var ts []Tensor
	for _, dt := range []DType{F32, BF16, F16, F64} {
		tn, err := FromFloat32s("w."+string(dt), []int{37}, vals, dt)
		if err != nil {
			t.Fatal(err)
		}
		ts = append(ts, tn)
	}
	ts = append(ts, Tensor{Name: "ids", DType: I32, Shape: []int{2}, Data: make([]byte, 8)}, Tensor{Name: "empty", DType: BF16, Shape: []int{0}})
	path := filepath.Join(t.TempDir(), "m.safetensors")
	if err := WriteFile(path, ts, nil); err != nil {
		t.Fatal(err)
	}
	c, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, tn := range ts[:4] {
		want, err := tn.Float32s()
		if err != nil {
			t.Fatal(err)
		}
		got := make([]float32, len(want))
		if err := c.ReadFloat32s(tn.Name, got); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s: ReadFloat32s = %v, want %v", tn.Name, got, want)
		}
	}
	if err := c.ReadFloat32s("empty", nil); err != nil {
		t.Errorf("empty tensor: %v", err)
	}
	for _, tc := range []struct {
		name string
		dst  []float32
		want string
		is   error
	}{
		{"w.BF16", make([]float32, 36), `tensor "w.BF16" has 37 elements, destination holds 36`, ErrInvalid},
		{"ids", make([]float32, 2), `tensor "ids": dtype I32 cannot be read as float32`, ErrInvalid},
		{"nope", nil, `tensor "nope"`, ErrNotFound},
	} {
		err := c.ReadFloat32s(tc.name, tc.dst)
		if !errors.Is(err, tc.is) || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), path) {
			t.Errorf("ReadFloat32s(%s): %v, want %q", tc.name, err, tc.want)
		}
	}
}
