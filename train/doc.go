// Package train holds the training machinery shared by every r1go trainer (GRPO, SFT,
// distillation): the AdamW update built into a GoMLX graph with global-norm gradient
// clipping and a weight-decay mask, learning-rate schedules, the metrics.jsonl writer,
// crash-safe checkpoints with resume, and the NaN policy.
//
// The model's parameters are an ordered list of f32 master tensors with Hugging Face
// names. A training step is one functional GoMLX graph: it receives the parameters and
// the Adam moments, computes a scalar loss, takes graph.Gradient, calls AdamW.Update and
// returns the updated parameters and moments (whose buffers the caller donates).
//
// Everything that touches the disk writes to a temporary name and renames, so that a
// process killed at any moment (kill -9) leaves either the old or the new file, never a
// torn one.
package train
