package reward

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/big"
	"regexp"
	"strconv"
	"strings"
)

// maxNumberText is the longest numeric string toRat accepts.
const maxNumberText = 100

// decimalRE matches a signed decimal with optional thousands separators, or a fraction a/b.
var decimalRE = regexp.MustCompile(`^[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?$|^[+-]?\d+/\d+$`)

// toRat converts a number from a dataset field (Go or JSON number, or a numeric string
// such as "42", "-3.5", "1,234" or "7/2") to an exact rational.
func toRat(v any) (*big.Rat, error) {
	switch x := v.(type) {
	case int:
		return new(big.Rat).SetInt64(int64(x)), nil
	case int64:
		return new(big.Rat).SetInt64(x), nil
	case int32:
		return new(big.Rat).SetInt64(int64(x)), nil
	case uint32:
		return new(big.Rat).SetInt64(int64(x)), nil
	case float32:
		return toRat(float64(x))
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return nil, fmt.Errorf("not a finite number: %v", x)
		}
		if x == math.Trunc(x) && math.Abs(x) < 1<<53 {
			return new(big.Rat).SetInt64(int64(x)), nil
		}
		// The shortest decimal that round-trips is what the dataset author wrote (0.1, not
		// 0.1000000000000000055...).
		r, ok := new(big.Rat).SetString(strconv.FormatFloat(x, 'g', -1, 64))
		if !ok {
			return nil, fmt.Errorf("not a number: %v", x)
		}
		return r, nil
	case json.Number:
		return toRat(string(x))
	case string:
		s := strings.TrimSpace(x)
		if len(s) > maxNumberText {
			return nil, fmt.Errorf("number %.20q... longer than %d characters", s, maxNumberText)
		}
		if !decimalRE.MatchString(s) {
			return nil, fmt.Errorf("not a number: %q", s)
		}
		r, ok := new(big.Rat).SetString(strings.ReplaceAll(s, ",", ""))
		if !ok {
			return nil, fmt.Errorf("not a number: %q", s)
		}
		if strings.Contains(s, "/") && r.Denom().Sign() == 0 {
			return nil, fmt.Errorf("zero denominator: %q", s)
		}
		return r, nil
	case nil:
		return nil, errors.New("missing (null)")
	}
	return nil, fmt.Errorf("want a number, got %v (%T)", v, v)
}

// ratString writes r as an integer when it is one, else as a/b.
func ratString(r *big.Rat) string {
	if r.IsInt() {
		return r.Num().String()
	}
	return r.RatString()
}
