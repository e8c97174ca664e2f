package grpo

import (
	"fmt"
	"math"
)

// Advantages returns the group-relative advantage of each completion. rewards holds
// consecutive groups of groupSize completions of the same prompt (len(rewards) must be a
// multiple of groupSize). Each advantage is the reward minus its group's mean, divided by
// std + eps according to scale:
//
//	"group": the std of its group (GRPO, DeepSeekMath)
//	"batch": the std of all rewards of the batch (TRL's scale_rewards="batch")
//	"none":  no division (Dr. GRPO)
//
// The std is the sample standard deviation (divisor n − 1), as torch.std computes it in
// TRL and verl; a group of identical rewards has std 0 and advantage 0.
func Advantages(rewards []float64, groupSize int, scale string, eps float64) []float64 {
	if groupSize < 1 || len(rewards)%groupSize != 0 {
		panic(fmt.Sprintf("grpo.Advantages: %d rewards do not split into groups of %d", len(rewards), groupSize))
	}
	adv := make([]float64, len(rewards))
	var batchStd float64
	if scale == "batch" {
		_, batchStd = meanStd(rewards)
	}
	for start := 0; start < len(rewards); start += groupSize {
		group := rewards[start : start+groupSize]
		mean, std := meanStd(group)
		div := 1.0
		switch scale {
		case "group":
			div = std + eps
		case "batch":
			div = batchStd + eps
		case "none":
		default:
			panic(fmt.Sprintf("grpo.Advantages: scale %q is not group, batch or none", scale))
		}
		for i, r := range group {
			adv[start+i] = (r - mean) / div
		}
	}
	return adv
}

// meanStd returns the mean and the sample standard deviation (n − 1; 0 for n < 2).
func meanStd(x []float64) (mean, std float64) {
	for _, v := range x {
		mean += v
	}
	mean /= float64(len(x))
	if len(x) < 2 {
		return mean, 0
	}
	var ss float64
	for _, v := range x {
		ss += (v - mean) * (v - mean)
	}
	return mean, math.Sqrt(ss / float64(len(x)-1))
}

// ZeroStdGroups reports, for each group of groupSize consecutive rewards, whether all
// its rewards are equal: such a group has zero advantages and gives no learning signal
// (what zero_std_fraction measures and dynamic sampling filters).
func ZeroStdGroups(rewards []float64, groupSize int) []bool {
	if groupSize < 1 || len(rewards)%groupSize != 0 {
		panic(fmt.Sprintf("grpo.ZeroStdGroups: %d rewards do not split into groups of %d", len(rewards), groupSize))
	}
	out := make([]bool, len(rewards)/groupSize)
	for g := range out {
		group := rewards[g*groupSize : (g+1)*groupSize]
		out[g] = true
		for _, r := range group[1:] {
			if r != group[0] {
				out[g] = false
				break
			}
		}
	}
	return out
}

// SelectGroups applies a dynamic-sampling mode to one round of groups and returns the
// indices of the groups to train on, in order:
//
//	"off":      every group (zero-std groups stay, with zero advantage)
//	"drop":     the groups whose rewards are not all equal
//	"resample": like drop, but at most want of them; the caller generates more prompts
//	            and calls again with want reduced by what it kept until it has its batch
//	            or runs out of rounds (DAPO's dynamic sampling)
func SelectGroups(mode string, zeroStd []bool, want int) []int {
	var keep []int
	for i, z := range zeroStd {
		switch mode {
		case "off":
			keep = append(keep, i)
		case "drop":
			if !z {
				keep = append(keep, i)
			}
		case "resample":
			if !z && len(keep) < want {
				keep = append(keep, i)
			}
		default:
			panic(fmt.Sprintf("grpo.SelectGroups: mode %q is not off, drop or resample", mode))
		}
	}
	return keep
}

// OverlongPenalty is DAPO's soft overlong punishment added to the reward of a completion
// of n tokens with generation limit maxTokens: 0 up to maxTokens − buffer, then a linear
// ramp down to −factor at maxTokens, and −factor for a truncated completion (one that hit
// the limit without ending). buffer 0 penalises only truncated completions.
func OverlongPenalty(n, maxTokens, buffer int, factor float64, truncated bool) float64 {
	if truncated || n >= maxTokens {
		return -factor
	}
	start := maxTokens - buffer
	if buffer <= 0 || n <= start {
		return 0
	}
	return factor * float64(start-n) / float64(buffer)
}

// ShapeTruncated applies c.Truncated to the rewards of one batch given each completion's
// length and whether generation cut it at MaxCompletionTokens. It returns the rewards to
// compute advantages from and, per completion, whether its tokens enter the loss:
//
//	"keep":    rewards unchanged, every completion trained on
//	"mask":    rewards unchanged (truncated completions still count in their group's
//	           mean and std, as in TRL's mask_truncated_completions), but truncated
//	           completions get no loss
//	"penalty": OverlongPenalty added to each reward, every completion trained on
func (c Config) ShapeTruncated(rewards []float64, lengths []int, truncated []bool) (shaped []float64, train []bool) {
	if len(lengths) != len(rewards) || len(truncated) != len(rewards) {
		panic(fmt.Sprintf("grpo.ShapeTruncated: %d rewards, %d lengths, %d truncation flags", len(rewards), len(lengths), len(truncated)))
	}
	shaped = append([]float64(nil), rewards...)
	train = make([]bool, len(rewards))
	for i := range rewards {
		train[i] = true
		switch c.Truncated {
		case "mask":
			train[i] = !truncated[i]
		case "penalty":
			shaped[i] += OverlongPenalty(lengths[i], c.MaxCompletionTokens, c.OverlongBuffer, c.OverlongPenalty, truncated[i])
		}
	}
	return shaped, train
}
