package mathverify

import (
	"fmt"
	"math"
)

// ExtractMode is a set of answer-extraction methods, tried in the order listed by the
// constants below; the first that finds something wins.
type ExtractMode uint8

const (
	// ExtractAnswerTag takes the content of the last <answer>…</answer> block (R1's
	// output format); inside it a box, a phrase or the whole content is used.
	ExtractAnswerTag ExtractMode = 1 << iota
	// ExtractBoxed takes the last \boxed{…} / \fbox{…} / "\boxed x"; boxes separated only
	// by commas, "and" or "or" are joined into one list.
	ExtractBoxed
	// ExtractPhrase takes what follows the last "final answer is", "final answer:",
	// "the answer is", "answer:" or GSM8K's "####", up to the end of the sentence.
	ExtractPhrase
	// ExtractLastMath takes the content of the last $…$, $$…$$, \(…\) or \[…\] span.
	ExtractLastMath
	// ExtractLastNumber takes the last number in the text (with thousands separators,
	// decimals, a sign, or a simple fraction a/b).
	ExtractLastNumber

	// ExtractAll enables every method.
	ExtractAll = ExtractAnswerTag | ExtractBoxed | ExtractPhrase | ExtractLastMath | ExtractLastNumber
)

// PercentMode says how an answer with a percent sign compares with one without.
type PercentMode uint8

const (
	// PercentLenient accepts both readings: 50\% equals 50\%, 0.5 and 50.
	PercentLenient PercentMode = iota
	// PercentFraction reads x\% as x/100 only: 50\% equals 0.5 and 1/2, not 50.
	PercentFraction
	// PercentNumber drops the sign: 50\% equals 50, not 0.5.
	PercentNumber
)

// Options configures extraction and equivalence. Use DefaultOptions and change
// fields; the zero value extracts nothing.
type Options struct {
	// Extract selects the extraction methods ExtractAnswer may use.
	Extract ExtractMode
	// Percent says how percentages compare with plain numbers.
	Percent PercentMode
	// Precision, when positive, also accepts two real constants that are equal after
	// rounding both to this many decimal places (3.14159 vs 3.1416 with Precision 3).
	Precision int
	// RelTol is the relative tolerance of numeric (floating point) comparisons, used
	// when exact rational arithmetic cannot decide (irrational constants, free
	// variables). Values closer than RelTol·max(|a|,|b|) + 1e-12 are equal. A
	// rational constant compared with an irrational-looking one (\pi, \sqrt{2},
	// \sin 1) gets RelTol/1000, so rational approximations of irrationals are not
	// equal to them; use Precision to accept rounded decimals.
	RelTol float64
	// DecimalComma reads "3,5" as 3.5 (continental notation) instead of the list 3, 5.
	// "3{,}5" is always a decimal comma.
	DecimalComma bool
	// DegreesAsRadians also accepts 30^\circ as \frac{\pi}{6} (it always equals 30).
	DegreesAsRadians bool
	// MaxLen caps the length in bytes of an extracted answer; longer answers are
	// rejected with ErrTooLong. Responses themselves may be of any length.
	MaxLen int
	// Points is the number of random points at which expressions with free variables
	// are compared.
	Points int
	// Seed seeds the random points (the same seed gives the same verdicts).
	Seed uint64
}

// DefaultOptions returns the recommended settings: every extraction method, lenient
// percentages, exact comparison (Precision 0), RelTol 1e-9, degrees also as radians,
// 4096-byte answers, 6 random points.
func DefaultOptions() Options {
	return Options{
		Extract:          ExtractAll,
		Percent:          PercentLenient,
		RelTol:           1e-9,
		DegreesAsRadians: true,
		MaxLen:           4096,
		Points:           6,
		Seed:             20250122,
	}
}

// Validate reports the first field of o that is out of range, naming it.
func (o Options) Validate() error {
	switch {
	case o.Extract&^ExtractAll != 0:
		return fmt.Errorf("mathverify: Extract: unknown method bits %#x", uint8(o.Extract&^ExtractAll))
	case o.Percent > PercentNumber:
		return fmt.Errorf("mathverify: Percent: unknown mode %d", o.Percent)
	case o.Precision < 0 || o.Precision > 30:
		return fmt.Errorf("mathverify: Precision: %d decimal places, want 0 to 30", o.Precision)
	case o.RelTol < 0 || o.RelTol >= 1 || math.IsNaN(o.RelTol):
		return fmt.Errorf("mathverify: RelTol: %g, want a value in [0, 1)", o.RelTol)
	case o.MaxLen < 0:
		return fmt.Errorf("mathverify: MaxLen: %d, want 0 (default) or more", o.MaxLen)
	case o.Points < 0 || o.Points > 64:
		return fmt.Errorf("mathverify: Points: %d, want 0 (default) to 64", o.Points)
	}
	return nil
}
