package tokenizer

import (
	"strings"
	"testing"
)

// TestStreamDecoder: streamed pieces join to Decode's text, and no piece ends inside a
// character (each is valid UTF-8 unless Decode itself has U+FFFD there).
func TestStreamDecoder(t *testing.T) {
	tok := loadRef(t, "qwen3")
	for _, l := range corpus(t) {
		ids := tok.Encode(l.Text)
		for _, skip := range []bool{false, true} {
			d := tok.NewStreamDecoder(skip)
			var b strings.Builder
			for _, id := range ids {
				piece := d.Next(id)
				if strings.ContainsRune(piece, '\uFFFD') && !strings.ContainsRune(l.Text, '\uFFFD') && !strings.ContainsRune(tok.Decode(ids, skip), '\uFFFD') {
					t.Fatalf("text %d: piece %q has U+FFFD", l.ID, piece)
				}
				b.WriteString(piece)
			}
			b.WriteString(d.Flush())
			if want := tok.Decode(ids, skip); b.String() != want {
				t.Fatalf("text %d skip=%v: streamed %q, Decode %q", l.ID, skip, clip(b.String()), clip(want))
			}
		}
	}
	// Random id lists (partial characters, unknown ids) also join to Decode's text.
	for _, g := range readGolden(t, "qwen3") {
		if g.DecodeIDs == nil {
			continue
		}
		d := tok.NewStreamDecoder(false)
		var b strings.Builder
		for _, id := range g.DecodeIDs {
			b.WriteString(d.Next(id))
		}
		b.WriteString(d.Flush())
		if b.String() != g.Decoded {
			t.Errorf("stream of %v = %q, Rust decode %q", g.DecodeIDs, b.String(), g.Decoded)
		}
	}
}
