package train

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"

	"github.com/r1go/r1go/report"
)

// Log appends one JSON object per line to a JSONL file (metrics.jsonl, samples.jsonl),
// each carrying the training step it belongs to. Every line is written whole with one
// write and fsynced, so a killed run loses at most the line being written. Keys come in a
// stable order: "step", then the keys of First that are present, then the rest sorted.
// NaN and ±Inf numbers, which JSON cannot represent, are written as null.
type Log struct {
	First []string // keys written right after "step", in this order

	path string
	f    *os.File
}

// OpenLog opens a JSONL log for appending. For a new run (resumeStep < 0) any existing
// file is replaced by an empty one. For a run resumed from the checkpoint of step
// resumeStep, the lines of steps after resumeStep (written after that checkpoint, before
// the run died) are removed, along with a torn last line, so that the resumed run
// reproduces the file of an uninterrupted run. The truncated file is written to a
// temporary name and renamed. A malformed line before the last is an error naming the
// file and line.
func OpenLog(path string, resumeStep int) (*Log, error) {
	var keep []byte
	if resumeStep >= 0 {
		data, err := os.ReadFile(path)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("opening log: %w", err)
		}
		keep, err = linesUpTo(path, data, resumeStep)
		if err != nil {
			return nil, err
		}
	}
	if err := writeFileAtomic(path, keep); err != nil {
		return nil, fmt.Errorf("opening log: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("opening log: %w", err)
	}
	return &Log{path: path, f: f}, nil
}

// linesUpTo returns the prefix of a JSONL file whose lines have "step" <= step.
func linesUpTo(path string, data []byte, step int) ([]byte, error) {
	var out bytes.Buffer
	lineNo := 0
	for len(data) > 0 {
		lineNo++
		line, rest, complete := bytes.Cut(data, []byte{'\n'})
		data = rest
		if !complete {
			break // a torn last line (the run died while writing it)
		}
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var rec struct {
			Step *int `json:"step"`
		}
		if err := json.Unmarshal(line, &rec); err != nil || rec.Step == nil {
			if err == nil {
				err = errors.New(`no "step" key`)
			}
			return nil, fmt.Errorf("%s:%d: malformed log line (cannot resume from it): %w", path, lineNo, err)
		}
		if *rec.Step > step {
			break
		}
		out.Write(line)
		out.WriteByte('\n')
	}
	return out.Bytes(), nil
}

// Path returns the file the log writes.
func (l *Log) Path() string { return l.path }

// Write appends one record for step. Values are anything encoding/json accepts; float64
// and float32 values (also inside slices and maps of them) that are NaN or ±Inf become null.
// A "step" key in rec is ignored (the step argument is written).
func (l *Log) Write(step int, rec map[string]any) error {
	var b bytes.Buffer
	b.WriteString(`{"step":`)
	fmt.Fprint(&b, step)
	written := map[string]bool{"step": true}
	writeKey := func(k string) error {
		v, ok := rec[k]
		if !ok || written[k] {
			return nil
		}
		written[k] = true
		kb, _ := json.Marshal(k)
		vb, err := json.Marshal(sanitize(v))
		if err != nil {
			return fmt.Errorf("%s: key %q: %w", l.path, k, err)
		}
		b.WriteByte(',')
		b.Write(kb)
		b.WriteByte(':')
		b.Write(vb)
		return nil
	}
	for _, k := range l.First {
		if err := writeKey(k); err != nil {
			return err
		}
	}
	keys := make([]string, 0, len(rec))
	for k := range rec {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if err := writeKey(k); err != nil {
			return err
		}
	}
	b.WriteString("}\n")
	if _, err := l.f.Write(b.Bytes()); err != nil {
		return fmt.Errorf("writing %s: %w", l.path, err)
	}
	if err := l.f.Sync(); err != nil {
		return fmt.Errorf("syncing %s: %w", l.path, err)
	}
	return nil
}

// Close closes the file.
func (l *Log) Close() error {
	if l.f == nil {
		return nil
	}
	err := l.f.Close()
	l.f = nil
	return err
}

// sanitize replaces non-finite floats (which json.Marshal rejects) by nil.
func sanitize(v any) any {
	switch x := v.(type) {
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return nil
		}
	case float32:
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return nil
		}
	case []float64:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = sanitize(e)
		}
		return out
	case []float32:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = sanitize(e)
		}
		return out
	case map[string]float64:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = sanitize(e)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = sanitize(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = sanitize(e)
		}
		return out
	}
	return v
}

// writeFileAtomic writes data to path through a temporary file in the same directory,
// fsyncs it, renames it over path and fsyncs the directory.
func writeFileAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // no-op after the rename
	if _, err := io.Copy(tmp, bytes.NewReader(data)); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	return syncDir(dir)
}

// syncDir fsyncs a directory so that renames inside it survive a crash.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, os.ErrInvalid) {
		return err
	}
	return nil
}

// WriteReport draws the run in dir (its metrics.jsonl and samples.jsonl) as dir/report.html
// (package report). The trainers call it at every checkpoint; a failure there is reported
// and training goes on.
func WriteReport(dir string) error {
	r, err := report.Load(dir)
	if err != nil {
		return err
	}
	return report.WriteFile(filepath.Join(dir, "report.html"), []*report.Run{r}, report.Options{Smooth: 0.6})
}
