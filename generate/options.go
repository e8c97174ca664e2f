// Package generate samples completions from a model with a KV cache: a prefill program per
// chunk of prompts (G samples per prompt share it), then decode program calls of one or more
// tokens each (Options.SyncEvery), sampling on the device, with the tokens read back while the
// next call runs. Programs are
// compiled once per (batch bucket, length bucket); the decode programs of the cache lengths a
// wave will reach compile ahead, on goroutines, while the first ones run.
package generate

import (
	"errors"
	"fmt"
	"math"
)

// Options control sampling. The zero value is not useful: start from DefaultOptions.
type Options struct {
	N            int     // samples per prompt (≥ 1)
	MaxNewTokens int     // per sample (≥ 1)
	Temperature  float64 // 0 means greedy
	TopP         float64 // nucleus mass in (0, 1]; 1 disables
	TopK         int     // keep the k most likely tokens; 0 disables
	Seed         uint64  // same seed, inputs and backend → same output
	EOS          []int32 // stop a sample after it produces one of these
	StopStrings  []string
	// Decode turns ids into text; needed for StopStrings.
	Decode func(ids []int32) string
	// MaxRows caps the rows (prompts × N) decoded together; 0: AutoRows, from CacheBytes.
	MaxRows int
	// CacheBytes is the KV-cache budget AutoRows sizes the rows by when MaxRows is 0 (0: 32 GiB
	// on a GPU, 2 GiB on the CPU).
	CacheBytes int64
	// NoCompaction keeps finished rows in the batch (for tests of compaction itself).
	NoCompaction bool
	// NoPromptSharing gives every sample its own copy of its prompt's keys and values from the
	// start, where by default the N samples of a prompt read one shared copy until the first
	// compaction (for comparisons; the samples are the same either way).
	NoPromptSharing bool
	// SyncEvery is how many tokens one decode program call decodes, unrolled, before the host
	// reads them (finished rows run on to the end of a call; their extra tokens are dropped);
	// 0 chooses: 4 with the Triton decode attention when calls wait for the device, else 1
	// (Engine.defaultTokensPerCall).
	// Each value compiles its own programs.
	SyncEvery int
	// PrefillPrompts is how many prompts one prefill program call runs; 0: PrefillPrompts,
	// from a memory budget for the call's temporaries.
	PrefillPrompts int
	// CacheGrowth is how many slots the KV cache grows by when the sequences reach its end
	// (attention reads every slot of the cache each step); 0 means 256.
	CacheGrowth int
}

// DefaultOptions are the R1 rollout settings: temperature 1, no top-p/top-k, one sample.
func DefaultOptions() Options {
	return Options{N: 1, MaxNewTokens: 256, Temperature: 1, TopP: 1, Seed: 42}
}

// Validate reports every invalid option.
func (o Options) Validate() error {
	var errs []error
	if o.N < 1 {
		errs = append(errs, fmt.Errorf("n = %d: need at least one sample per prompt", o.N))
	}
	if o.MaxNewTokens < 1 {
		errs = append(errs, fmt.Errorf("max_new_tokens = %d: must be ≥ 1", o.MaxNewTokens))
	}
	if o.Temperature < 0 || math.IsNaN(o.Temperature) || math.IsInf(o.Temperature, 0) {
		errs = append(errs, fmt.Errorf("temperature = %v: must be a finite number ≥ 0", o.Temperature))
	}
	if !(o.TopP > 0 && o.TopP <= 1) {
		errs = append(errs, fmt.Errorf("top_p = %v: must be in (0, 1]", o.TopP))
	}
	if o.SyncEvery < 0 {
		errs = append(errs, fmt.Errorf("sync_every = %d: must be ≥ 0 (0 chooses)", o.SyncEvery))
	}
	if o.PrefillPrompts < 0 {
		errs = append(errs, fmt.Errorf("prefill_prompts = %d: must be ≥ 0 (0 chooses)", o.PrefillPrompts))
	}
	if o.CacheGrowth < 0 {
		errs = append(errs, fmt.Errorf("cache_growth = %d: must be ≥ 0 (0 chooses)", o.CacheGrowth))
	}
	if o.MaxRows < 0 || o.CacheBytes < 0 {
		errs = append(errs, fmt.Errorf("max_rows = %d, cache bytes = %d: must be ≥ 0 (0 chooses)", o.MaxRows, o.CacheBytes))
	}
	if o.TopK < 0 {
		errs = append(errs, fmt.Errorf("top_k = %d: must be ≥ 0 (0 disables)", o.TopK))
	}
	if len(o.StopStrings) > 0 && o.Decode == nil {
		errs = append(errs, errors.New("stop strings need a tokenizer to decode with"))
	}
	for _, s := range o.StopStrings {
		if s == "" {
			errs = append(errs, errors.New("empty stop string"))
		}
	}
	return errors.Join(errs...)
}

func (o Options) mode() Mode {
	return Mode{Greedy: o.Temperature == 0, TopP: o.TopP < 1, TopK: o.TopK > 0}
}
