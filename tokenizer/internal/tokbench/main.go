// Command tokbench times r1go's tokenizer on a JSONL corpus for tokenizer/bench/run.sh:
// single-thread Encode over every document (GOMAXPROCS 1), EncodeBatch on all cores,
// and single-thread Encode with regexp2 in place of the hand-written pre-tokenizer.
// It prints one JSON line per mode: {"impl", "seconds" (best wall time of the runs after
// a warm-up), "cpu_seconds" (best process CPU time), "bytes", "tokens"}.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"runtime"
	"syscall"
	"time"

	"github.com/r1go/r1go/tokenizer"
)

func main() {
	tokPath := flag.String("tokenizer", "", "tokenizer.json or model directory")
	corpus := flag.String("corpus", "", "JSONL corpus, lines {\"text\": ...}")
	mode := flag.String("mode", "single", "single (Encode, GOMAXPROCS=1), batch (EncodeBatch, all cores) or regexp2 (single with regexp2)")
	runs := flag.Int("runs", 3, "timed runs after one warm-up; the best is reported")
	flag.Parse()
	if err := run(*tokPath, *corpus, *mode, *runs); err != nil {
		fmt.Fprintln(os.Stderr, "tokbench:", err)
		os.Exit(1)
	}
}

func run(tokPath, corpus, mode string, runs int) error {
	f, err := os.Open(corpus)
	if err != nil {
		return err
	}
	defer f.Close()
	var texts []string
	bytes := 0
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<26)
	for sc.Scan() {
		var rec struct{ Text string }
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			return err
		}
		texts = append(texts, rec.Text)
		bytes += len(rec.Text)
	}
	tokenizer.ForceRegexp2 = mode == "regexp2"
	tok, err := tokenizer.Load(tokPath)
	if err != nil {
		return err
	}
	var encodeAll func() int
	switch mode {
	case "single", "regexp2":
		runtime.GOMAXPROCS(1)
		encodeAll = func() int {
			n := 0
			for _, t := range texts {
				n += len(tok.Encode(t))
			}
			return n
		}
	case "batch":
		encodeAll = func() int {
			n := 0
			for _, ids := range tok.EncodeBatch(texts) {
				n += len(ids)
			}
			return n
		}
	default:
		return fmt.Errorf("unknown mode %q", mode)
	}
	tokens := encodeAll()
	best, bestCPU := time.Duration(1<<62), time.Duration(1<<62)
	for r := 0; r < runs; r++ {
		t0, c0 := time.Now(), cpuTime()
		tokens = encodeAll()
		best = min(best, time.Since(t0))
		bestCPU = min(bestCPU, cpuTime()-c0)
	}
	out, _ := json.Marshal(map[string]any{"impl": "r1go-" + mode, "seconds": best.Seconds(), "cpu_seconds": bestCPU.Seconds(), "bytes": bytes, "tokens": tokens})
	fmt.Println(string(out))
	return nil
}

// cpuTime returns the user + system CPU time of the process so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
