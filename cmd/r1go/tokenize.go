package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/r1go/r1go/tokenizer"
)

// cmdTokenize is `r1go tokenize`: JSONL texts to token ids, or ids back to texts.
func cmdTokenize() *command {
	return &command{
		name:    "tokenize",
		summary: "encode JSONL texts to token ids (or decode ids to texts) with a Hugging Face tokenizer.json, exactly as the Rust tokenizers library",
		usage:   "--tokenizer PATH --input FILE.jsonl [--output FILE.jsonl] [--decode [--skip-special]]",
		run:     runTokenize,
	}
}

func runTokenize(fs *flag.FlagSet, args []string) error {
	tokPath := fs.String("tokenizer", "", "a tokenizer.json file, or a model directory holding tokenizer.json (and tokenizer_config.json)")
	input := fs.String("input", "", `input JSONL, "-" for standard input: lines {"id": ..., "text": "..."} (with --decode: {"id": ..., "ids": [...]})`)
	output := fs.String("output", "-", `output JSONL, "-" for standard output: lines {"id": ..., "ids": [...]} in input order (with --decode: {"id": ..., "text": "..."}); a file is written to a temporary name and renamed when complete`)
	decode := fs.Bool("decode", false, "decode token ids to text instead of encoding text")
	skipSpecial := fs.Bool("skip-special", false, "with --decode, drop special tokens (such as <|im_end|>) from the text")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *tokPath == "" {
		return errors.New("--tokenizer is required (a tokenizer.json or a model directory)")
	}
	if *input == "" {
		return errors.New("--input is required (a JSONL file, or - for standard input)")
	}
	if *skipSpecial && !*decode {
		return errors.New("--skip-special only applies with --decode")
	}
	tok, err := tokenizer.Load(*tokPath)
	if err != nil {
		return err
	}
	return withIO(*input, *output, func(r io.Reader, w io.Writer, name string) error {
		if *decode {
			return tok.DecodeJSONL(r, w, name, *skipSpecial)
		}
		return tok.EncodeJSONL(r, w, name)
	})
}

// withIO opens input ("-": stdin) and output ("-": stdout; a file goes through a
// temporary file renamed on success, removed on failure) around fn.
func withIO(input, output string, fn func(r io.Reader, w io.Writer, name string) error) error {
	var r io.Reader = os.Stdin
	name := "<stdin>"
	if input != "-" {
		f, err := os.Open(input)
		if err != nil {
			return err
		}
		defer f.Close()
		r, name = f, input
	}
	if output == "-" {
		return fn(r, os.Stdout, name)
	}
	tmp, err := os.CreateTemp(filepath.Dir(output), "."+filepath.Base(output)+".tmp*")
	if err != nil {
		return err
	}
	err = fn(r, tmp, name)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp.Name(), 0o644)
	}
	if err == nil {
		err = os.Rename(tmp.Name(), output)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return nil
}

// cmdTokenizer is `r1go tokenizer`: train a small BPE tokenizer, or describe one.
func cmdTokenizer() *command {
	return &command{
		name:    "tokenizer",
		summary: "train a small byte-level BPE tokenizer for tiny from-scratch models (train), or describe a tokenizer (info)",
		usage:   "train --input corpus.txt --vocab-size N --out DIR [--special-tokens a,b] | info --tokenizer PATH",
		run:     runTokenizer,
	}
}

func runTokenizer(fs *flag.FlagSet, args []string) error {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "-help") {
			fs.Usage()
			return flag.ErrHelp
		}
		return errors.New("want a subcommand: train or info (r1go tokenizer train --help)")
	}
	switch args[0] {
	case "train":
		return runTokenizerTrain(fs, args[1:])
	case "info":
		return runTokenizerInfo(fs, args[1:])
	}
	return fmt.Errorf("unknown subcommand %q (want train or info)", args[0])
}

func runTokenizerTrain(fs *flag.FlagSet, args []string) error {
	input := fs.String("input", "", `training text, UTF-8 ("-" for standard input); added tokens written in it (<think>, <|endoftext|>, ...) are kept whole, not learned`)
	vocab := fs.Int("vocab-size", 0, fmt.Sprintf("number of ids in the vocabulary: %d added tokens + 256 byte symbols + merges (training stops earlier when no pair occurs twice)", len(tokenizer.DefaultAddedTokens)))
	out := fs.String("out", "", "directory to write tokenizer.json and tokenizer_config.json into (created if needed; Load and transformers' AutoTokenizer read it)")
	specials := fs.String("special-tokens", "", "comma-separated extra special tokens, after the built-in "+defaultAddedList())
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *input == "" || *out == "" {
		return errors.New("--input and --out are required")
	}
	if *vocab <= 0 {
		return errors.New("--vocab-size is required (e.g. 1024 for a tiny model)")
	}
	var extra []string
	if *specials != "" {
		extra = strings.Split(*specials, ",")
	}
	var r io.Reader = os.Stdin
	if *input != "-" {
		f, err := os.Open(*input)
		if err != nil {
			return err
		}
		defer f.Close()
		r = f
	}
	tok, err := tokenizer.Train(r, *vocab, extra)
	if err != nil {
		return err
	}
	if err := tok.Save(*out); err != nil {
		return err
	}
	fmt.Printf("trained a byte-level BPE tokenizer: %d ids (%d merges) → %s\n", tok.VocabSize(), tok.NumMerges(), filepath.Join(*out, "tokenizer.json"))
	return nil
}

func defaultAddedList() string {
	var s []string
	for _, a := range tokenizer.DefaultAddedTokens {
		s = append(s, a.Content)
	}
	return strings.Join(s, " ")
}

func runTokenizerInfo(fs *flag.FlagSet, args []string) error {
	tokPath := fs.String("tokenizer", "", "a tokenizer.json file, or a model directory holding tokenizer.json (and tokenizer_config.json)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *tokPath == "" {
		return errors.New("--tokenizer is required")
	}
	tok, err := tokenizer.Load(*tokPath)
	if err != nil {
		return err
	}
	name := func(id int32, ok bool) string {
		if !ok {
			return "none"
		}
		s, _ := tok.Token(id)
		return fmt.Sprintf("%d %s", id, s)
	}
	fmt.Printf("vocab size  %d (%d merges)\n", tok.VocabSize(), tok.NumMerges())
	fmt.Printf("bos         %s (added to every sequence: %v)\n", name(tok.BOS()), tok.AddBOS())
	var eos []string
	for _, id := range tok.EOS() {
		eos = append(eos, name(id, true))
	}
	fmt.Printf("eos         %s\n", strings.Join(eos, ", "))
	fmt.Printf("pad         %s\n", name(tok.Pad()))
	fmt.Printf("pre-tokenizer %s\n", tok.PreTokenizerInfo())
	return nil
}
