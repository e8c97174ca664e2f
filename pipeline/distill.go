// Package pipeline chains the stages of the DeepSeek-R1 recipe into resumable runs whose
// every intermediate output stays on disk for inspection. Distill is the distillation
// chain: teacher → rejection-sampled data → student SFT.
package pipeline

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/r1go/r1go/data"
	"github.com/r1go/r1go/rejection"
	"github.com/r1go/r1go/train"
	"github.com/r1go/r1go/train/sft"
)

// Files and directories of a distillation output directory.
const (
	ManifestFile  = "distill.json"    // what the directory distils (checked on reruns)
	RejectionFile = "rejection.jsonl" // stage 1: the teacher's kept samples (+ .stats.json)
	SFTDir        = "sft"             // stage 2: the student's SFT run (checkpoints, metrics.jsonl)
)

// Distill distils a teacher into a student: the teacher's samples on Prompts are
// rejection-sampled into Out/rejection.jsonl, then the student is fine-tuned on them into
// Out/sft. Rerunning with the same inputs resumes: a finished stage is skipped and SFT
// continues from its latest checkpoint.
type Distill struct {
	Teacher, Student, Out string
	Prompts               []data.Example
	Rejection             rejection.Config
	SFT                   sft.Config // Model, Data and Out are set by Run

	// Sample runs stage 1 (default rejection.SampleToFile); the CLI wraps it with progress.
	Sample func(cfg rejection.Config, b backends.Backend, compute dtypes.DType, modelDir string, exs []data.Example, out string) (rejection.Stats, error)
	// Train runs stage 2 (default: sft.NewTrainer(cfg, b, compute, true).Run()).
	Train func(cfg sft.Config, b backends.Backend, compute dtypes.DType) error
	// Log, if set, receives one line per stage decision.
	Log func(format string, args ...any)
}

// manifest is what Out/distill.json records about the inputs.
type manifest struct {
	Teacher    string `json:"teacher"`
	Student    string `json:"student"`
	Prompts    int    `json:"prompts"`
	PromptsSHA string `json:"prompts_sha256"`
}

// Run checks the tokenizers and runs the stages that are not done yet.
func (d *Distill) Run(b backends.Backend, compute dtypes.DType) error {
	logf := d.Log
	if logf == nil {
		logf = func(string, ...any) {}
	}
	if err := SameTokenizer(d.Teacher, d.Student); err != nil {
		return err
	}
	if len(d.Prompts) == 0 {
		return errors.New("distill: no prompts")
	}
	if err := os.MkdirAll(d.Out, 0o755); err != nil {
		return err
	}
	if err := d.checkManifest(); err != nil {
		return err
	}

	rsPath := filepath.Join(d.Out, RejectionFile)
	if _, err := os.Stat(rsPath); err == nil {
		logf("stage 1/2 (rejection sampling): %s exists, skipped", rsPath)
	} else {
		logf("stage 1/2 (rejection sampling): teacher %s, %d prompts x %d samples", d.Teacher, len(d.Prompts), d.Rejection.N)
		sample := d.Sample
		if sample == nil {
			sample = sampleToFile
		}
		st, err := sample(d.Rejection, b, compute, d.Teacher, d.Prompts, rsPath) // resumes its own partial output
		if err != nil {
			return fmt.Errorf("rejection sampling: %w", err)
		}
		if err := keptSome(st, rsPath); err != nil {
			return fmt.Errorf("rejection sampling: %w: nothing to distil", err)
		}
		logf("stage 1/2: kept %d of %d samples → %s", st.Kept, st.Samples, rsPath)
	}

	cfg := d.SFT
	cfg.Model, cfg.Data, cfg.Out = d.Student, rsPath, filepath.Join(d.Out, SFTDir)
	if _, step, err := train.Latest(cfg.Out); err == nil {
		logf("stage 2/2 (student SFT): resuming %s from step %d", cfg.Out, step)
	} else {
		logf("stage 2/2 (student SFT): student %s on %s", d.Student, rsPath)
	}
	trainFn := d.Train
	if trainFn == nil {
		trainFn = runSFT
	}
	if err := trainFn(cfg, b, compute); err != nil {
		return fmt.Errorf("student SFT: %w", err)
	}
	return nil
}

// runSFT trains an SFT run to its end, resuming it when its directory holds one: the stage
// runner Distill and Recipe use by default.
func runSFT(cfg sft.Config, b backends.Backend, compute dtypes.DType) error {
	tr, err := sft.NewTrainer(cfg, b, compute, true)
	if err != nil {
		return err
	}
	return tr.Run()
}

// sampleToFile is rejection.SampleToFile without progress: the default sampler of Distill and
// Recipe.
func sampleToFile(cfg rejection.Config, b backends.Backend, compute dtypes.DType, dir string, exs []data.Example, out string) (rejection.Stats, error) {
	return rejection.SampleToFile(cfg, b, compute, dir, exs, out, nil)
}

// keptSome removes a samples file that kept nothing (a rerun must not skip to an SFT on
// nothing) and says so.
func keptSome(st rejection.Stats, path string) error {
	if st.Kept > 0 {
		return nil
	}
	os.Remove(path)
	os.Remove(path + ".stats.json")
	return fmt.Errorf("kept no sample of %d (dropped: %v); try more samples (n), a higher max_new_tokens or other prompts", st.Samples, st.Dropped)
}

// checkManifest writes Out/distill.json on the first run and refuses a rerun whose
// teacher, student or prompts differ from it.
func (d *Distill) checkManifest() error {
	h := sha256.New()
	for _, ex := range d.Prompts {
		line, _ := json.Marshal([]string{ex.ID, ex.Prompt, ex.Answer})
		h.Write(append(line, '\n'))
	}
	m := manifest{Teacher: d.Teacher, Student: d.Student, Prompts: len(d.Prompts), PromptsSHA: hex.EncodeToString(h.Sum(nil))}
	path := filepath.Join(d.Out, ManifestFile)
	if raw, err := os.ReadFile(path); err == nil {
		var old manifest
		if err := json.Unmarshal(raw, &old); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		switch {
		case old.Teacher != m.Teacher:
			return fmt.Errorf("%s distils teacher %s, not %s: use another --out", d.Out, old.Teacher, m.Teacher)
		case old.Student != m.Student:
			return fmt.Errorf("%s distils into student %s, not %s: use another --out", d.Out, old.Student, m.Student)
		case old.PromptsSHA != m.PromptsSHA:
			return fmt.Errorf("%s was made from other prompts (%d, sha256 %s…; now %d, %s…): use another --out", d.Out, old.Prompts, old.PromptsSHA[:12], m.Prompts, m.PromptsSHA[:12])
		}
		return nil
	}
	return data.WriteFileAtomic(path, func(w *bufio.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(m)
	})
}
