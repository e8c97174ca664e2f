package model

import (
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"runtime"
	"sync"

	"github.com/gomlx/gomlx/pkg/core/tensors"
)

// ParamSpec names one parameter in Hugging Face's name and layout.
type ParamSpec struct {
	Name  string
	Shape []int
	Init  InitKind
}

// InitKind says how transformers initialises a parameter.
type InitKind int

const (
	InitNormal InitKind = iota // normal(0, initializer_range): Linear and Embedding weights
	InitZeros                  // biases
	InitOnes                   // RMSNorm weights
)

// Size is the number of elements.
func (p ParamSpec) Size() int {
	n := 1
	for _, d := range p.Shape {
		n *= d
	}
	return n
}

// Hugging Face tensor names. These and ParamSpecs are the only place that knows them.
const (
	nameEmbed  = "model.embed_tokens.weight"
	nameNorm   = "model.norm.weight"
	nameLMHead = "lm_head.weight"
)

func layerName(i int, suffix string) string { return fmt.Sprintf("model.layers.%d.%s", i, suffix) }

// ParamSpecs lists the parameters in the order graphs receive them.
// Linear weights keep Hugging Face's [out, in] layout; products contract on their last axis.
func (c *Config) ParamSpecs() []ParamSpec {
	D, F, V := c.HiddenSize, c.IntermediateSize, c.VocabSize
	Q, KV := c.NumAttentionHeads*c.HeadDim, c.NumKeyValueHeads*c.HeadDim
	specs := []ParamSpec{{nameEmbed, []int{V, D}, InitNormal}}
	for i := 0; i < c.NumHiddenLayers; i++ {
		add := func(suffix string, init InitKind, shape ...int) {
			specs = append(specs, ParamSpec{layerName(i, suffix), shape, init})
		}
		add("input_layernorm.weight", InitOnes, D)
		add("self_attn.q_proj.weight", InitNormal, Q, D)
		add("self_attn.k_proj.weight", InitNormal, KV, D)
		add("self_attn.v_proj.weight", InitNormal, KV, D)
		if c.HasQKVBias() {
			add("self_attn.q_proj.bias", InitZeros, Q)
			add("self_attn.k_proj.bias", InitZeros, KV)
			add("self_attn.v_proj.bias", InitZeros, KV)
		}
		add("self_attn.o_proj.weight", InitNormal, D, Q)
		if c.HasOBias() {
			add("self_attn.o_proj.bias", InitZeros, D)
		}
		add("post_attention_layernorm.weight", InitOnes, D)
		add("mlp.gate_proj.weight", InitNormal, F, D)
		add("mlp.up_proj.weight", InitNormal, F, D)
		add("mlp.down_proj.weight", InitNormal, D, F)
	}
	specs = append(specs, ParamSpec{nameNorm, []int{D}, InitOnes})
	if !c.TieWordEmbeddings {
		specs = append(specs, ParamSpec{nameLMHead, []int{V, D}, InitNormal})
	}
	return specs
}

// Params are a model's f32 master weights, in ParamSpecs order.
type Params struct {
	Config  *Config
	Specs   []ParamSpec
	Tensors []*tensors.Tensor
}

// Index returns the position of a parameter by Hugging Face name, or -1.
func (p *Params) Index(name string) int {
	for i, s := range p.Specs {
		if s.Name == name {
			return i
		}
	}
	return -1
}

// InitParams initialises parameters as transformers does: Linear and Embedding weights from
// normal(0, initializer_range), biases zero, norm weights one, the pad token's embedding row zero.
// Each tensor draws from its own stream seeded by (seed, name), so the result does not depend on
// the order or parallelism of the work.
func InitParams(c *Config, seed uint64) *Params {
	specs := c.ParamSpecs()
	p := &Params{Config: c, Specs: specs, Tensors: make([]*tensors.Tensor, len(specs))}
	var wg sync.WaitGroup
	sem := make(chan struct{}, runtime.NumCPU())
	for i, s := range specs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			vals := make([]float32, s.Size())
			switch s.Init {
			case InitNormal:
				h := fnv.New64a()
				h.Write([]byte(s.Name))
				r := rand.New(rand.NewPCG(seed, h.Sum64()))
				std := c.InitializerRange
				for j := range vals {
					vals[j] = float32(r.NormFloat64() * std)
				}
				if s.Name == nameEmbed && c.PadTokenID != nil {
					row := *c.PadTokenID * c.HiddenSize
					clear(vals[row : row+c.HiddenSize])
				}
			case InitOnes:
				for j := range vals {
					vals[j] = 1
				}
			}
			p.Tensors[i] = tensors.FromFlatDataAndDimensions(vals, s.Shape...)
		}()
	}
	wg.Wait()
	return p
}
