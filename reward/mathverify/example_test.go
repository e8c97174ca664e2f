package mathverify_test

import (
	"fmt"

	"github.com/r1go/r1go/reward/mathverify"
)

func ExampleVerify() {
	opts := mathverify.DefaultOptions()
	r := mathverify.Verify(`\frac{1}{2}`, "<think>Half of the pie.</think><answer>$0.5$</answer>", opts)
	fmt.Println(r.Correct, r.Pred, r.Gold)

	// The box wins: a right number elsewhere does not save a wrong boxed answer.
	r = mathverify.Verify(`12`, `First I got 12, but then $\boxed{13}$.`, opts)
	fmt.Println(r.Correct, r.Pred)
	// Output:
	// true 0.5 \frac{1}{2}
	// false 13
}

func ExampleEqual() {
	opts := mathverify.DefaultOptions()
	fmt.Println(mathverify.Equal(`2\sqrt{2}`, `\sqrt{8}`, opts))
	fmt.Println(mathverify.Equal(`x^2+2x+1`, `(x+1)^2`, opts))
	fmt.Println(mathverify.Equal(`\{1,2\}`, `\{2,1\}`, opts))
	fmt.Println(mathverify.Equal(`(1,2)`, `(2,1)`, opts))
	fmt.Println(mathverify.Equal(`[1,2)`, `[1,2]`, opts))
	fmt.Println(mathverify.Equal(`x \le 5`, `5 \ge x`, opts))
	// Output:
	// true
	// true
	// true
	// false
	// false
	// true
}

func ExampleExtractAnswer() {
	opts := mathverify.DefaultOptions()
	fmt.Println(mathverify.ExtractAnswer(`The roots are $\boxed{1}$ and $\boxed{-2}$.`, opts))
	opts.Extract = mathverify.ExtractBoxed // boxes only
	fmt.Println(mathverify.ExtractAnswer(`The answer is 7.`, opts))
	// Output:
	// 1, -2 true
	//  false
}
