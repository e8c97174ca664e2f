package main

import (
	"flag"
	"fmt"
	"path/filepath"

	"github.com/r1go/r1go/report"
)

// cmdReport is `r1go report`: charts of one or several runs' metrics as one HTML page.
func cmdReport() *command {
	return &command{
		name:    "report",
		summary: "draw the metrics of GRPO or SFT runs as one self-contained HTML page (a chart per metric, several runs overlaid, last values, latest samples); grpo and sft also write RUN/report.html as they go",
		usage:   "RUN_DIR... [--out FILE.html] [--smooth W] [--title T]",
		run:     runReport,
	}
}

func runReport(fs *flag.FlagSet, args []string) error {
	out := fs.String("out", "", "HTML file to write; default RUN_DIR/report.html for one run (required for several)")
	smooth := fs.Float64("smooth", 0.6, "weight of the exponential moving average drawn over the raw values, in [0, 1); 0 draws the raw values only")
	title := fs.String("title", "", "page title; default the runs' names")
	dirs, err := parseWithArgs(fs, args)
	if err != nil {
		return err
	}
	if len(dirs) == 0 {
		return fmt.Errorf("give one or more run directories (each with a metrics.jsonl)")
	}
	if *out == "" {
		if len(dirs) > 1 {
			return fmt.Errorf("--out is required with several runs")
		}
		*out = filepath.Join(dirs[0], "report.html")
	}
	var runs []*report.Run
	for _, d := range dirs {
		r, err := report.Load(d)
		if err != nil {
			return err
		}
		runs = append(runs, r)
	}
	if err := report.WriteFile(*out, runs, report.Options{Title: *title, Smooth: *smooth}); err != nil {
		return err
	}
	fmt.Printf("r1go report: wrote %s\n", *out)
	return nil
}

// parseWithArgs parses flags that may come before, between or after positional arguments,
// and returns the positional arguments in order.
func parseWithArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}
