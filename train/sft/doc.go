// Package sft is supervised fine-tuning for the three supervised stages of the DeepSeek-R1
// recipe: the cold start (long chain-of-thought examples before RL), SFT on
// rejection-sampled data, and distillation into smaller students.
//
// Conversations (chat messages or prompt/completion records, read by package data) are
// rendered with a chat template and tokenized by an Encoder, which marks the tokens of
// assistant turns: only they enter the loss. Examples are packed into rows of a fixed
// length (Pack: best-fit decreasing; each example keeps its own positions and attends only
// to itself through a block-diagonal causal mask) or padded to length buckets (Unpacked).
// Objective is the mean negative log-likelihood over the assistant tokens of GradAccum
// micro-batches, a train.Objective that train.Policy differentiates and applies AdamW to in
// one program; Accumulate runs the micro-batches one program call at a time instead,
// summing their gradients on the device (gradient accumulation with the memory of one
// micro-batch), with the same result.
// Trainer ties these to the schedule, held-out evaluation, metrics.jsonl and the crash-safe
// checkpoints of package train, exactly as the GRPO trainer does.
//
// FormatResponse writes reasoning and summary in the R1 chat layout or in the paper's
// cold-start layout "|special_token|<reasoning_process>|special_token|<summary>".
package sft
