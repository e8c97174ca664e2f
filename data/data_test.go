package data

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
)

// sharedData returns the path of a file under ../shared/data, skipping the test when
// the folder is absent (a fresh checkout has no ../shared; CI has it).
func sharedData(t *testing.T, rel string) string {
	t.Helper()
	for _, root := range []string{"../../shared/data", "/work/shared/data"} {
		p := filepath.Join(root, rel)
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	t.Skipf("skipping: real dataset %s not found (expected under ../shared/data; present in CI)", rel)
	return ""
}

func TestLoadRealDatasets(t *testing.T) {
	cases := []struct {
		rel        string
		rows       int
		index      int
		prompt     string // prefix
		answer     string
		fields     map[string]any
		solutionIn string
	}{
		{"gsm8k/train.jsonl", 7473, 0, "Natalia sold clips to 48 of her friends in April", "72", nil, "#### 72"},
		{"gsm8k/test.jsonl", 1319, 0, "Janet\u2019s ducks lay 16 eggs per day.", "18", nil, "#### 18"},
		{"gsm8k/test.jsonl", 1319, 146, "Johnny is picking up the toys", "2125", nil, "#### 2,125"},
		{"math500/test.jsonl", 500, 0, "Convert the point $(0,3)$ in rectangular coordinates", `\left( 3, \frac{\pi}{2} \right)`,
			map[string]any{"subject": "Precalculus", "level": 2}, `\boxed{\left( 3, \frac{\pi}{2} \right)}`},
		{"math500/test.jsonl", 500, 499, "Altitudes $\\overline{AD}$", `106^\circ`,
			map[string]any{"subject": "Geometry", "level": 4}, `\boxed{106^\circ}`},
	}
	for _, c := range cases {
		t.Run(c.rel, func(t *testing.T) {
			path := sharedData(t, c.rel)
			exs, err := Load(path, Mapping{})
			if err != nil {
				t.Fatal(err)
			}
			if len(exs) != c.rows {
				t.Fatalf("rows = %d, want %d", len(exs), c.rows)
			}
			ex := exs[c.index]
			if !strings.HasPrefix(ex.Prompt, c.prompt) {
				t.Errorf("prompt = %.60q…, want prefix %q", ex.Prompt, c.prompt)
			}
			if ex.Answer != c.answer {
				t.Errorf("answer = %q, want %q", ex.Answer, c.answer)
			}
			if ex.ID != strconv.Itoa(c.index) {
				t.Errorf("id = %q, want %q (the record's position)", ex.ID, strconv.Itoa(c.index))
			}
			for k, v := range c.fields {
				if !reflect.DeepEqual(ex.Fields[k], v) {
					t.Errorf("field %s = %#v, want %#v", k, ex.Fields[k], v)
				}
			}
			if sol, _ := ex.Fields["solution"].(string); !strings.Contains(sol, c.solutionIn) {
				t.Errorf("solution %.80q… lacks %q", sol, c.solutionIn)
			}
		})
	}
}

func TestGSM8KAnswersAreIntegers(t *testing.T) {
	path := sharedData(t, "gsm8k/test.jsonl")
	n := 0
	err := Scan(path, Mapping{}, func(ex Example) error {
		n++
		a := strings.TrimPrefix(ex.Answer, "-")
		if a == "" || strings.Trim(a, "0123456789") != "" {
			return errors.New("answer " + ex.Answer + " of " + ex.ID + " is not an integer")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n != 1319 {
		t.Fatalf("scanned %d, want 1319", n)
	}
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoadLayouts(t *testing.T) {
	cases := []struct {
		name, file, content string
		m                   Mapping
		want                []Example
	}{
		{"aime capitalised", "aime.jsonl",
			`{"ID":"2024-I-1","Problem":"Find x.","Answer":204}` + "\n",
			Mapping{}, []Example{{ID: "2024-I-1", Prompt: "Find x.", Answer: "204", Fields: map[string]any{}}}},
		{"generic prompt answer with blank lines and BOM", "g.jsonl",
			"\xEF\xBB\xBF{\"prompt\":\"1+1?\",\"answer\":\"2\",\"id\":7}\n\n  \n{\"prompt\":\"2+2?\",\"answer\":4.5,\"id\":8}",
			Mapping{}, []Example{
				{ID: "7", Prompt: "1+1?", Answer: "2", Fields: map[string]any{}},
				{ID: "8", Prompt: "2+2?", Answer: "4.5", Fields: map[string]any{}}}},
		{"question and solution only", "qs.jsonl",
			`{"question":"q","solution":"so \\boxed{3}"}`,
			Mapping{}, []Example{{ID: "0", Prompt: "q", Answer: `so \boxed{3}`, Fields: map[string]any{}}}},
		{"gsm8k layout strips commas", "gsm.jsonl",
			`{"question":"How many?","answer":"1,000 + 234 = <<1000+234=1234>>1,234\n#### 1,234"}`,
			Mapping{}, []Example{{ID: "0", Prompt: "How many?", Answer: "1234",
				Fields: map[string]any{"solution": "1,000 + 234 = <<1000+234=1234>>1,234\n#### 1,234"}}}},
		{"override fields", "o.jsonl",
			`{"q":"Q1","a":"A1","key":"k1","prompt":"not this"}`,
			Mapping{Prompt: "q", Answer: "a", ID: "key"}, []Example{{ID: "k1", Prompt: "Q1", Answer: "A1",
				Fields: map[string]any{"prompt": "not this"}}}},
		{"verl layout: chat prompt, nested ground truth", "verl.jsonl",
			`{"data_source":"x","prompt":[{"role":"system","content":"s"},{"role":"user","content":"What is 2+3?"}],"reward_model":{"style":"rule","ground_truth":"5"},"extra_info":{"index":12}}`,
			Mapping{}, []Example{{ID: "12", Prompt: "What is 2+3?", Answer: "5", Fields: map[string]any{
				"data_source":     "x",
				"reward_model":    map[string]any{"style": "rule", "ground_truth": "5"},
				"extra_info":      map[string]any{"index": 12},
				"prompt_messages": []any{map[string]any{"role": "system", "content": "s"}, map[string]any{"role": "user", "content": "What is 2+3?"}},
			}}}},
		{"countdown fields keep integer types", "cd.jsonl",
			`{"prompt":"p","answer":"24","numbers":[3,8,1],"weights":[0.5,2],"target":24,"mixed":[1,"a"]}`,
			Mapping{}, []Example{{ID: "0", Prompt: "p", Answer: "24", Fields: map[string]any{
				"numbers": []int{3, 8, 1}, "weights": []float64{0.5, 2}, "target": 24, "mixed": []any{1, "a"}}}}},
		{"json array", "arr.json",
			"[\n {\"problem\":\"a\",\"answer\":\"1\"},\n {\"problem\":\"b\",\"answer\":\"2\"}\n]\n",
			Mapping{}, []Example{
				{ID: "0", Prompt: "a", Answer: "1", Fields: map[string]any{}},
				{ID: "1", Prompt: "b", Answer: "2", Fields: map[string]any{}}}},
		{"json file holding JSON lines", "lines.json",
			"{\"problem\":\"a\",\"answer\":\"1\"}\n",
			Mapping{}, []Example{{ID: "0", Prompt: "a", Answer: "1", Fields: map[string]any{}}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := Load(writeFile(t, c.file, c.content), c.m)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("got  %#v\nwant %#v", got, c.want)
			}
		})
	}
}

func TestLoadErrors(t *testing.T) {
	cases := []struct {
		name, file, content string
		m                   Mapping
		want                string // the whole error after the temp dir
	}{
		{"malformed JSON on line 3", "bad.jsonl",
			"{\"problem\":\"a\",\"answer\":\"1\"}\n{\"problem\":\"b\",\"answer\":\"2\"}\n{\"problem\":\"c\",\"answer\":\n",
			Mapping{}, "bad.jsonl line 3: malformed JSON: unexpected end of JSON input"},
		{"missing answer on line 2", "miss.jsonl",
			"{\"problem\":\"a\",\"answer\":\"1\"}\n{\"problem\":\"b\",\"solution\":\"2\"}\n",
			Mapping{}, `miss.jsonl line 2: missing field "answer" (fields present: problem, solution)`},
		{"answer of the wrong type", "type.jsonl",
			`{"problem":"a","answer":{"x":1}}`,
			Mapping{}, `type.jsonl line 1: field "answer": want a string or a number, got an object`},
		{"no prompt field", "np.jsonl",
			`{"text":"a","answer":"1"}`,
			Mapping{}, "np.jsonl line 1: no prompt field found among [prompt problem Problem question Question query instruction input] (fields present: answer, text); name it with --prompt-field"},
		{"override names a missing field", "ov.jsonl",
			`{"problem":"a","answer":"1"}`,
			Mapping{Answer: "gold"}, `ov.jsonl line 1: missing field "gold" (fields present: answer, problem)`},
		{"not an object", "arr.jsonl",
			"[1,2]\n", Mapping{}, "arr.jsonl line 1: want a JSON object, got an array"},
		{"two objects on a line", "two.jsonl",
			`{"problem":"a","answer":"1"} {"problem":"b","answer":"2"}`, Mapping{},
			"two.jsonl line 1: malformed JSON: invalid character '{' after top-level value"},
		{"empty prompt", "ep.jsonl",
			`{"problem":"  ","answer":"1"}`, Mapping{}, `ep.jsonl line 1: field "problem": empty prompt`},
		{"empty file", "empty.jsonl", "\n\n", Mapping{}, "empty.jsonl: no records"},
		{"unknown extension", "data.csv", "a,b\n", Mapping{}, "data.csv: unknown dataset format: want a .jsonl, .json or .parquet file"},
		{"json array element on line 4 malformed", "bad.json",
			"[\n{\"problem\":\"a\",\"answer\":\"1\"},\n{\"problem\":\"b\",\n\"answer\" 2}\n]",
			Mapping{}, "bad.json line 4: malformed JSON: invalid character '2' after object key"},
		{"not parquet", "x.parquet", "not parquet at all", Mapping{}, "x.parquet: not a readable Parquet file"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := writeFile(t, c.file, c.content)
			_, err := Load(path, c.m)
			if err == nil {
				t.Fatal("no error")
			}
			msg := strings.TrimPrefix(err.Error(), filepath.Dir(path)+string(filepath.Separator))
			if !strings.HasPrefix(msg, c.want) {
				t.Errorf("error = %q\nwant prefix %q", msg, c.want)
			}
		})
	}
	_, err := Load(filepath.Join(t.TempDir(), "absent.jsonl"), Mapping{})
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: error %v does not wrap os.ErrNotExist", err)
	}
	var de *Error
	_, err = Load(writeFile(t, "m.jsonl", "{\"problem\":\"a\",\"answer\":\"1\"}\n{\"problem\":\"a\"}"), Mapping{})
	if !errors.As(err, &de) || de.Line != 2 || !errors.Is(err, ErrMissingField) {
		t.Errorf("missing field: error %v is not a *data.Error on line 2 wrapping ErrMissingField", err)
	}
}

func TestScanStopsOnCallbackError(t *testing.T) {
	path := writeFile(t, "s.jsonl", "{\"prompt\":\"a\",\"answer\":\"1\"}\n{\"prompt\":\"b\",\"answer\":\"2\"}\nnot json\n")
	stop := errors.New("stop")
	n := 0
	err := Scan(path, Mapping{}, func(Example) error { n++; return stop })
	if err != stop || n != 1 {
		t.Fatalf("err = %v after %d records, want the callback's error after 1", err, n)
	}
}

func TestParquetFixture(t *testing.T) {
	exs, err := Load("testdata/math500_head.parquet", Mapping{})
	if err != nil {
		t.Fatal(err)
	}
	if len(exs) != 5 {
		t.Fatalf("rows = %d, want 5", len(exs))
	}
	ex := exs[0]
	if ex.Answer != `\left( 3, \frac{\pi}{2} \right)` || !strings.HasPrefix(ex.Prompt, "Convert the point $(0,3)$") {
		t.Errorf("row 1 = %q / %q", ex.Prompt, ex.Answer)
	}
	want := map[string]any{"level": 2, "subject": "Precalculus", "numbers": []int{0, 0}, "tags": []any{"math500", "Precalculus"}}
	for k, v := range want {
		if !reflect.DeepEqual(ex.Fields[k], v) {
			t.Errorf("field %s = %#v, want %#v", k, ex.Fields[k], v)
		}
	}
	if got := exs[4].Fields["numbers"]; !reflect.DeepEqual(got, []int{4, 40}) {
		t.Errorf("row 5 numbers = %#v", got)
	}
	// The fixture agrees with the JSONL it was made from.
	if path := sharedData(t, "math500/test.jsonl"); path != "" {
		ref, err := Load(path, Mapping{})
		if err != nil {
			t.Fatal(err)
		}
		for i := range exs {
			if exs[i].Prompt != ref[i].Prompt || exs[i].Answer != ref[i].Answer || exs[i].Fields["solution"] != ref[i].Fields["solution"] {
				t.Errorf("row %d differs from math500/test.jsonl", i+1)
			}
		}
	}
}

func TestParquetMissingFieldNamesRow(t *testing.T) {
	type row struct {
		Question string `parquet:"question"`
		Gold     string `parquet:"gold"`
	}
	path := filepath.Join(t.TempDir(), "q.parquet")
	if err := parquet.WriteFile(path, []row{{"a", "1"}, {"b", "2"}}); err != nil {
		t.Fatal(err)
	}
	_, err := Load(path, Mapping{Answer: "answer"})
	if err == nil || !strings.HasSuffix(err.Error(), `q.parquet row 1: missing field "answer" (fields present: gold, question)`) {
		t.Fatalf("error = %v", err)
	}
	exs, err := Load(path, Mapping{Answer: "gold"})
	if err != nil || len(exs) != 2 || exs[1].Prompt != "b" || exs[1].Answer != "2" {
		t.Fatalf("Load with mapping = %#v, %v", exs, err)
	}
}

func TestWriteJSONLRoundTrip(t *testing.T) {
	exs := []Example{
		{ID: "a", Prompt: "p <b>&", Answer: "1", Fields: map[string]any{"numbers": []int{1, 2}, "target": 3}},
		{ID: "b", Prompt: "q", Answer: "x", Fields: map[string]any{}},
	}
	path := filepath.Join(t.TempDir(), "out.jsonl")
	if err := WriteJSONL(path, exs); err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(path)
	if !strings.Contains(string(raw), `"prompt":"p <b>&"`) {
		t.Errorf("HTML escaped or wrong layout: %s", raw)
	}
	got, err := Load(path, Mapping{})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, exs) {
		t.Errorf("round trip:\n got %#v\nwant %#v", got, exs)
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("temp files left behind: %v", entries)
	}
}

func TestLoadLinesLongerThanTheReadBuffer(t *testing.T) {
	long := strings.Repeat("x", 300_000)
	content := `{"prompt":"a","answer":"1"}` + "\n" + `{"prompt":"` + long + `","answer":"2"}` + "\n" + `{"prompt":"c","answer":"3"}`
	exs, err := Load(writeFile(t, "long.jsonl", content), Mapping{})
	if err != nil {
		t.Fatal(err)
	}
	if len(exs) != 3 || exs[1].Prompt != long || exs[1].Answer != "2" || exs[2].Prompt != "c" {
		t.Fatalf("got %d examples; second prompt %d bytes", len(exs), len(exs[1].Prompt))
	}
	_, err = Load(writeFile(t, "bad.jsonl", content+"\n"+`{"prompt":"`+long+`"`), Mapping{})
	if err == nil || !strings.Contains(err.Error(), "bad.jsonl line 4: malformed JSON") {
		t.Fatalf("error = %v", err)
	}
}
