package tokenizer

import "testing"

// BenchmarkEncode measures single-goroutine Encode over the parity corpus (the
// side-by-side comparison with the Rust library is tokenizer/bench/run.sh).
func BenchmarkEncode(b *testing.B) {
	for _, name := range []string{"qwen3", "deepseek_v3", "llama3"} {
		b.Run(name, func(b *testing.B) {
			tok := loadRef(b, name)
			lines := corpus(b)
			n := 0
			for _, l := range lines {
				n += len(l.Text)
			}
			b.SetBytes(int64(n))
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				for _, l := range lines {
					tok.Encode(l.Text)
				}
			}
		})
	}
}
