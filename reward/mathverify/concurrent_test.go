package mathverify

import (
	"sync"
	"testing"
)

// TestConcurrentVerify checks that Verify is safe for concurrent use and gives the same
// verdicts from many goroutines (run with -race).
func TestConcurrentVerify(t *testing.T) {
	opts := DefaultOptions()
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i, p := range benchPairs() {
				if i%4 != g {
					continue
				}
				if got := Verify(p[0], p[1], opts).Correct; got != equalCases[i].want {
					t.Errorf("goroutine %d: Verify(%q, %q) = %v, want %v", g, p[0], p[1], got, equalCases[i].want)
				}
			}
		}()
	}
	wg.Wait()
}
