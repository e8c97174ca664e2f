package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"reflect"
	"strings"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/r1go/r1go/backend"
	"github.com/r1go/r1go/data"
	"github.com/r1go/r1go/pipeline"
	"github.com/r1go/r1go/rejection"
	"github.com/r1go/r1go/tokenizer"
	"github.com/r1go/r1go/train/sft"
)

// cmdDistill is `r1go distill`: teacher → rejection-sampled data → student SFT.
func cmdDistill() *command {
	return &command{
		name:    "distill",
		summary: "distil a teacher into a student sharing its tokenizer: rejection-sample the teacher, fine-tune the student (resumable)",
		usage:   "--teacher DIR --student DIR (--data FILE | --task NAME) --out DIR [rejection-sample flags] [--sft-KEY VALUE ...]",
		run:     runDistill,
	}
}

func runDistill(fs *flag.FlagSet, args []string) error {
	teacher := fs.String("teacher", "", "teacher model directory (sampled)")
	student := fs.String("student", "", "student model directory (fine-tuned); must share the teacher's tokenizer, may differ in size")
	dataPath := fs.String("data", "", "prompt dataset with reference answers (JSONL, JSON or Parquet)")
	out := fs.String("out", "", "output directory: distill.json, rejection.jsonl (+ .stats.json), sft/ (checkpoints, metrics.jsonl); rerunning resumes")
	sftConfig := fs.String("sft-config", "", "YAML file of SFT settings for the student (keys as r1go sft's; model, data and out are set by distill)")
	backendFlag := fs.String("backend", "", backend.Flag)
	dtype := fs.String("dtype", "", "compute precision: bf16 or f32; default bf16 on cuda, f32 on cpu")
	o := rejectionFlags(fs)
	var sets [][2]string
	for _, k := range sft.Keys() {
		if k.Name == "model" || k.Name == "data" || k.Name == "out" {
			continue
		}
		k := k
		name := "sft-" + strings.ReplaceAll(k.Name, "_", "-")
		set := func(v string) error { sets = append(sets, [2]string{k.Name, v}); return nil }
		if k.Kind == reflect.Bool {
			fs.BoolFunc(name, "student SFT: "+withDefault(k), set)
		} else {
			fs.Func(name, "student SFT: "+withDefault(k), set)
		}
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *teacher == "" || *student == "" || *out == "" {
		return errors.New("--teacher, --student and --out are required")
	}
	if err := pipeline.SameTokenizer(*teacher, *student); err != nil { // before loading any data or weights
		return err
	}
	cfg := sft.DefaultConfig()
	if *sftConfig != "" {
		var err error
		if cfg, err = sft.ReadConfig(*sftConfig); err != nil {
			return err
		}
	}
	for _, s := range sets {
		if err := cfg.Set(s[0], s[1]); err != nil {
			return fmt.Errorf("--sft-%s: %w", strings.ReplaceAll(s[0], "_", "-"), err)
		}
	}
	check := cfg
	check.Model, check.Data, check.Out = *student, "rejection.jsonl", *out
	if err := check.Validate(); err != nil {
		return err
	}
	tok, err := tokenizer.Load(*teacher)
	if err != nil {
		return fmt.Errorf("tokenizer of %s: %w", *teacher, err)
	}
	exs, err := o.prompts(*dataPath, tok)
	if err != nil {
		return err
	}
	b, compute, err := openBackend("distill", *backendFlag, *dtype)
	if err != nil {
		return err
	}
	d := &pipeline.Distill{
		Teacher: *teacher, Student: *student, Out: *out, Prompts: exs, Rejection: o.cfg, SFT: cfg,
		Sample: func(c rejection.Config, b backends.Backend, compute dtypes.DType, dir string, exs []data.Example, out string) (rejection.Stats, error) {
			return sampleWithProgress("distill", c, b, compute, dir, exs, out)
		},
		Train: func(c sft.Config, b backends.Backend, compute dtypes.DType) error {
			return trainSFT("distill", c, b, compute, true)
		},
		Log: func(format string, args ...any) { fmt.Fprintf(os.Stderr, "r1go distill: "+format+"\n", args...) },
	}
	return d.Run(b, compute)
}
