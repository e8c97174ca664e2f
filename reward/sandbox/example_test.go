package sandbox_test

import (
	"context"
	"fmt"

	"github.com/r1go/r1go/reward/sandbox"
)

func ExampleExtractProgram() {
	response := "<think>Read n, print n squared.</think>\n<answer>\n```python\nn = int(input())\nprint(n * n)\n```\n</answer>"
	prog, ok := sandbox.ExtractProgram(response)
	fmt.Printf("%v\n%s", ok, prog)
	// Output:
	// true
	// n = int(input())
	// print(n * n)
}

// The code reward of a response: the fraction of its tests the extracted program passes.
// (No Output comment: it needs python3, which go test cannot assume.)
func ExampleRun() {
	prog, ok := sandbox.ExtractProgram("```python\nn = int(input())\nprint(n * n)\n```")
	if !ok {
		fmt.Println("reward 0: no program")
		return
	}
	tests := []sandbox.TestCase{
		{Stdin: "3\n", Stdout: "9\n"},
		{Stdin: "-4\n", Stdout: "16\n"},
		{Assert: "assert 2 * 2 == 4"},
	}
	rep, err := sandbox.Run(context.Background(), prog, tests, sandbox.DefaultLimits())
	if err != nil {
		fmt.Println("sandbox unavailable:", err)
		return
	}
	fmt.Printf("reward %.2f (%d/%d), protections: %d lines\n", rep.Fraction(), rep.Passed, rep.Total, len(rep.Protections))
}
