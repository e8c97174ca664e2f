package main

import (
	"errors"
	"flag"
	"fmt"
	"os"

	"github.com/r1go/r1go/data"
)

// cmdTasks is `r1go tasks`: list the built-in synthetic tasks or write one's problems.
func cmdTasks() *command {
	return &command{
		name:    "tasks",
		summary: "list the built-in synthetic tasks (countdown, arith, copy-digit), or write a task's train or held-out test problems as JSONL",
		usage:   "[--task NAME --split train|test --n N [--seed S] [--out FILE.jsonl]]",
		run:     runTasks,
	}
}

func runTasks(fs *flag.FlagSet, args []string) error {
	name := fs.String("task", "", "task whose problems to write (arith takes a difficulty: arith:1 … arith:5); without it, the tasks are listed")
	split := fs.String("split", "test", "which problems: test (the fixed held-out set, the same on every call) or train (drawn with --seed; disjoint from test)")
	n := fs.Int("n", 100, "number of problems to write (a task with a small problem space may have fewer held-out problems)")
	seed := fs.Int64("seed", 0, "seed of the train split")
	out := fs.String("out", "", "JSONL file to write (id, prompt, answer and the task fields, the layout --data reads); default standard output")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *name == "" {
		for _, t := range data.TaskNames() {
			task, err := data.TaskByName(t)
			if err != nil {
				return err
			}
			fmt.Printf("%-11s reward %-22s %s\n", t, task.Reward(), data.TaskSummary(t))
		}
		return nil
	}
	task, err := data.TaskByName(*name)
	if err != nil {
		return err
	}
	if *n < 1 {
		return fmt.Errorf("--n: want at least 1 problem, got %d", *n)
	}
	var exs []data.Example
	switch *split {
	case "test":
		exs = task.Test(*n)
	case "train":
		exs = task.Train(*seed, *n)
	default:
		return fmt.Errorf("--split: want train or test, got %q", *split)
	}
	if len(exs) == 0 {
		return errors.New("the task produced no problems")
	}
	if *out != "" {
		if err := data.WriteJSONL(*out, exs); err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "wrote %d %s problems of %s to %s (reward %s)\n", len(exs), *split, task.Name(), *out, task.Reward())
		return nil
	}
	return data.EncodeJSONL(os.Stdout, exs)
}
