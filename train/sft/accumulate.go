package sft

import (
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/r1go/r1go/train"
)

// Accumulate makes one optimizer update of p from several micro-batches (each the five
// tensors Batch makes) run one program call at a time, so that only one micro-batch's
// activations exist at once (train.Policy.UpdateMicro). Each micro-batch's mean NLL is
// weighted by its share of all the completion tokens, so the update is that of the mean over
// every token, exactly what Objective with Micro = K computes in one program. The result's
// "tokens" stat is the number of completion tokens.
// segments is Objective.Segments.
func Accumulate(p *train.Policy, micro [][]*tensors.Tensor, segments int, lr float64) (train.UpdateResult, error) {
	counts := make([]float64, len(micro))
	total := 0.0
	for k, mb := range micro {
		mb[4].ConstFlatData(func(flat any) {
			for _, w := range flat.([]float32) {
				counts[k] += float64(w)
			}
		})
		total += counts[k]
	}
	weights := make([]float64, len(micro))
	for k := range weights {
		weights[k] = counts[k] / max(total, 1)
	}
	res, err := p.UpdateMicro(Objective{Micro: 1, Segments: segments}, micro, weights, lr)
	res.Stats["tokens"] = total
	return res, err
}
