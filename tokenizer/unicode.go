package tokenizer

import (
	"sync"
	"unicode"
	"unicode/utf8"
)

// Character classes the pre-tokenizer patterns test, as bit flags.
const (
	cL     uint8 = 1 << iota // \p{L}
	cN                       // \p{N}
	cM                       // \p{M}
	cP                       // \p{P}
	cS                       // \p{S}
	cSpace                   // \s (Unicode White_Space)
)

// bmpClass holds the class flags of every rune in the Basic Multilingual Plane; it is
// computed on first use.
var bmpClass = sync.OnceValue(func() *[65536]uint8 {
	var t [65536]uint8
	for r := rune(0); r < 65536; r++ {
		t[r] = slowClass(r)
	}
	return &t
})

func slowClass(r rune) uint8 {
	var c uint8
	switch {
	case unicode.IsLetter(r):
		c |= cL
	case unicode.IsNumber(r):
		c |= cN
	case unicode.IsMark(r):
		c |= cM
	case unicode.IsPunct(r):
		c |= cP
	case unicode.IsSymbol(r):
		c |= cS
	}
	if unicode.IsSpace(r) {
		c |= cSpace
	}
	return c
}

// classifier looks up the class flags of runes (BMP table, slow path above it).
type classifier struct{ t *[65536]uint8 }

func newClassifier() classifier { return classifier{bmpClass()} }

// at decodes the rune at s[i:] and returns its class and size; ok is false at the end.
func (c classifier) at(s string, i int) (r rune, class uint8, size int) {
	b := s[i]
	if b < utf8.RuneSelf {
		return rune(b), c.t[b], 1
	}
	r, size = utf8.DecodeRuneInString(s[i:])
	if r < 65536 {
		return r, c.t[r], size
	}
	return r, slowClass(r), size
}
