package tokenizer

import (
	"unicode/utf8"
)

// byteChar maps every byte to the printable rune GPT-2's byte-level BPE uses for it:
// printable Latin-1 bytes map to themselves, the others to U+0100 upwards.
var byteChar = func() (m [256]rune) {
	n := rune(0)
	for b := 0; b < 256; b++ {
		if (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF) {
			m[b] = rune(b)
		} else {
			m[b] = 256 + n
			n++
		}
	}
	return m
}()

// charByte is the inverse of byteChar: rune → byte, for runes below 324.
var charByte = func() (m map[rune]byte) {
	m = make(map[rune]byte, 256)
	for b, r := range byteChar {
		m[r] = byte(b)
	}
	return m
}()

// byteLevelEncode writes the byte-level form of raw (one rune per byte).
func byteLevelEncode(raw string) string {
	buf := make([]byte, 0, 2*len(raw))
	for i := 0; i < len(raw); i++ {
		buf = utf8.AppendRune(buf, byteChar[raw[i]])
	}
	return string(buf)
}

// byteLevelDecode returns the raw bytes a byte-level token stands for, and false when
// some rune of tok is not a byte-level rune. The Rust decoder then keeps the token's own
// UTF-8 bytes, and so do we (see tokenBytes).
func byteLevelDecode(tok string) ([]byte, bool) {
	out := make([]byte, 0, len(tok))
	for _, r := range tok {
		b, ok := charByte[r]
		if !ok {
			return nil, false
		}
		out = append(out, b)
	}
	return out, true
}

// validUTF8 returns s with every ill-formed subsequence replaced by U+FFFD the way
// Rust's String::from_utf8_lossy does it (one replacement per maximal invalid prefix of
// a sequence, as the Unicode standard and WHATWG recommend). Go's strings.ToValidUTF8
// instead folds a whole run of bad bytes into one replacement, so it is not used.
func validUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	return string(appendLossy(nil, []byte(s)))
}

// appendLossy appends b to dst, replacing ill-formed sequences by U+FFFD like
// String::from_utf8_lossy.
func appendLossy(dst, b []byte) []byte {
	for i := 0; i < len(b); {
		c := b[i]
		if c < utf8.RuneSelf {
			dst = append(dst, c)
			i++
			continue
		}
		r, size := utf8.DecodeRune(b[i:])
		if r != utf8.RuneError || size > 1 {
			dst = append(dst, b[i:i+size]...)
			i += size
			continue
		}
		// Invalid: skip the maximal prefix of a well-formed sequence, then one U+FFFD.
		i += maximalInvalidPrefix(b[i:])
		dst = append(dst, "\uFFFD"...)
	}
	return dst
}

// maximalInvalidPrefix returns the length (≥ 1) of the maximal subpart of an ill-formed
// sequence at the start of b (Unicode §3.9, table 3-7).
func maximalInvalidPrefix(b []byte) int {
	c := b[0]
	var need int
	lo, hi := byte(0x80), byte(0xBF)
	switch {
	case c >= 0xC2 && c <= 0xDF:
		need = 1
	case c == 0xE0:
		need, lo = 2, 0xA0
	case c >= 0xE1 && c <= 0xEC, c == 0xEE, c == 0xEF:
		need = 2
	case c == 0xED:
		need, hi = 2, 0x9F
	case c == 0xF0:
		need, lo = 3, 0x90
	case c >= 0xF1 && c <= 0xF3:
		need = 3
	case c == 0xF4:
		need, hi = 3, 0x8F
	default:
		return 1
	}
	n := 1
	for k := 0; k < need && n < len(b); k++ {
		x := b[n]
		if k == 0 {
			if x < lo || x > hi {
				return n
			}
		} else if x < 0x80 || x > 0xBF {
			return n
		}
		n++
	}
	return n
}
