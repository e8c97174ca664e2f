package model

import (
	"fmt"
	"slices"
	"strings"
)

// builtinShapes are the model shapes r1go knows by name: Qwen2.5's 0.5B and 1.5B
// architectures (the sizes of their config.json files on the Hugging Face Hub) and a tiny
// Qwen2-style model that trains on a laptop CPU in minutes.
var builtinShapes = map[string]Config{
	"tiny": {
		ModelType: "qwen2", VocabSize: 512, HiddenSize: 64, IntermediateSize: 128,
		NumHiddenLayers: 2, NumAttentionHeads: 4, NumKeyValueHeads: 2,
		MaxPositionEmbeddings: 512, RopeTheta: 10000, RMSNormEps: 1e-6,
		TieWordEmbeddings: true, InitializerRange: 0.02,
	},
	"0.5B": {
		ModelType: "qwen2", VocabSize: 151936, HiddenSize: 896, IntermediateSize: 4864,
		NumHiddenLayers: 24, NumAttentionHeads: 14, NumKeyValueHeads: 2,
		MaxPositionEmbeddings: 32768, RopeTheta: 1e6, RMSNormEps: 1e-6,
		TieWordEmbeddings: true, InitializerRange: 0.02,
		BOSTokenID: intPtr(151643), EOSTokenID: float64(151643),
	},
	"1.5B": {
		ModelType: "qwen2", VocabSize: 151936, HiddenSize: 1536, IntermediateSize: 8960,
		NumHiddenLayers: 28, NumAttentionHeads: 12, NumKeyValueHeads: 2,
		MaxPositionEmbeddings: 131072, RopeTheta: 1e6, RMSNormEps: 1e-6,
		TieWordEmbeddings: true, InitializerRange: 0.02,
		BOSTokenID: intPtr(151643), EOSTokenID: float64(151643),
	},
}

// BuiltinShapes lists the names BuiltinConfig accepts, smallest first.
func BuiltinShapes() []string { return slices.Clone(builtinShapeOrder) }

var builtinShapeOrder = []string{"tiny", "0.5B", "1.5B"}

// BuiltinConfig returns a fresh copy of a built-in model configuration: "tiny" (vocabulary 512,
// hidden 64, 2 layers, 4 heads, 2 key/value heads, 512 positions: GRPO on a laptop CPU in
// minutes), "0.5B" or "1.5B" (Qwen2.5's architectures: vocabulary 151936, tied embeddings,
// rope_theta 1e6). The configuration is complete and validated, as LoadConfig returns it.
func BuiltinConfig(name string) (*Config, error) {
	base, ok := builtinShapes[name]
	if !ok {
		return nil, fmt.Errorf("unknown model shape %q (built-in shapes: %s)", name, strings.Join(BuiltinShapes(), ", "))
	}
	c := base
	c.Architectures = []string{"Qwen2ForCausalLM"}
	if base.BOSTokenID != nil {
		c.BOSTokenID = intPtr(*base.BOSTokenID)
	}
	if err := c.fillDefaults(); err != nil {
		return nil, fmt.Errorf("built-in shape %s: %w", name, err)
	}
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("built-in shape %s: %w", name, err)
	}
	return &c, nil
}

func intPtr(v int) *int { return &v }
