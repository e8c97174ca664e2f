// Command r1go trains language models to reason with reinforcement learning:
// the DeepSeek-R1 recipe (GRPO with rule-based rewards, SFT, rejection sampling,
// distillation, evaluation) on Hugging Face Qwen2 / Llama checkpoints.
//
// Each subcommand lives in its own file of this package and is listed in commands below.
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"runtime/pprof"
	"strings"
)

// command is one r1go subcommand.
type command struct {
	name    string
	summary string                                      // one line for `r1go help`
	usage   string                                      // argument synopsis, e.g. "--model DIR --input FILE"
	run     func(fs *flag.FlagSet, args []string) error // parses its own flags from args with fs
}

// commands lists every subcommand in the order `r1go help` shows them.
func commands() []*command {
	return []*command{
		cmdGRPO(),
		cmdSFT(),
		cmdRejection(),
		cmdDistill(),
		cmdRecipe(),
		cmdEval(),
		cmdReport(),
		cmdGenerate(),
		cmdInit(),
		cmdVerify(),
		cmdSandbox(),
		cmdTasks(),
		cmdLogprobs(),
		cmdTokenize(),
		cmdTokenizer(),
		cmdTensors(),
		cmdBench(),
	}
}

func main() {
	stop, err := cpuProfile(os.Getenv("R1GO_CPUPROFILE"))
	if err != nil {
		fmt.Fprintln(os.Stderr, "r1go:", err)
		os.Exit(1)
	}
	code := runMain(os.Args[1:])
	stop()
	os.Exit(code)
}

// cpuProfile starts Go's CPU profiler writing to path (R1GO_CPUPROFILE; nothing when empty)
// and returns the function that stops it: where the host's time goes, e.g. on the pure Go
// backend (go tool pprof r1go PATH).
func cpuProfile(path string) (stop func(), err error) {
	if path == "" {
		return func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("R1GO_CPUPROFILE: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("R1GO_CPUPROFILE: %w", err)
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}

func runMain(args []string) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		if len(args) > 1 {
			return runCommand(args[1], []string{"--help"})
		}
		printHelp()
		return 0
	}
	return runCommand(args[0], args[1:])
}

func runCommand(name string, args []string) int {
	for _, c := range commands() {
		if c.name != name {
			continue
		}
		fs := flag.NewFlagSet("r1go "+c.name, flag.ContinueOnError)
		fs.Usage = func() {
			fmt.Fprintf(fs.Output(), "Usage: r1go %s %s\n\n%s\n\nFlags:\n", c.name, c.usage, c.summary)
			fs.PrintDefaults()
		}
		err := c.run(fs, args)
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "r1go %s: %v\n", c.name, err)
			return 1
		}
		return 0
	}
	fmt.Fprintf(os.Stderr, "r1go: unknown command %q (run `r1go help` for the list)\n", name)
	return 2
}

func printHelp() {
	fmt.Println("r1go — the DeepSeek-R1 training system in one binary.")
	fmt.Println()
	fmt.Println("Usage: r1go <command> [flags]   (r1go <command> --help explains every flag)")
	fmt.Println()
	fmt.Println("Commands:")
	for _, c := range commands() {
		fmt.Printf("  %-18s %s\n", c.name, c.summary)
	}
	fmt.Println()
	fmt.Println("Backends: --backend cpu | cuda | <GOMLX_BACKEND string>; default cuda when a CUDA PJRT plugin is found.")
}

// parseFlags parses args into fs and rejects stray positional arguments.
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	return nil
}
