// Package mathverify decides whether a model's final answer to a math problem is
// equivalent to the reference answer. It is the accuracy reward of the R1 recipe for
// math tasks, written in pure Go.
//
// The work happens in three stages:
//
//   - Extraction (ExtractAnswer): the final answer text is taken from a free-form
//     response, by priority: the last <answer>…</answer> block, the last \boxed{…}
//     (or \fbox{…}, "\boxed 5"; adjacent boxes are joined into a list), a
//     "final answer: …" / "the answer is …" phrase, the last inline math span, and the
//     last number. Each method can be switched off in Options.Extract.
//   - Parsing: the answer's LaTeX (or plain text) is normalised and parsed into an
//     expression tree: numbers, symbols, \frac, \sqrt[n]{}, powers, functions, implicit
//     multiplication, mixed numbers, percentages, degrees, units, intervals and unions,
//     sets, tuples, matrices, equations, inequalities, ± and multiple-choice letters.
//   - Equivalence: constant expressions are compared exactly with rational (Gaussian
//     rational, for complex numbers) arithmetic from math/big where possible, otherwise
//     numerically; expressions with free variables are compared by evaluating both at
//     random points drawn from a fixed seed, with a relative tolerance. Sets and lists
//     are compared without order, tuples and matrices in order, intervals with their
//     open or closed ends, and relations up to orientation and a constant factor.
//
// Conventions: i is the imaginary unit, e is Euler's number and \pi is π; \log is the
// natural logarithm (\log_b for other bases); free variables are sampled in [0.5, 3.5],
// so identities that hold for positive reals (\sqrt{x^2} = x) are accepted; a number
// directly followed by a fraction of integers is a mixed number (3\frac{1}{2} = 7/2); a
// comma list is unordered unless it is compared with a tuple; x^\circ also equals the
// radian value (Options.DegreesAsRadians) and x\% equals x and x/100 (Options.Percent).
//
// Every stage is bounded: input length, nesting depth, exponent sizes and collection
// sizes are capped, so hostile answers (100,000 nested braces, 2^{2^{100}}, a 1 MB
// answer) return an error or a verdict quickly instead of hanging. All functions are
// safe for concurrent use.
package mathverify
