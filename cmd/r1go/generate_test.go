package main

import (
	"flag"
	"strings"
	"testing"
)

// Bad generate options fail before the model or the prompts are read (the model directory and
// the prompts file here do not exist), each error naming its flag.
func TestGenerateRefusesBadOptions(t *testing.T) {
	base := []string{"--model", "no-such-model", "--input", "no-such-prompts.jsonl"}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--tokens-per-call", "-1"}, "--tokens-per-call"},
		{[]string{"--attention", "flash"}, "--attention"},
	} {
		err := runGenerate(flag.NewFlagSet("generate", flag.ContinueOnError), append(append([]string{}, base...), c.args...))
		if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "no-such") {
			t.Errorf("%v: error %v, want one naming %s (and not the files)", c.args, err, c.want)
		}
	}
}
