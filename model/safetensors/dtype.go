package safetensors

// DType is the element type of a tensor, spelled as in the safetensors header ("F32", "BF16", ...).
type DType string

// The element types of the safetensors format (the Rust crate's Dtype enum, version 0.7).
const (
	BOOL       DType = "BOOL"
	F4         DType = "F4"      // MXF4, 4 bits
	F6E2M3     DType = "F6_E2M3" // MXF6, 6 bits
	F6E3M2     DType = "F6_E3M2" // MXF6, 6 bits
	U8         DType = "U8"
	I8         DType = "I8"
	F8E5M2     DType = "F8_E5M2"
	F8E4M3     DType = "F8_E4M3"
	F8E8M0     DType = "F8_E8M0"
	F8E4M3FNUZ DType = "F8_E4M3FNUZ"
	F8E5M2FNUZ DType = "F8_E5M2FNUZ"
	I16        DType = "I16"
	U16        DType = "U16"
	F16        DType = "F16"
	BF16       DType = "BF16"
	I32        DType = "I32"
	U32        DType = "U32"
	F32        DType = "F32"
	C64        DType = "C64" // complex64: two F32 parts
	F64        DType = "F64"
	I64        DType = "I64"
	U64        DType = "U64"
)

// unknownRank is the rank of a dtype that is not in dtypeOrder.
const unknownRank = -1

// dtypeOrder lists the dtypes in the order of the Rust crate's Dtype enum (increasing alignment).
// The writer sorts tensors by descending position in this list, then by name, exactly as the
// reference serializer does, so that files are byte-identical to those of safetensors.save_file.
var dtypeOrder = []DType{
	BOOL, F4, F6E2M3, F6E3M2, U8, I8, F8E5M2, F8E4M3, F8E8M0, F8E4M3FNUZ, F8E5M2FNUZ,
	I16, U16, F16, BF16, I32, U32, F32, C64, F64, I64, U64,
}

// dtypeBits is the width of one element in bits.
var dtypeBits = map[DType]int{
	BOOL: 8, F4: 4, F6E2M3: 6, F6E3M2: 6, U8: 8, I8: 8,
	F8E5M2: 8, F8E4M3: 8, F8E8M0: 8, F8E4M3FNUZ: 8, F8E5M2FNUZ: 8,
	I16: 16, U16: 16, F16: 16, BF16: 16,
	I32: 32, U32: 32, F32: 32,
	C64: 64, F64: 64, I64: 64, U64: 64,
}

// Valid reports whether dt is one of the dtypes of the safetensors format.
func (dt DType) Valid() bool {
	_, ok := dtypeBits[dt]
	return ok
}

// Bits returns the width of one element in bits (4 for F4, 16 for BF16), or 0 for an unknown dtype.
func (dt DType) Bits() int {
	return dtypeBits[dt]
}

// Size returns the width of one element in whole bytes (2 for BF16), or 0 for an unknown
// dtype and for the sub-byte dtypes F4, F6_E2M3 and F6_E3M2.
func (dt DType) Size() int {
	b := dtypeBits[dt]
	if b%8 != 0 {
		return 0
	}
	return b / 8
}

// rank is dt's position in dtypeOrder, or unknownRank.
func (dt DType) rank() int {
	for i, d := range dtypeOrder {
		if d == dt {
			return i
		}
	}
	return unknownRank
}

// DTypes returns every dtype of the format, in the Rust crate's enum order.
func DTypes() []DType {
	return append([]DType(nil), dtypeOrder...)
}
