package safetensors

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"unicode/utf8"
)

// MaxHeaderSize is the largest JSON header accepted or written, in bytes (the Rust crate's
// limit: 100 MB). A length field above it is treated as corruption, not as a reason to allocate.
const MaxHeaderSize = 100_000_000

// metadataKey is the reserved header key holding the free-form string map.
const metadataKey = "__metadata__"

// Info describes one tensor of a file without its data.
type Info struct {
	Name  string
	DType DType
	Shape []int
	// Begin and End are the header's data_offsets: the tensor's bytes are [Begin, End) of the
	// data buffer, which starts right after the header.
	Begin, End int64
}

// Size is the number of data bytes of the tensor.
func (in Info) Size() int64 { return in.End - in.Begin }

// header is a parsed and validated safetensors header.
type header struct {
	infos     []Info         // sorted by data offset, i.e. in file order
	index     map[string]int // name → position in infos
	meta      map[string]string
	dataStart int64 // absolute offset of the data buffer: 8 + header length
}

// parseHeader reads the header of the safetensors file r of the given size and validates it
// against the rules of the Rust reference crate: header length within the file and at most
// MaxHeaderSize; UTF-8 JSON object; known dtypes; data_offsets that tile the data buffer
// exactly (sorted by offset, the first at 0, each starting where the previous ends, the last
// ending at the end of the file); each tensor's byte count equal to its shape times its dtype
// width. It also rejects duplicate keys, which the JSON decoder of the reference silently merges.
// Errors do not name the file; the caller adds it.
func parseHeader(r io.ReaderAt, size int64) (*header, error) {
	if size < 8 {
		return nil, fmt.Errorf("file is %d bytes, too short for the 8-byte header length: %w", size, ErrInvalid)
	}
	var lenBuf [8]byte
	if err := readFullAt(r, lenBuf[:], 0); err != nil {
		return nil, fmt.Errorf("reading header length: %w", err)
	}
	n := binary.LittleEndian.Uint64(lenBuf[:])
	if n > MaxHeaderSize {
		return nil, fmt.Errorf("header length %d is larger than the %d-byte limit (corrupt or not a safetensors file): %w",
			n, MaxHeaderSize, ErrInvalid)
	}
	if int64(n) > size-8 {
		return nil, fmt.Errorf("header length %d runs past the end of the %d-byte file (truncated?): %w", n, size, ErrInvalid)
	}
	buf := make([]byte, n)
	if err := readFullAt(r, buf, 8); err != nil {
		return nil, fmt.Errorf("reading %d-byte header: %w", n, err)
	}
	h, err := decodeHeader(buf)
	if err != nil {
		return nil, err
	}
	h.dataStart = 8 + int64(n)
	if err := h.validate(size - h.dataStart); err != nil {
		return nil, err
	}
	return h, nil
}

// readFullAt fills buf from r at off. A ReaderAt may report io.EOF along with a full read at
// the end of its input; that is success.
func readFullAt(r io.ReaderAt, buf []byte, off int64) error {
	if len(buf) == 0 {
		return nil
	}
	n, err := r.ReadAt(buf, off)
	if n == len(buf) {
		return nil
	}
	if err == nil || err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return err
}

// decodeHeader parses the JSON header into tensor infos (in header order) and metadata.
func decodeHeader(buf []byte) (*header, error) {
	if !utf8.Valid(buf) {
		i := 0
		for i < len(buf) {
			r, w := utf8.DecodeRune(buf[i:])
			if r == utf8.RuneError && w == 1 {
				break
			}
			i += w
		}
		return nil, fmt.Errorf("header is not valid UTF-8 (byte %d of the header): %w", i, ErrInvalid)
	}
	dec := json.NewDecoder(bytes.NewReader(buf))
	dec.UseNumber()
	if err := expectDelim(dec, '{'); err != nil {
		return nil, fmt.Errorf("header is not a JSON object: %w", err)
	}
	h := &header{index: map[string]int{}}
	seenMeta := false
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("header is not valid JSON: %v: %w", err, ErrInvalid)
		}
		key := tok.(string) // object keys are always strings
		if key == metadataKey {
			if seenMeta {
				return nil, fmt.Errorf("header has %s twice: %w", metadataKey, ErrInvalid)
			}
			seenMeta = true
			if h.meta, err = decodeMetadata(dec); err != nil {
				return nil, fmt.Errorf("header %s: %w", metadataKey, err)
			}
			continue
		}
		if _, dup := h.index[key]; dup {
			return nil, fmt.Errorf("header lists tensor %q twice: %w", key, ErrInvalid)
		}
		info, err := decodeInfo(dec, key)
		if err != nil {
			return nil, fmt.Errorf("tensor %q: %w", key, err)
		}
		h.index[key] = len(h.infos)
		h.infos = append(h.infos, info)
	}
	if err := expectDelim(dec, '}'); err != nil {
		return nil, fmt.Errorf("header is not valid JSON: %w", err)
	}
	if tok, err := dec.Token(); err != io.EOF {
		if err != nil {
			return nil, fmt.Errorf("header has trailing bytes after its JSON object: %v: %w", err, ErrInvalid)
		}
		return nil, fmt.Errorf("header has trailing data after its JSON object (%v): %w", tok, ErrInvalid)
	}
	return h, nil
}

// expectDelim reads one token and checks that it is the delimiter d.
func expectDelim(dec *json.Decoder, d json.Delim) error {
	tok, err := dec.Token()
	if err != nil {
		if err == io.EOF {
			return fmt.Errorf("unexpected end of header, want %q: %w", d, ErrInvalid)
		}
		return fmt.Errorf("%v: %w", err, ErrInvalid)
	}
	if got, ok := tok.(json.Delim); !ok || got != d {
		return fmt.Errorf("found %s where %q was expected: %w", describeToken(tok), d, ErrInvalid)
	}
	return nil
}

// describeToken renders a JSON token for an error message.
func describeToken(tok json.Token) string {
	switch v := tok.(type) {
	case json.Delim:
		return strconv.Quote(v.String())
	case string:
		return "string " + strconv.Quote(v)
	case nil:
		return "null"
	default:
		return fmt.Sprintf("%v", v)
	}
}

// decodeMetadata reads the __metadata__ value: an object of string values, or null.
func decodeMetadata(dec *json.Decoder) (map[string]string, error) {
	var raw any
	if err := dec.Decode(&raw); err != nil {
		return nil, fmt.Errorf("not valid JSON: %v: %w", err, ErrInvalid)
	}
	if raw == nil {
		return nil, nil
	}
	obj, ok := raw.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("must be an object of strings, found %s: %w", jsonKind(raw), ErrInvalid)
	}
	meta := make(map[string]string, len(obj))
	for k, v := range obj {
		s, ok := v.(string)
		if !ok {
			return nil, fmt.Errorf("key %q: value must be a string, found %s: %w", k, jsonKind(v), ErrInvalid)
		}
		meta[k] = s
	}
	return meta, nil
}

// decodeInfo reads one tensor entry {"dtype":..,"shape":[..],"data_offsets":[b,e]}. Unknown
// fields are ignored, as the reference does; repeated or missing fields are errors.
func decodeInfo(dec *json.Decoder, name string) (Info, error) {
	info := Info{Name: name}
	if err := expectDelim(dec, '{'); err != nil {
		return info, fmt.Errorf("entry must be an object: %w", err)
	}
	var haveDType, haveShape, haveOffsets bool
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return info, fmt.Errorf("not valid JSON: %v: %w", err, ErrInvalid)
		}
		field := tok.(string)
		var raw any
		if err := dec.Decode(&raw); err != nil {
			return info, fmt.Errorf("field %q: not valid JSON: %v: %w", field, err, ErrInvalid)
		}
		dup := false
		switch field {
		case "dtype":
			dup, haveDType = haveDType, true
			s, ok := raw.(string)
			if !ok {
				return info, fmt.Errorf("dtype must be a string, found %s: %w", jsonKind(raw), ErrInvalid)
			}
			info.DType = DType(s)
			if !info.DType.Valid() {
				return info, fmt.Errorf("unknown dtype %q: %w", s, ErrInvalid)
			}
		case "shape":
			dup, haveShape = haveShape, true
			dims, err := decodeUints(raw, "shape", -1)
			if err != nil {
				return info, err
			}
			info.Shape = make([]int, len(dims))
			for i, d := range dims {
				info.Shape[i] = int(d)
			}
		case "data_offsets":
			dup, haveOffsets = haveOffsets, true
			offs, err := decodeUints(raw, "data_offsets", 2)
			if err != nil {
				return info, err
			}
			info.Begin, info.End = offs[0], offs[1]
		}
		if dup {
			return info, fmt.Errorf("field %q appears twice: %w", field, ErrInvalid)
		}
	}
	if err := expectDelim(dec, '}'); err != nil {
		return info, err
	}
	switch {
	case !haveDType:
		return info, fmt.Errorf("missing field \"dtype\": %w", ErrInvalid)
	case !haveShape:
		return info, fmt.Errorf("missing field \"shape\": %w", ErrInvalid)
	case !haveOffsets:
		return info, fmt.Errorf("missing field \"data_offsets\": %w", ErrInvalid)
	}
	return info, nil
}

// decodeUints checks that raw is an array of non-negative integers that fit in an int64
// (of length want, unless want < 0) and returns them.
func decodeUints(raw any, field string, want int) ([]int64, error) {
	arr, ok := raw.([]any)
	if !ok {
		return nil, fmt.Errorf("%s must be an array of integers, found %s: %w", field, jsonKind(raw), ErrInvalid)
	}
	if want >= 0 && len(arr) != want {
		return nil, fmt.Errorf("%s must have %d elements, found %d: %w", field, want, len(arr), ErrInvalid)
	}
	out := make([]int64, len(arr))
	for i, v := range arr {
		num, ok := v.(json.Number)
		if !ok {
			return nil, fmt.Errorf("%s[%d] must be an integer, found %s: %w", field, i, jsonKind(v), ErrInvalid)
		}
		u, err := strconv.ParseUint(string(num), 10, 64)
		if err != nil {
			var ne *strconv.NumError
			if errors.As(err, &ne) && ne.Err == strconv.ErrRange {
				return nil, fmt.Errorf("%s[%d] = %s overflows: %w", field, i, num, ErrInvalid)
			}
			return nil, fmt.Errorf("%s[%d] = %s is not a non-negative integer: %w", field, i, num, ErrInvalid)
		}
		if u > math.MaxInt64 {
			return nil, fmt.Errorf("%s[%d] = %d overflows: %w", field, i, u, ErrInvalid)
		}
		out[i] = int64(u)
	}
	return out, nil
}

// jsonKind names the JSON type of a decoded value, for error messages.
func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "a boolean"
	case json.Number:
		return "a number"
	case string:
		return "a string"
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}

// validate sorts h.infos by data offset and checks that they tile a data buffer of dataLen
// bytes exactly, each holding the bytes its dtype and shape call for.
func (h *header) validate(dataLen int64) error {
	slices.SortStableFunc(h.infos, func(a, b Info) int {
		if a.Begin != b.Begin {
			return cmp.Compare(a.Begin, b.Begin)
		}
		return cmp.Compare(a.End, b.End)
	})
	for i, in := range h.infos {
		h.index[in.Name] = i
	}
	var pos int64
	prev := ""
	for _, in := range h.infos {
		switch {
		case in.End < in.Begin:
			return fmt.Errorf("tensor %q: data_offsets [%d, %d] end before they begin: %w", in.Name, in.Begin, in.End, ErrInvalid)
		case in.Begin < pos:
			return fmt.Errorf("tensor %q: data_offsets [%d, %d] overlap tensor %q, which ends at %d: %w",
				in.Name, in.Begin, in.End, prev, pos, ErrInvalid)
		case in.Begin > pos && prev == "":
			return fmt.Errorf("tensor %q: data_offsets [%d, %d] leave bytes [0, %d) of the data buffer unused (data must be contiguous from 0): %w",
				in.Name, in.Begin, in.End, in.Begin, ErrInvalid)
		case in.Begin > pos:
			return fmt.Errorf("tensor %q: data_offsets [%d, %d] leave a gap after tensor %q, which ends at %d (data must be contiguous): %w",
				in.Name, in.Begin, in.End, prev, pos, ErrInvalid)
		}
		want, err := byteSize(in.DType, in.Shape)
		if err != nil {
			return fmt.Errorf("tensor %q: %w", in.Name, err)
		}
		if in.Size() != want {
			return fmt.Errorf("tensor %q: %s shape %v needs %d bytes but data_offsets [%d, %d] span %d: %w",
				in.Name, in.DType, in.Shape, want, in.Begin, in.End, in.Size(), ErrInvalid)
		}
		pos, prev = in.End, in.Name
	}
	if pos > dataLen {
		return fmt.Errorf("tensor %q: data_offsets end at %d but the file holds only %d data bytes (truncated?): %w",
			prev, pos, dataLen, ErrInvalid)
	}
	if pos < dataLen {
		return fmt.Errorf("file has %d data bytes but its tensors cover only %d (trailing bytes after the last tensor): %w",
			dataLen, pos, ErrInvalid)
	}
	return nil
}
