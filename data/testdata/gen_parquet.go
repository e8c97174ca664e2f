//go:build ignore

// gen_parquet writes math500_head.parquet: the first 5 rows of MATH-500 in the
// Hugging Face datasets layout (problem, solution, answer, subject, level as int64),
// plus two list columns to exercise nested values (numbers: list<int64>, tags:
// list<string>). Run from data/testdata: go run gen_parquet.go
package main

import (
	"bufio"
	"encoding/json"
	"log"
	"os"

	"github.com/parquet-go/parquet-go"
)

type row struct {
	Problem  string   `parquet:"problem"`
	Solution string   `parquet:"solution"`
	Answer   string   `parquet:"answer"`
	Subject  string   `parquet:"subject"`
	Level    int64    `parquet:"level"`
	Numbers  []int64  `parquet:"numbers,list"`
	Tags     []string `parquet:"tags,list"`
}

func main() {
	f, err := os.Open("/work/shared/data/math500/test.jsonl")
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	var rows []row
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for i := 0; i < 5 && sc.Scan(); i++ {
		var r row
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			log.Fatal(err)
		}
		r.Numbers = []int64{int64(i), int64(i * 10)}
		r.Tags = []string{"math500", r.Subject}
		rows = append(rows, r)
	}
	if err := parquet.WriteFile("math500_head.parquet", rows); err != nil {
		log.Fatal(err)
	}
}
