package reward_test

import (
	"fmt"
	"math/big"

	"github.com/r1go/r1go/reward"
)

// The R1 reward: accuracy plus format, equal weights, each term kept in Parts.
func ExampleParseSpec() {
	c, err := reward.ParseSpec("math:1,format:1")
	if err != nil {
		panic(err)
	}
	totals := c.ScoreAll([]reward.Sample{
		{Prompt: "<｜User｜>What is 6*7?<｜Assistant｜><think>\n", Completion: "6*7 = 42.\n</think>\n\\boxed{42}", Gold: "42"},
		{Prompt: "<｜User｜>What is 6*7?<｜Assistant｜><think>\n", Completion: "6*7 = 42, so \\boxed{42}", Gold: "42"}, // never closes </think>
	})
	for _, t := range totals {
		fmt.Printf("reward %v correct %v math %v format %v\n", t.Reward, t.Correct, t.Parts["math"], t.Parts["format"])
	}
	// Output:
	// reward 2 correct true math 1 format 1
	// reward 0 correct false math 0 format 0
}

// A TinyZero countdown problem: each given number at most once, exact arithmetic.
func ExampleCheckCountdown() {
	nums := []*big.Rat{big.NewRat(44, 1), big.NewRat(19, 1), big.NewRat(35, 1)}
	for _, eq := range []string{"44 + 19 + 35", "(44 - 35) * 19", "44 + 44", "44 / (35 - 35)"} {
		v, err := reward.CheckCountdown(eq, nums, false)
		if err != nil {
			fmt.Printf("%s: %v\n", eq, err)
			continue
		}
		fmt.Printf("%s = %s\n", eq, v.RatString())
	}
	// Output:
	// 44 + 19 + 35 = 98
	// (44 - 35) * 19 = 171
	// 44 + 44: number 44 used more times than given
	// 44 / (35 - 35): division by zero at offset 3
}

// The language consistency reward of R1 is the share of the chain of thought's words in
// the target language; a CJK character counts as one word.
func ExampleLanguageShare() {
	share, _ := reward.LanguageShare("First compute 两个数的和 then check", "en")
	fmt.Printf("%.3f %v\n", share, reward.MixesLanguages("First compute 两个数的和 then check"))
	// Output: 0.444 true
}
