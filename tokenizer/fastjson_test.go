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
