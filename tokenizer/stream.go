package tokenizer

// StreamDecoder turns ids generated one at a time into text, emitting only whole UTF-8
// characters: a character split over several byte-level tokens comes out once its last
// byte arrives. The concatenation of everything Next and Flush return equals Decode of
// all the ids. Not safe for concurrent use; make one per sequence.
type StreamDecoder struct {
	t           *Tokenizer
	skipSpecial bool
	pending     []byte
}

// NewStreamDecoder returns a decoder for one sequence; skipSpecial drops special tokens
// as Decode does.
func (t *Tokenizer) NewStreamDecoder(skipSpecial bool) *StreamDecoder {
	return &StreamDecoder{t: t, skipSpecial: skipSpecial}
}

// Next adds one id and returns the text it completes (often "", while a character is
// incomplete). Unknown ids are skipped.
func (d *StreamDecoder) Next(id int32) string {
	t := d.t
	if id < 0 || int(id) >= len(t.idBytes) || !t.hasID[id] || (d.skipSpecial && t.special[id]) {
		return ""
	}
	d.pending = append(d.pending, t.idBytes[id]...)
	n := completePrefix(d.pending)
	if n == 0 {
		return ""
	}
	out := string(appendLossy(nil, d.pending[:n]))
	d.pending = append(d.pending[:0], d.pending[n:]...)
	return out
}

// Flush returns what is left (an incomplete character becomes U+FFFD, as in Decode)
// and resets the decoder.
func (d *StreamDecoder) Flush() string {
	out := string(appendLossy(nil, d.pending))
	d.pending = d.pending[:0]
	return out
}

// completePrefix returns the length of the longest prefix of b that does not end in
// the middle of a UTF-8 sequence that later bytes could still complete.
func completePrefix(b []byte) int {
	// Only the last 3 bytes can start an incomplete sequence.
	for k := 1; k <= 3 && k <= len(b); k++ {
		i := len(b) - k
		c := b[i]
		if c < 0x80 {
			return len(b)
		}
		if c < 0xC0 {
			continue // continuation byte: look further back
		}
		need := 0
		switch {
		case c >= 0xF0:
			need = 4
		case c >= 0xE0:
			need = 3
		default:
			need = 2
		}
		if k < need && maximalInvalidPrefix(b[i:]) == k {
			// A valid start whose continuation bytes so far are valid: wait for more.
			return i
		}
		return len(b)
	}
	return len(b)
}
