package train

import (
	"fmt"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/r1go/r1go/backend"
	"github.com/r1go/r1go/model"
)

// FusedAttentionModes are the values of the fused_attention setting of the trainers: auto
// (cuDNN's flash attention wherever it can run: the cuda backend, bf16 or f16 products, a
// supported head dim), on (required: an error says why it cannot run) and off (attention
// written as XLA operations, as on the CPU).
var FusedAttentionModes = []string{"auto", "on", "off"}

// ResolveFusedAttention decides whether a trainer runs cuDNN's attention
// (model.Weights.FusedAttention). unavailable, when not empty, is a reason it cannot here
// beyond the backend and model (e.g. packed SFT rows).
func ResolveFusedAttention(mode string, b backends.Backend, c *model.Config, compute dtypes.DType, unavailable string) (bool, error) {
	switch mode {
	case "off":
		return false, nil
	case "auto", "on":
	default:
		return false, fmt.Errorf("fused_attention %q: must be auto, on or off", mode)
	}
	why := unavailable
	if why == "" && !backend.IsCUDA(b) {
		why = "cuDNN attention needs the cuda backend"
	}
	if why == "" {
		if err := model.FusedAttentionSupported(c, compute); err != nil {
			why = err.Error()
		}
	}
	switch {
	case why == "":
		return true, nil
	case mode == "on":
		return false, fmt.Errorf("fused_attention on: %s", why)
	}
	return false, nil
}
