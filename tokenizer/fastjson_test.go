package tokenizer

import (
	"encoding/json"
	"reflect"
	"testing"
)

// TestFastJSON: the fast vocabulary and merge parsers agree with encoding/json, and
// step aside (errNotFast) for what they do not handle.
func TestFastJSON(t *testing.T) {
	vocab := `{"a":0, "\u00e9\\\"x":1 ,"Ġ\t":2,"\ud83d\ude00":3, "":4}`
	got, err := fastVocab([]byte(vocab))
	if err != nil {
		t.Fatal(err)
	}
	var want map[string]int32
	json.Unmarshal([]byte(vocab), &want)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("fastVocab = %v, want %v", got, want)
	}
	for _, bad := range []string{`[]`, `{"a":1.5}`, `{"a":"1"}`, `{"a":99999999999}`, `{"a":1,}`} {
		if _, err := fastVocab([]byte(bad)); err == nil {
			t.Errorf("fastVocab(%s) accepted", bad)
		}
	}
	m, err := fastMerges([]byte(`["a b", "\u0120 t"]`))
	if err != nil || !reflect.DeepEqual(m, [][2]string{{"a", "b"}, {"Ġ", "t"}}) {
		t.Errorf("fastMerges strings = %v, %v", m, err)
	}
	m, err = fastMerges([]byte(` [ ["a","b"] , ["\"","c d"] ] `))
	if err != nil || !reflect.DeepEqual(m, [][2]string{{"a", "b"}, {`"`, "c d"}}) {
		t.Errorf("fastMerges pairs = %v, %v", m, err)
	}
	for _, bad := range []string{`["ab"]`, `["a b c"]`, `[["a"]]`, `[["a","b","c"]]`, `[1]`, `{}`} {
		if _, err := fastMerges([]byte(bad)); err == nil {
			t.Errorf("fastMerges(%s) accepted", bad)
		}
	}
}

// FuzzFastVocab: on valid JSON the fast parsers agree with encoding/json whenever
// they accept the input.
func FuzzFastVocab(f *testing.F) {
	f.Add([]byte(`{"a":0, "\u00e9\\\"x":1}`))
	f.Add([]byte("{\"\xe7\":0}"))
	f.Add([]byte(`["a b", ["c","d"]]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		if !json.Valid(b) {
			return
		}
		if v, err := fastVocab(b); err == nil {
			var w map[string]int32
			if json.Unmarshal(b, &w) == nil && !reflect.DeepEqual(v, w) {
				t.Fatalf("vocab %q: %v vs %v", b, v, w)
			}
		}
		if m, err := fastMerges(b); err == nil {
			var strs []string
			var pairs [][]string
			if json.Unmarshal(b, &strs) == nil {
				for k, s := range strs {
					if a, c, _ := cutMerge(s); m[k] != [2]string{a, c} {
						t.Fatalf("merges %q", b)
					}
				}
			} else if json.Unmarshal(b, &pairs) == nil {
				for k, p := range pairs {
					if m[k] != [2]string{p[0], p[1]} {
						t.Fatalf("merges %q", b)
					}
				}
			}
		}
	})
}
