//go:build ignore

// gen_corpus writes the committed seed corpus of FuzzParseHeader into
// testdata/fuzz/FuzzParseHeader, one file per case, in the `go test fuzz v1` format.
// Run from model/safetensors: go run testdata/gen_corpus.go
package main

import (
	"encoding/binary"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// withLen prefixes a JSON header with its 8-byte little-endian length.
func withLen(js string) string {
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], uint64(len(js)))
	return string(b[:]) + js
}

func main() {
	cases := map[string]string{
		"valid_all_int_dtypes": withLen(`{"a":{"dtype":"I64","shape":[1],"data_offsets":[0,8]},"b":{"dtype":"I32","shape":[1],"data_offsets":[8,12]},`+
			`"c":{"dtype":"I16","shape":[1],"data_offsets":[12,14]},"d":{"dtype":"I8","shape":[1],"data_offsets":[14,15]},"e":{"dtype":"BOOL","shape":[1],"data_offsets":[15,16]}}`) +
			strings.Repeat("\x01", 16),
		"valid_scalar_and_empty": withLen(`{"s":{"dtype":"F64","shape":[],"data_offsets":[0,8]},"z":{"dtype":"F16","shape":[3,0],"data_offsets":[8,8]}}  `) +
			strings.Repeat("\x00", 8),
		"valid_unordered_header": withLen(`{"b":{"dtype":"U8","shape":[1],"data_offsets":[1,2]},"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}`) + "\x01\x02",
		"valid_escaped_names":    withLen(`{"w\u00e9\n\"":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"__metadata__":{"k\t":"\u2028"}}`) + "\x05",
		"bad_gap":                withLen(`{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"b":{"dtype":"U8","shape":[1],"data_offsets":[2,3]}}`) + "\x00\x00\x00",
		"bad_end_before_begin":   withLen(`{"a":{"dtype":"U8","shape":[0],"data_offsets":[3,2]}}`),
		"bad_nul_padding":        withLen("{}\x00\x00\x00\x00\x00\x00"),
		"bad_utf8":               withLen("{\"\xc3\x28\":1}"),
		"bad_duplicate":          withLen(`{"t":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"t":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}`) + "\x00",
		"bad_truncated_data":     withLen(`{"t":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}`) + "\x00\x00\x00",
		"bad_trailing_data":      withLen(`{"t":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}`) + "\x00\x00",
		"bad_deep_nesting":       withLen(`{"t":{"x":` + strings.Repeat("[", 12000) + strings.Repeat("]", 12000) + `}}`),
		"bad_metadata_number":    withLen(`{"__metadata__":{"n":1}}`),
		"bad_float_offsets":      withLen(`{"t":{"dtype":"U8","shape":[1],"data_offsets":[0,1e0]}}`) + "\x00",
		"bad_huge_length":        "\x00\xe1\xf5\x05\x00\x00\x00\x00{}",
	}
	dir := filepath.Join("testdata", "fuzz", "FuzzParseHeader")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		log.Fatal(err)
	}
	for name, raw := range cases {
		body := fmt.Sprintf("go test fuzz v1\n[]byte(%s)\n", strconv.Quote(raw))
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			log.Fatal(err)
		}
	}
}
