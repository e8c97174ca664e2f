package data

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzLoaders feeds arbitrary bytes to every loader under each extension: they must
// return records or an error, never panic.
func FuzzLoaders(f *testing.F) {
	f.Add([]byte(`{"problem":"a","answer":"1"}` + "\n"))
	f.Add([]byte(`[{"prompt":[{"role":"user","content":"q"}],"reward_model":{"ground_truth":"5"}}]`))
	f.Add([]byte(`{"messages":[{"role":"user","content":"q"},{"role":"assistant","content":"a"}]}`))
	f.Add([]byte("{\"question\":\"q\",\"answer\":\"x #### 1,000\"}\n{\"question\":"))
	f.Add([]byte("\xEF\xBB\xBF[1, {\"a\": [1, 2.5, \"x\"]}]"))
	if pq, err := os.ReadFile("testdata/math500_head.parquet"); err == nil {
		f.Add(pq)
		f.Add(pq[:len(pq)/2])
		f.Add(append(append([]byte{}, pq[:100]...), pq[len(pq)-200:]...))
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, name := range []string{"f.jsonl", "f.json", "f.parquet"} {
			path := filepath.Join(dir, name)
			if err := os.WriteFile(path, b, 0o644); err != nil {
				t.Fatal(err)
			}
			Load(path, Mapping{})
			Load(path, Mapping{Prompt: "a.b", Answer: "answer"})
			LoadChat(path)
			ScanObjects(path, func(int, map[string]any) error { return nil })
		}
	})
}
