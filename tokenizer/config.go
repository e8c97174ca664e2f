package tokenizer

import (
	"encoding/json"
	"fmt"
	"slices"
)

// endOfTurn lists the tokens chat models end a turn or a document with; EOS includes
// those the vocabulary has as added tokens.
var endOfTurn = []string{
	"<|im_end|>", "<|endoftext|>", // Qwen
	"<|eot_id|>", "<|eom_id|>", "<|end_of_text|>", // Llama 3
	"<｜end▁of▁sentence｜>", // DeepSeek
}

// tokenField reads a special-token field of tokenizer_config.json: a string, an
// AddedToken object {"content": ...}, or null.
func tokenField(raw json.RawMessage, name string) (string, bool, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return "", false, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return s, true, nil
	}
	var obj struct {
		Content *string `json:"content"`
	}
	if err := json.Unmarshal(raw, &obj); err != nil || obj.Content == nil {
		return "", false, fmt.Errorf("field %q: want a string, {\"content\": ...} or null, got %s", name, string(raw))
	}
	return *obj.Content, true, nil
}

// applyConfig reads tokenizer_config.json.
func (t *Tokenizer) applyConfig(data []byte) error {
	var c struct {
		BOS    json.RawMessage `json:"bos_token"`
		EOS    json.RawMessage `json:"eos_token"`
		Pad    json.RawMessage `json:"pad_token"`
		AddBOS *bool           `json:"add_bos_token"`
	}
	if err := json.Unmarshal(data, &c); err != nil {
		return jsonError(data, err)
	}
	t.cfg.raw = data
	var err error
	var ok bool
	if t.cfg.bos, ok, err = tokenField(c.BOS, "bos_token"); err != nil {
		return err
	} else if ok {
		if _, found := t.TokenID(t.cfg.bos); !found {
			return fmt.Errorf("bos_token %q is not in the vocabulary", t.cfg.bos)
		}
	}
	if t.cfg.eos, ok, err = tokenField(c.EOS, "eos_token"); err != nil {
		return err
	} else if ok {
		if _, found := t.TokenID(t.cfg.eos); !found {
			return fmt.Errorf("eos_token %q is not in the vocabulary", t.cfg.eos)
		}
	}
	if t.cfg.pad, ok, err = tokenField(c.Pad, "pad_token"); err != nil {
		return err
	} else if ok {
		if _, found := t.TokenID(t.cfg.pad); !found {
			return fmt.Errorf("pad_token %q is not in the vocabulary", t.cfg.pad)
		}
	}
	if c.AddBOS != nil {
		t.cfg.addBOS = *c.AddBOS
	} else {
		t.cfg.addBOS = t.templateAddsBOS()
	}
	return nil
}

// templateAddsBOS reports whether the tokenizer.json post-processor is a
// TemplateProcessing whose single-sequence template starts with a special token (as
// Llama 3's does with <|begin_of_text|>).
func (t *Tokenizer) templateAddsBOS() bool {
	var pp *struct {
		Type   string `json:"type"`
		Single []struct {
			SpecialToken *struct {
				ID string `json:"id"`
			} `json:"SpecialToken"`
		} `json:"single"`
	}
	if json.Unmarshal(t.postProcessor, &pp) != nil || pp == nil || pp.Type != "TemplateProcessing" {
		return false
	}
	s := pp.Single
	return len(s) > 0 && s[0].SpecialToken != nil && s[0].SpecialToken.ID == t.cfg.bos
}

// applyGenerationConfig reads eos_token_id (a number or a list) from
// generation_config.json.
func (t *Tokenizer) applyGenerationConfig(data []byte) error {
	var c struct {
		EOS json.RawMessage `json:"eos_token_id"`
	}
	if err := json.Unmarshal(data, &c); err != nil {
		return jsonError(data, err)
	}
	if len(c.EOS) == 0 || string(c.EOS) == "null" {
		return nil
	}
	var one int32
	if err := json.Unmarshal(c.EOS, &one); err == nil {
		t.cfg.eosIDs = []int32{one}
		return nil
	}
	var list []int32
	if err := json.Unmarshal(c.EOS, &list); err != nil {
		return fmt.Errorf("eos_token_id: want an id or a list of ids, got %s", string(c.EOS))
	}
	t.cfg.eosIDs = list
	return nil
}

// finishSpecials resolves BOS, EOS and pad ids once the files are read.
func (t *Tokenizer) finishSpecials() {
	var eos []int32
	add := func(id int32) {
		if id >= 0 && int(id) < len(t.idToToken) && !slices.Contains(eos, id) {
			eos = append(eos, id)
		}
	}
	if t.cfg.eos != "" {
		if id, ok := t.TokenID(t.cfg.eos); ok {
			add(id)
		}
	}
	for _, id := range t.cfg.eosIDs {
		add(id)
	}
	for _, name := range endOfTurn {
		if id, ok := t.addedIDs[name]; ok {
			add(id)
		}
	}
	t.cfg.eosList = eos
	if t.cfg.bos != "" {
		t.cfg.bosID, t.cfg.hasBOS = t.TokenID(t.cfg.bos)
	}
	if t.cfg.pad != "" {
		t.cfg.padID, t.cfg.hasPadID = t.TokenID(t.cfg.pad)
	}
}

// BOS returns the beginning-of-sequence id named by tokenizer_config.json, if any.
func (t *Tokenizer) BOS() (int32, bool) { return t.cfg.bosID, t.cfg.hasBOS }

// AddBOS reports whether the model expects BOS before every sequence
// (tokenizer_config.json add_bos_token, or a post-processor template that starts with
// it). Encode never adds it; callers that build model inputs do.
func (t *Tokenizer) AddBOS() bool { return t.cfg.addBOS && t.cfg.hasBOS }

// EOS returns the ids generation must stop on: the configured eos_token first, then
// generation_config.json's eos_token_id, then the end-of-turn tokens of chat formats
// the vocabulary has (<|im_end|>, <|endoftext|>, <|eot_id|>, <|eom_id|>,
// <|end_of_text|>, <｜end▁of▁sentence｜>).
func (t *Tokenizer) EOS() []int32 { return slices.Clone(t.cfg.eosList) }

// Pad returns the padding id named by tokenizer_config.json, if any.
func (t *Tokenizer) Pad() (int32, bool) { return t.cfg.padID, t.cfg.hasPadID }
