package train

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCompareLogs(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	base := write("a.jsonl", `{"step":1,"loss":0.5,"time_step_s":1.2,"gen_tokens_per_s":300}
{"step":2,"loss":0.25,"time_step_s":1.1,"gen_tokens_per_s":310}
`)
	tests := []struct {
		name, content string
		ignore        []string
		want          string // "" for equal
	}{
		{"timings differ, ignored", `{"step":1,"loss":0.5,"time_step_s":9,"gen_tokens_per_s":1}
{"step":2,"loss":0.25,"time_step_s":8,"gen_tokens_per_s":2}
`, []string{"time_*", "*_per_s"}, ""},
		{"timings differ, not ignored", `{"step":1,"loss":0.5,"time_step_s":9,"gen_tokens_per_s":300}
{"step":2,"loss":0.25,"time_step_s":1.1,"gen_tokens_per_s":310}
`, nil, `line 1 differs at key "time_step_s"`},
		{"a value differs in the last digit", `{"step":1,"loss":0.5}
{"step":2,"loss":0.25000000000000006}
`, []string{"time_*", "*_per_s"}, `line 2 differs at key "loss"`},
		{"a key is missing", `{"step":1}
{"step":2,"loss":0.25}
`, []string{"time_*", "*_per_s"}, `"loss": `},
		{"a line is missing", `{"step":1,"loss":0.5}
`, []string{"time_*", "*_per_s"}, "has 2 lines"},
		{"malformed", "{\"step\":1,\n", nil, "b.jsonl:1"},
	}
	for _, tc := range tests {
		other := write("b.jsonl", tc.content)
		err := CompareLogs(base, other, tc.ignore...)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s: CompareLogs = %v, want an error containing %q", tc.name, err, tc.want)
		}
	}
}
