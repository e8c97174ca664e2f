package tokenizer

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
)

// jsonlBatch is how many lines EncodeJSONL encodes at once (in parallel).
const jsonlBatch = 512

// EncodeJSONL reads lines {"id": ..., "text": "..."} from r and writes
// {"id": ..., "ids": [...]} to w, in order, the id copied verbatim. Texts are encoded
// like Encode (no special tokens added, special tokens in the text recognised), a batch
// at a time on all cores. Blank lines are skipped. name labels errors ("FILE:LINE: ...").
func (t *Tokenizer) EncodeJSONL(r io.Reader, w io.Writer, name string) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 1<<20), 1<<30)
	bw := bufio.NewWriterSize(w, 1<<20)
	var ids []json.RawMessage
	var texts []string
	var buf []byte
	flush := func() error {
		out := t.EncodeBatch(texts)
		for i, toks := range out {
			buf = append(buf[:0], `{"id":`...)
			buf = append(buf, ids[i]...)
			buf = append(buf, `,"ids":[`...)
			for k, id := range toks {
				if k > 0 {
					buf = append(buf, ',')
				}
				buf = strconv.AppendInt(buf, int64(id), 10)
			}
			buf = append(buf, "]}\n"...)
			if _, err := bw.Write(buf); err != nil {
				return err
			}
		}
		ids, texts = ids[:0], texts[:0]
		return nil
	}
	line := 0
	for sc.Scan() {
		line++
		b := bytes.TrimSpace(sc.Bytes())
		if len(b) == 0 {
			continue
		}
		var rec struct {
			ID   json.RawMessage `json:"id"`
			Text *string         `json:"text"`
		}
		if err := json.Unmarshal(b, &rec); err != nil {
			return fmt.Errorf("%s:%d: %w", name, line, jsonLineError(err))
		}
		if len(rec.ID) == 0 {
			return fmt.Errorf(`%s:%d: missing "id"`, name, line)
		}
		if rec.Text == nil {
			return fmt.Errorf(`%s:%d: missing "text" (want {"id": ..., "text": "..."})`, name, line)
		}
		ids = append(ids, append(json.RawMessage(nil), rec.ID...))
		texts = append(texts, *rec.Text)
		if len(texts) == jsonlBatch {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("%s:%d: %w", name, line+1, err)
	}
	if err := flush(); err != nil {
		return err
	}
	return bw.Flush()
}

// DecodeJSONL reads lines {"id": ..., "ids": [...]} from r and writes
// {"id": ..., "text": "..."} to w, in order. An id outside the vocabulary is an error
// naming the line (Decode itself skips such ids, as the Rust library does).
func (t *Tokenizer) DecodeJSONL(r io.Reader, w io.Writer, name string, skipSpecial bool) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 1<<20), 1<<30)
	bw := bufio.NewWriterSize(w, 1<<20)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	line := 0
	for sc.Scan() {
		line++
		b := bytes.TrimSpace(sc.Bytes())
		if len(b) == 0 {
			continue
		}
		var rec struct {
			ID  json.RawMessage `json:"id"`
			IDs *[]int64        `json:"ids"`
		}
		if err := json.Unmarshal(b, &rec); err != nil {
			return fmt.Errorf("%s:%d: %w", name, line, jsonLineError(err))
		}
		if len(rec.ID) == 0 {
			return fmt.Errorf(`%s:%d: missing "id"`, name, line)
		}
		if rec.IDs == nil {
			return fmt.Errorf(`%s:%d: missing "ids" (want {"id": ..., "ids": [...]})`, name, line)
		}
		toks := make([]int32, len(*rec.IDs))
		for k, id := range *rec.IDs {
			if id < 0 || id >= int64(t.VocabSize()) || !t.hasID[id] {
				return fmt.Errorf("%s:%d: ids[%d] = %d is not in the vocabulary (%d ids)", name, line, k, id, t.VocabSize())
			}
			toks[k] = int32(id)
		}
		if err := enc.Encode(struct {
			ID   json.RawMessage `json:"id"`
			Text string          `json:"text"`
		}{rec.ID, t.Decode(toks, skipSpecial)}); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("%s:%d: %w", name, line+1, err)
	}
	return bw.Flush()
}

// jsonLineError rewords encoding/json errors about one JSONL line.
func jsonLineError(err error) error {
	var te *json.UnmarshalTypeError
	if ok := asType(err, &te); ok && te.Field != "" {
		return fmt.Errorf("field %q: want %s, got JSON %s", te.Field, te.Type, te.Value)
	}
	return fmt.Errorf("invalid JSON: %w", err)
}
