package data

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"sort"
	"strconv"

	json "github.com/goccy/go-json"

	"github.com/parquet-go/parquet-go"

	"github.com/r1go/r1go/internal/guard"
)

// record is one object of a dataset file with its position.
type record struct {
	file   string
	line   int  // 1-based line or row
	row    bool // line counts Parquet rows
	fields map[string]any
}

func (r record) errorf(field, format string, args ...any) error {
	return &Error{File: r.file, Line: r.line, Row: r.row, Field: field, Err: fmt.Errorf(format, args...)}
}

func (r record) missing(field string) error {
	return &Error{File: r.file, Line: r.line, Row: r.row, Err: fmt.Errorf("%w %q (fields present: %s)",
		ErrMissingField, field, joinKeys(r.fields))}
}

func joinKeys(m map[string]any) string {
	keys := sortedKeys(m)
	if len(keys) == 0 {
		return "none"
	}
	s := ""
	for i, k := range keys {
		if i > 0 {
			s += ", "
		}
		s += k
	}
	return s
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// scanRecords calls fn for each object of the file, in order.
func scanRecords(path string, fn func(record) error) error {
	format := formatOf(path)
	if format == "" {
		return &Error{File: path, Err: errors.New("unknown dataset format: want a .jsonl, .json or .parquet file")}
	}
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("open dataset: %w", err)
	}
	defer f.Close()
	switch format {
	case "parquet":
		return scanParquet(path, f, fn)
	case "json":
		br := bufio.NewReaderSize(f, 1<<16)
		if first, err := firstNonSpace(br); err == nil && first == '[' {
			return scanJSONArray(path, br, fn)
		}
		return scanJSONL(path, br, fn)
	}
	return scanJSONL(path, bufio.NewReaderSize(f, 1<<16), fn)
}

// firstNonSpace peeks at the first byte that is not whitespace or a UTF-8 BOM.
func firstNonSpace(br *bufio.Reader) (byte, error) {
	for n := 1; ; n++ {
		b, err := br.Peek(n)
		if len(b) < n {
			return 0, err
		}
		c := b[n-1]
		if c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == 0xEF || c == 0xBB || c == 0xBF {
			if n >= br.Size() {
				return 0, io.EOF
			}
			continue
		}
		return c, nil
	}
}

func scanJSONL(path string, br *bufio.Reader, fn func(record) error) error {
	var long []byte // reused for lines longer than the reader's buffer
	for line := 1; ; line++ {
		b, err := br.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			long = append(long[:0], b...)
			for err == bufio.ErrBufferFull {
				b, err = br.ReadSlice('\n')
				long = append(long, b...)
			}
			b = long
		}
		if len(b) > 0 {
			if line == 1 {
				b = bytes.TrimPrefix(b, []byte("\xEF\xBB\xBF"))
			}
			if t := bytes.TrimSpace(b); len(t) > 0 {
				fields, perr := parseObject(t)
				if perr != nil {
					return &Error{File: path, Line: line, Err: perr}
				}
				if ferr := fn(record{file: path, line: line, fields: fields}); ferr != nil {
					return ferr
				}
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read %s line %d: %w", path, line, err)
		}
	}
}

// parseObject decodes one JSON object. Numbers decode as float64 and become int when
// integral (exact up to 2^53; larger integers keep the nearest float64).
func parseObject(b []byte) (map[string]any, error) {
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return nil, fmt.Errorf("malformed JSON: %w", err)
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("want a JSON object, got %s", JSONKind(normalize(v)))
	}
	return normalize(m).(map[string]any), nil
}

// scanJSONArray reads a file holding one JSON array of objects. It reads the file
// whole (JSON arrays cannot be streamed line by line); prefer JSONL for large data.
func scanJSONArray(path string, r io.Reader, fn func(record) error) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return fmt.Errorf("read %s: %w", path, err)
	}
	data = bytes.TrimPrefix(data, []byte("\xEF\xBB\xBF"))
	lineAt := func(off int64) int {
		if off > int64(len(data)) {
			off = int64(len(data))
		}
		return bytes.Count(data[:off], []byte("\n")) + 1
	}
	wrap := func(off int64, err error) error {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			off = se.Offset
		}
		return &Error{File: path, Line: lineAt(off), Err: fmt.Errorf("malformed JSON: %w", err)}
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if _, err := dec.Token(); err != nil { // [
		return wrap(dec.InputOffset(), err)
	}
	for dec.More() {
		start := dec.InputOffset()
		for start < int64(len(data)) && (data[start] == ',' || data[start] == ' ' || data[start] == '\n' || data[start] == '\r' || data[start] == '\t') {
			start++
		}
		var v any
		if err := dec.Decode(&v); err != nil {
			return wrap(dec.InputOffset(), err)
		}
		m, ok := v.(map[string]any)
		if !ok {
			return &Error{File: path, Line: lineAt(start), Err: fmt.Errorf("want a JSON object, got %s", JSONKind(normalize(v)))}
		}
		if err := fn(record{file: path, line: lineAt(start), fields: normalize(m).(map[string]any)}); err != nil {
			return err
		}
	}
	if _, err := dec.Token(); err != nil { // ]
		return wrap(dec.InputOffset(), err)
	}
	return nil
}

func scanParquet(path string, f *os.File, fn func(record) error) error {
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("stat %s: %w", path, err)
	}
	var pf *parquet.File
	if perr := guard.Run(func() { pf, err = parquet.OpenFile(f, st.Size()) }); perr != nil {
		err = perr
	}
	if err != nil {
		return &Error{File: path, Err: fmt.Errorf("not a readable Parquet file: %w", err)}
	}
	var rd *parquet.GenericReader[any]
	if err := guard.Run(func() { rd = parquet.NewGenericReader[any](pf) }); err != nil {
		return &Error{File: path, Err: fmt.Errorf("unsupported Parquet schema: %w", err)}
	}
	defer rd.Close()
	buf := make([]any, 64)
	row := 0
	for {
		for i := range buf {
			buf[i] = nil
		}
		var n int
		var rerr error
		if err := guard.Run(func() { n, rerr = rd.Read(buf) }); err != nil {
			rerr = err
		}
		for i := 0; i < n; i++ {
			row++
			m, _ := normalize(buf[i]).(map[string]any)
			if m == nil {
				m = map[string]any{}
			}
			if err := fn(record{file: path, line: row, row: true, fields: m}); err != nil {
				return err
			}
		}
		if rerr == io.EOF {
			return nil
		}
		if rerr != nil {
			return &Error{File: path, Line: row + 1, Row: true, Err: fmt.Errorf("read Parquet: %w", rerr)}
		}
		if n == 0 {
			return nil
		}
	}
}

// normalize converts decoded values to the types the rest of r1go expects:
// integers to int, other numbers to float64, []byte to string, arrays of integers
// to []int and arrays of numbers to []float64; objects and other arrays recursively.
func normalize(v any) any {
	switch v := v.(type) {
	case float64:
		if v == math.Trunc(v) && math.Abs(v) <= 1<<53 {
			return int(v)
		}
		return v
	case json.Number:
		if i, err := strconv.ParseInt(string(v), 10, 64); err == nil {
			return int(i)
		}
		f, _ := v.Float64()
		return f
	case int32:
		return int(v)
	case int64:
		return int(v)
	case int16:
		return int(v)
	case int8:
		return int(v)
	case uint8:
		return int(v)
	case uint16:
		return int(v)
	case uint32:
		return int(v)
	case float32:
		return float64(v)
	case []byte:
		return string(v)
	case map[string]any:
		for k, x := range v {
			v[k] = normalize(x)
		}
		return v
	case []any:
		allInt, allNum := len(v) > 0, len(v) > 0
		for i, x := range v {
			x = normalize(x)
			v[i] = x
			switch x.(type) {
			case int:
			case float64:
				allInt = false
			default:
				allInt, allNum = false, false
			}
		}
		switch {
		case allInt:
			out := make([]int, len(v))
			for i, x := range v {
				out[i] = x.(int)
			}
			return out
		case allNum:
			out := make([]float64, len(v))
			for i, x := range v {
				switch x := x.(type) {
				case int:
					out[i] = float64(x)
				case float64:
					out[i] = x
				}
			}
			return out
		}
		return v
	}
	return v
}

// ScanObjects streams the objects of a .jsonl, .json or .parquet file to fn with their
// 1-based line (Parquet: row), for readers of layouts other than Example and
// Conversation. Values are normalised as in Scan. Build errors about a record with
// RecordError so that they name the file, line and field.
func ScanObjects(path string, fn func(line int, obj map[string]any) error) error {
	return scanRecords(path, func(r record) error { return fn(r.line, r.fields) })
}

// RecordError returns an *Error about the record at line of path (a row for Parquet
// files) and, when field is not empty, about that field.
func RecordError(path string, line int, field string, err error) error {
	return &Error{File: path, Line: line, Row: formatOf(path) == "parquet", Field: field, Err: err}
}
