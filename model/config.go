// Package model is the decoder-only transformer of the Llama / Qwen2 family, configured from a
// Hugging Face config.json, with its parameters in Hugging Face names and layouts (Linear weights
// [out, in]) and its checkpoints in safetensors.
//
// The graph code is functional: parameters enter a graph as a list of nodes in ParamSpecs order,
// so training graphs can differentiate and update them and donate their buffers.
package model

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Config is the subset of a Hugging Face config.json that defines a Llama / Qwen2 model.
type Config struct {
	ModelType             string       `json:"model_type"`
	Architectures         []string     `json:"architectures,omitempty"`
	VocabSize             int          `json:"vocab_size"`
	HiddenSize            int          `json:"hidden_size"`
	IntermediateSize      int          `json:"intermediate_size"`
	NumHiddenLayers       int          `json:"num_hidden_layers"`
	NumAttentionHeads     int          `json:"num_attention_heads"`
	NumKeyValueHeads      int          `json:"num_key_value_heads"`
	HeadDim               int          `json:"head_dim,omitempty"`
	HiddenAct             string       `json:"hidden_act"`
	MaxPositionEmbeddings int          `json:"max_position_embeddings"`
	RMSNormEps            float64      `json:"rms_norm_eps"`
	RopeTheta             float64      `json:"rope_theta"`
	RopeScaling           *RopeScaling `json:"rope_scaling,omitempty"`
	RopeParameters        *RopeScaling `json:"rope_parameters,omitempty"` // transformers ≥ 5: rope_theta and scaling together
	LayerTypes            []string     `json:"layer_types,omitempty"`
	PretrainingTP         int          `json:"pretraining_tp,omitempty"`
	TieWordEmbeddings     bool         `json:"tie_word_embeddings"`
	AttentionBias         bool         `json:"attention_bias"` // Llama: q/k/v/o biases; Qwen2 always has q/k/v biases
	MLPBias               bool         `json:"mlp_bias,omitempty"`
	InitializerRange      float64      `json:"initializer_range"`
	BOSTokenID            *int         `json:"bos_token_id,omitempty"`
	EOSTokenID            any          `json:"eos_token_id,omitempty"` // an int or a list of ints
	PadTokenID            *int         `json:"pad_token_id,omitempty"`
	TorchDType            string       `json:"torch_dtype,omitempty"`
	UseSlidingWindow      bool         `json:"use_sliding_window,omitempty"`

	raw map[string]any // the file as read, so that Save keeps keys r1go does not use
}

// RopeScaling is config.json's rope_scaling; r1go supports the Llama-3 kind ("llama3") and none.
type RopeScaling struct {
	RopeType                      string  `json:"rope_type"`
	RopeTheta                     float64 `json:"rope_theta,omitempty"` // only inside rope_parameters
	Type                          string  `json:"type,omitempty"`       // older name of rope_type
	Factor                        float64 `json:"factor"`
	LowFreqFactor                 float64 `json:"low_freq_factor"`
	HighFreqFactor                float64 `json:"high_freq_factor"`
	OriginalMaxPositionEmbeddings int     `json:"original_max_position_embeddings"`
}

// LoadConfig reads and validates a config.json (a file, or a model directory holding one).
func LoadConfig(path string) (*Config, error) {
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		path = filepath.Join(path, "config.json")
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	c, err := ParseConfig(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

// ParseConfig parses and validates the bytes of a config.json, filling Hugging Face's defaults.
func ParseConfig(b []byte) (*Config, error) {
	c := &Config{}
	if err := json.Unmarshal(b, c); err != nil {
		return nil, fmt.Errorf("invalid config.json: %w", err)
	}
	if err := json.Unmarshal(b, &c.raw); err != nil {
		return nil, fmt.Errorf("invalid config.json: %w", err)
	}
	if err := c.fillDefaults(); err != nil {
		return nil, err
	}
	return c, c.Validate()
}

func (c *Config) fillDefaults() error {
	if c.NumKeyValueHeads == 0 {
		c.NumKeyValueHeads = c.NumAttentionHeads
	}
	if c.HeadDim == 0 && c.NumAttentionHeads > 0 {
		c.HeadDim = c.HiddenSize / c.NumAttentionHeads
	}
	if c.HiddenAct == "" {
		c.HiddenAct = "silu"
	}
	if c.RMSNormEps == 0 {
		c.RMSNormEps = 1e-6
	}
	if rp := c.RopeParameters; rp != nil {
		if c.RopeTheta == 0 {
			c.RopeTheta = rp.RopeTheta
		}
		if c.RopeScaling == nil && rp.kind() != "default" && rp.kind() != "" {
			c.RopeScaling = rp
		}
	}
	if c.RopeTheta == 0 {
		c.RopeTheta = 10000
	}
	if c.InitializerRange == 0 {
		c.InitializerRange = 0.02
	}
	if c.MaxPositionEmbeddings == 0 {
		c.MaxPositionEmbeddings = 32768
	}
	return nil
}

// Validate checks that r1go can run this configuration exactly; anything it would have to
// ignore is an error naming the field.
func (c *Config) Validate() error {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("field %q: %s", field, fmt.Sprintf(format, args...)))
	}
	switch c.ModelType {
	case "qwen2", "llama":
	case "":
		bad("model_type", "missing (r1go supports qwen2 and llama)")
	default:
		bad("model_type", "%q is not supported (r1go supports qwen2 and llama)", c.ModelType)
	}
	for _, f := range []struct {
		name string
		v    int
	}{{"vocab_size", c.VocabSize}, {"hidden_size", c.HiddenSize}, {"intermediate_size", c.IntermediateSize},
		{"num_hidden_layers", c.NumHiddenLayers}, {"num_attention_heads", c.NumAttentionHeads},
		{"num_key_value_heads", c.NumKeyValueHeads}, {"head_dim", c.HeadDim}, {"max_position_embeddings", c.MaxPositionEmbeddings}} {
		if f.v <= 0 {
			bad(f.name, "must be a positive integer, got %d", f.v)
		}
	}
	if c.NumKeyValueHeads > 0 && c.NumAttentionHeads%c.NumKeyValueHeads != 0 {
		bad("num_key_value_heads", "%d does not divide num_attention_heads %d", c.NumKeyValueHeads, c.NumAttentionHeads)
	}
	if c.HeadDim%2 != 0 {
		bad("head_dim", "must be even for rotary embeddings, got %d", c.HeadDim)
	}
	if c.HiddenAct != "silu" {
		bad("hidden_act", "%q is not supported (only silu)", c.HiddenAct)
	}
	if c.UseSlidingWindow {
		bad("use_sliding_window", "sliding-window attention is not supported")
	}
	if c.MLPBias {
		bad("mlp_bias", "MLP biases are not supported")
	}
	if c.RMSNormEps <= 0 || c.RopeTheta <= 0 || c.InitializerRange < 0 {
		bad("rms_norm_eps/rope_theta/initializer_range", "must be positive")
	}
	if rs := c.RopeScaling; rs != nil {
		switch kind := rs.kind(); kind {
		case "default", "":
		case "llama3":
			if rs.Factor <= 0 || rs.LowFreqFactor <= 0 || rs.HighFreqFactor <= rs.LowFreqFactor || rs.OriginalMaxPositionEmbeddings <= 0 {
				bad("rope_scaling", "llama3 scaling needs factor > 0, 0 < low_freq_factor < high_freq_factor and original_max_position_embeddings > 0")
			}
		default:
			bad("rope_scaling", "rope_type %q is not supported (only llama3)", kind)
		}
	}
	for i, t := range c.LayerTypes {
		if t != "full_attention" {
			bad("layer_types", "layer %d is %q; only full_attention is supported", i, t)
		}
	}
	if c.PretrainingTP > 1 {
		bad("pretraining_tp", "%d is not supported (only 1)", c.PretrainingTP)
	}
	if c.PadTokenID != nil && (*c.PadTokenID < 0 || *c.PadTokenID >= c.VocabSize) {
		bad("pad_token_id", "%d is outside the vocabulary", *c.PadTokenID)
	}
	return errors.Join(errs...)
}

// EOSTokenIDs returns eos_token_id as a list (config.json allows an int or a list).
func (c *Config) EOSTokenIDs() []int32 {
	switch v := c.EOSTokenID.(type) {
	case float64:
		return []int32{int32(v)}
	case []any:
		var out []int32
		for _, x := range v {
			if f, ok := x.(float64); ok {
				out = append(out, int32(f))
			}
		}
		return out
	}
	return nil
}

// HasQKVBias reports whether the attention q/k/v projections have biases.
func (c *Config) HasQKVBias() bool { return c.ModelType == "qwen2" || c.AttentionBias }

// HasOBias reports whether the attention output projection has a bias (Llama's attention_bias).
func (c *Config) HasOBias() bool { return c.ModelType == "llama" && c.AttentionBias }

// NumParams is the number of parameters.
func (c *Config) NumParams() int64 {
	var n int64
	for _, p := range c.ParamSpecs() {
		n += int64(p.Size())
	}
	return n
}

// InvFreq returns the rotary inverse frequencies [head_dim/2], with Llama-3 scaling applied,
// computed as transformers does (float32 powers of rope_theta).
func (c *Config) InvFreq() []float32 {
	half := c.HeadDim / 2
	inv := make([]float32, half)
	for i := range inv {
		exp := float32(2*i) / float32(c.HeadDim)
		inv[i] = float32(1.0 / math.Pow(c.RopeTheta, float64(exp)))
	}
	if rs := c.RopeScaling; rs != nil && rs.kind() == "llama3" {
		oldCtx := float64(rs.OriginalMaxPositionEmbeddings)
		lowWave := oldCtx / rs.LowFreqFactor
		highWave := oldCtx / rs.HighFreqFactor
		for i, f := range inv {
			wave := 2 * math.Pi / float64(f)
			switch {
			case wave > lowWave:
				inv[i] = float32(float64(f) / rs.Factor)
			case wave < highWave:
			default:
				smooth := (oldCtx/wave - rs.LowFreqFactor) / (rs.HighFreqFactor - rs.LowFreqFactor)
				inv[i] = float32((1-smooth)*float64(f)/rs.Factor + smooth*float64(f))
			}
		}
	}
	return inv
}

// JSON renders the config as config.json, keeping the keys of the file it was read from.
func (c *Config) JSON() ([]byte, error) {
	m := map[string]any{}
	for k, v := range c.raw {
		m[k] = v
	}
	b, err := json.Marshal(c)
	if err != nil {
		return nil, err
	}
	var own map[string]any
	if err := json.Unmarshal(b, &own); err != nil {
		return nil, err
	}
	for k, v := range own {
		m[k] = v
	}
	if c.TorchDType != "" {
		m["dtype"] = c.TorchDType // transformers ≥ 5 reads dtype, older versions torch_dtype
	}
	if _, ok := m["architectures"]; !ok {
		m["architectures"] = []string{map[string]string{"qwen2": "Qwen2ForCausalLM", "llama": "LlamaForCausalLM"}[c.ModelType]}
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var sb strings.Builder
	sb.WriteString("{\n")
	for i, k := range keys {
		kb, _ := json.Marshal(k)
		vb, err := json.Marshal(m[k])
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(&sb, "  %s: %s", kb, vb)
		if i < len(keys)-1 {
			sb.WriteString(",")
		}
		sb.WriteString("\n")
	}
	sb.WriteString("}\n")
	return []byte(sb.String()), nil
}

func (r *RopeScaling) kind() string {
	if r.RopeType != "" {
		return r.RopeType
	}
	return r.Type
}
