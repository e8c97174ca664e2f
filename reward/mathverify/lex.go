package mathverify

import (
	"fmt"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// tokKind is the kind of a lexical token of an answer.
type tokKind uint8

const (
	tEOF    tokKind = iota
	tNum            // text: digits, optional '.' and fraction digits
	tIdent          // text: a variable or constant name ("x", "alpha", "pi")
	tInf            // \infty
	tFunc           // text: function name ("sin", "log", ...)
	tFrac           // \frac and variants
	tBinom          // \binom and variants
	tSqrt           // \sqrt
	tUnit           // text: a unit or other word to drop ("cm", "dollars"); a text answer when alone
	tChoice         // text: a multiple-choice letter ("B")
	tPlus
	tMinus
	tMul
	tDiv
	tPow
	tSub // '_'
	tLParen
	tRParen
	tLBrack
	tRBrack
	tLBrace // '{' (a group)
	tRBrace
	tSetL // \{
	tSetR // \}
	tComma
	tBar
	tFact
	tPercent
	tDegree
	tEq
	tLt
	tGt
	tLe
	tGe
	tNe
	tIn
	tPM
	tMP
	tCup
	tCap
	tSetminus
	tBegin // text: environment name
	tEnd   // text: environment name
	tRowSep
	tColSep
	tLFloor
	tRFloor
	tLCeil
	tRCeil
	tReals
	tEmpty
)

// token is one lexical unit of an answer.
type token struct {
	k    tokKind
	text string
}

// maxLexDepth bounds the nesting of \text{…} groups that are lexed again.
const maxLexDepth = 8

var (
	funcNames = map[string]bool{
		"sin": true, "cos": true, "tan": true, "cot": true, "sec": true, "csc": true,
		"arcsin": true, "arccos": true, "arctan": true, "arccot": true, "arcsec": true, "arccsc": true,
		"sinh": true, "cosh": true, "tanh": true, "coth": true,
		"ln": true, "log": true, "lg": true, "exp": true, "abs": true,
		"gcd": true, "lcm": true, "min": true, "max": true, "det": true,
	}
	greek = map[string]bool{
		"alpha": true, "beta": true, "gamma": true, "delta": true, "epsilon": true, "varepsilon": true,
		"zeta": true, "eta": true, "theta": true, "vartheta": true, "iota": true, "kappa": true,
		"lambda": true, "mu": true, "nu": true, "xi": true, "rho": true, "varrho": true,
		"sigma": true, "tau": true, "upsilon": true, "phi": true, "varphi": true, "chi": true,
		"psi": true, "omega": true, "Gamma": true, "Delta": true, "Theta": true, "Lambda": true,
		"Xi": true, "Pi": true, "Sigma": true, "Upsilon": true, "Phi": true, "Psi": true, "Omega": true,
	}
	// greekRunes names Unicode Greek letters as their LaTeX commands (β is \beta).
	greekRunes = map[rune]string{
		'α': "alpha", 'β': "beta", 'γ': "gamma", 'δ': "delta", 'ε': "epsilon", 'ζ': "zeta",
		'η': "eta", 'θ': "theta", 'ι': "iota", 'κ': "kappa", 'λ': "lambda", 'μ': "mu", 'ν': "nu",
		'ξ': "xi", 'ρ': "rho", 'σ': "sigma", 'τ': "tau", 'υ': "upsilon", 'φ': "phi", 'ϕ': "phi",
		'χ': "chi", 'ψ': "psi", 'ω': "omega", 'Γ': "Gamma", 'Δ': "Delta", 'Θ': "Theta",
		'Λ': "Lambda", 'Ξ': "Xi", 'Σ': "Sigma", 'Φ': "Phi", 'Ψ': "Psi", 'Ω': "Omega",
	}
	// skipCmds are commands with no mathematical meaning.
	skipCmds = map[string]bool{
		"left": true, "right": true, "big": true, "Big": true, "bigg": true, "Bigg": true,
		"bigl": true, "bigr": true, "Bigl": true, "Bigr": true, "biggl": true, "biggr": true,
		"Biggl": true, "Biggr": true, "middle": true, "displaystyle": true, "textstyle": true,
		"scriptstyle": true, "limits": true, "nolimits": true, "boxed": true, "fbox": true,
		"mathstrut": true, "hfill": true, "hat": true, "bar": true, "vec": true, "tilde": true,
		"overline": true, "underline": true, "widehat": true, "widetilde": true,
		"overrightarrow": true, "ensuremath": true, "cancel": true, "negthinspace": true,
		"thinspace": true, "enspace": true, "medspace": true, "thickspace": true, "prime": true,
		"dagger": true, "ddot": true, "angle": true, "measuredangle": true, "triangle": true,
		"operatorname*": true, "mathring": true, "check": true, "breve": true, "acute": true, "grave": true,
	}
	textCmds = map[string]bool{
		"text": true, "textbf": true, "textit": true, "textrm": true, "textnormal": true,
		"texttt": true, "textsf": true, "mbox": true, "hbox": true, "emph": true,
	}
	fontCmds = map[string]bool{
		"mathrm": true, "mathbf": true, "mathit": true, "mathsf": true, "mathcal": true,
		"boldsymbol": true, "bm": true, "mathtt": true, "mathnormal": true,
	}
	// unitWords are words dropped after a quantity ("5 cm", "18 dollars").
	unitWords = map[string]bool{
		"cm": true, "mm": true, "km": true, "meter": true, "meters": true, "metre": true, "metres": true,
		"centimeter": true, "centimeters": true, "millimeters": true, "kilometers": true,
		"inch": true, "inches": true, "ft": true, "feet": true, "foot": true, "yd": true, "yard": true,
		"yards": true, "mile": true, "miles": true, "mi": true, "mph": true, "kph": true,
		"unit": true, "units": true, "sq": true, "square": true, "cubic": true,
		"dollar": true, "dollars": true, "cent": true, "cents": true, "usd": true, "euros": true,
		"hour": true, "hours": true, "hr": true, "hrs": true, "minute": true, "minutes": true,
		"mins": true, "second": true, "seconds": true, "secs": true, "day": true, "days": true,
		"week": true, "weeks": true, "month": true, "months": true, "year": true, "years": true,
		"kg": true, "gram": true, "grams": true, "pound": true, "pounds": true, "lb": true,
		"lbs": true, "ounce": true, "ounces": true, "oz": true, "liter": true, "liters": true,
		"litre": true, "litres": true, "ml": true, "gallon": true, "gallons": true,
		"radian": true, "radians": true, "rad": true, "people": true, "persons": true,
		"students": true, "ways": true, "times": true, "points": true, "items": true,
		"cups": true, "pages": true, "percentage": true, "st": true, "nd": true, "rd": true, "th": true,
	}
	// A whole answer that is one number with comma thousands separators ("58,500").
	thousandsRe = regexp.MustCompile(`^[^\d,(\[{]*[-+]?\d{1,3}(,\d{3})+(\.\d+)?[^\d,]*$`)
)

// lexer turns an answer into tokens.
type lexer struct {
	s         string
	i         int
	out       []token
	opts      *Options
	thousands bool // every comma is a thousands separator
}

// lex tokenizes an answer string (already known to be at most MaxLen bytes).
func lex(s string, opts *Options) ([]token, error) {
	lx := &lexer{s: s, opts: opts, out: make([]token, 0, len(s)/2+4)}
	lx.thousands = strings.IndexByte(s, ',') >= 0 && thousandsRe.MatchString(strings.ReplaceAll(s, `\!`, ""))
	if err := lx.run(0); err != nil {
		return nil, err
	}
	return lx.out, nil
}

func (lx *lexer) emit(k tokKind, text string) { lx.out = append(lx.out, token{k, text}) }

// readGroup reads a {…} group starting at lx.i (which must be '{') and returns its
// content. Nesting is counted, not recursed, so deep inputs cost linear time.
func (lx *lexer) readGroup() (string, error) {
	s := lx.s
	if lx.i >= len(s) || s[lx.i] != '{' {
		return "", fmt.Errorf("expected '{' at offset %d", lx.i)
	}
	depth := 0
	for j := lx.i; j < len(s); j++ {
		switch s[j] {
		case '\\':
			j++ // skip the escaped character
		case '{':
			depth++
		case '}':
			depth--
			if depth == 0 {
				content := s[lx.i+1 : j]
				lx.i = j + 1
				return content, nil
			}
		}
	}
	return "", fmt.Errorf("unbalanced '{' at offset %d", lx.i)
}

func (lx *lexer) skipSpace() {
	for lx.i < len(lx.s) && (lx.s[lx.i] == ' ' || lx.s[lx.i] == '\t' || lx.s[lx.i] == '\n' || lx.s[lx.i] == '\r') {
		lx.i++
	}
}

func isDigit(c byte) bool  { return c >= '0' && c <= '9' }
func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// digitsAt reports how many digits start at position j.
func digitsAt(s string, j int) int {
	n := 0
	for j+n < len(s) && isDigit(s[j+n]) {
		n++
	}
	return n
}

// lexNumber reads a number at lx.i, merging thousands separators (",\!", "\,", and
// plain commas when the whole answer is one such number) and decimal commas.
func (lx *lexer) lexNumber() {
	s := lx.s
	var b strings.Builder
	n := digitsAt(s, lx.i)
	b.WriteString(s[lx.i : lx.i+n])
	lx.i += n
	if n > 0 {
		for {
			j := lx.i
			switch {
			case strings.HasPrefix(s[j:], `,\!`):
				j += 3
			case strings.HasPrefix(s[j:], `\,`):
				j += 2
			case lx.thousands && j < len(s) && s[j] == ',':
				j++
			default:
				j = -1
			}
			if j < 0 {
				break
			}
			for j < len(s) && s[j] == ' ' {
				j++
			}
			if digitsAt(s, j) != 3 {
				break
			}
			b.WriteString(s[j : j+3])
			lx.i = j + 3
		}
	}
	// Decimal part: ".5", "{,}5", or "3,5" with DecimalComma.
	j := lx.i
	switch {
	case j < len(s) && s[j] == '.' && digitsAt(s, j+1) > 0:
		j++
	case strings.HasPrefix(s[j:], "{,}") && digitsAt(s, j+3) > 0:
		j += 3
	case lx.opts.DecimalComma && n > 0 && j < len(s) && s[j] == ',' && digitsAt(s, j+1) > 0 && digitsAt(s, j+1) != 3:
		j++
	default:
		j = -1
	}
	hasPoint := j >= 0
	if j >= 0 {
		m := digitsAt(s, j)
		b.WriteByte('.')
		b.WriteString(s[j : j+m])
		lx.i = j + m
	}
	// A repeating decimal: 0.\overline{3}, 0.1\overline{6} (written "0.1(6)").
	rest := s[lx.i:]
	if !hasPoint && strings.HasPrefix(rest, `.\overline{`) {
		b.WriteByte('.')
		lx.i++
		rest = rest[1:]
		hasPoint = true
	}
	if hasPoint && strings.HasPrefix(rest, `\overline{`) {
		k := lx.i + len(`\overline{`)
		if m := digitsAt(s, k); m > 0 && k+m < len(s) && s[k+m] == '}' {
			b.WriteString("(" + s[k:k+m] + ")")
			lx.i = k + m + 1
			lx.emit(tNum, b.String())
			return
		}
	}
	// Scientific notation in plain text: 1.5e3, 2E-4 (not 2e, which is 2·e).
	if k := lx.i; k < len(s) && (s[k] == 'e' || s[k] == 'E') && n > 0 {
		k++
		if k < len(s) && (s[k] == '-' || s[k] == '+') {
			k++
		}
		if m := digitsAt(s, k); m > 0 && m <= 4 && (k+m == len(s) || !isLetter(s[k+m])) {
			b.WriteString("e" + s[lx.i+1:k+m])
			lx.i = k + m
		}
	}
	lx.emit(tNum, b.String())
}

// run lexes lx.s from lx.i to the end.
func (lx *lexer) run(depth int) error {
	s := lx.s
	for lx.i < len(s) {
		c := s[lx.i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '~' || c == '$':
			lx.i++
		case isDigit(c) || c == '.' && lx.i+1 < len(s) && isDigit(s[lx.i+1]):
			lx.lexNumber()
		case isLetter(c):
			j := lx.i
			for j < len(s) && isLetter(s[j]) {
				j++
			}
			lx.word(s[lx.i:j])
			lx.i = j
		case c == '\\':
			if err := lx.command(depth); err != nil {
				return err
			}
		case c >= utf8.RuneSelf:
			r, size := utf8.DecodeRuneInString(s[lx.i:])
			lx.i += size
			if err := lx.unicode(r); err != nil {
				return err
			}
		default:
			lx.i++
			if err := lx.punct(c); err != nil {
				return err
			}
		}
	}
	return nil
}

// word classifies a run of ASCII letters outside commands.
func (lx *lexer) word(w string) {
	lw := strings.ToLower(w)
	switch {
	case len(w) == 1:
		lx.emit(tIdent, w)
	case funcNames[lw]:
		lx.emit(tFunc, lw)
	case lw == "sqrt":
		lx.emit(tSqrt, "")
	case lw == "pi":
		lx.emit(tIdent, "pi")
	case greek[w]:
		lx.emit(tIdent, w)
	case lw == "inf" || lw == "infty" || lw == "infinity" || lw == "oo":
		lx.emit(tInf, "")
	case lw == "and" || lw == "or":
		lx.emit(tComma, "")
	case lw == "degrees" || lw == "degree" || lw == "deg":
		lx.emit(tDegree, "")
	case lw == "percent":
		lx.emit(tPercent, "")
	case unitWords[lw]:
		lx.emit(tUnit, w)
	case len(w) >= 4 && !greek[w]:
		// An English word ("apples", "Evelyn"): a unit next to math, a text answer alone.
		lx.emit(tUnit, w)
	default:
		for k := 0; k < len(w); k++ {
			lx.emit(tIdent, w[k:k+1])
		}
	}
}

var choiceRe = regexp.MustCompile(`^\(?([A-Z])\)?$`)

// text classifies the content of \text{…} and similar commands.
func (lx *lexer) text(content string, depth int) error {
	t := strings.TrimSpace(content)
	lt := strings.ToLower(t)
	switch {
	case t == "":
		return nil
	case lt == "and" || lt == "or" || lt == "," || lt == "and," || lt == "or,":
		lx.emit(tComma, "")
		return nil
	case choiceRe.MatchString(t):
		lx.emit(tChoice, choiceRe.FindStringSubmatch(t)[1])
		return nil
	case lt == "degrees" || lt == "degree" || lt == "deg" || lt == "°":
		lx.emit(tDegree, "")
		return nil
	case lt == "%" || lt == "percent":
		lx.emit(tPercent, "")
		return nil
	}
	if isWords(t) {
		lx.emit(tUnit, t)
		return nil
	}
	if depth >= maxLexDepth {
		return fmt.Errorf("\\text nested deeper than %d", maxLexDepth)
	}
	sub := &lexer{s: content, opts: lx.opts, thousands: lx.thousands}
	if err := sub.run(depth + 1); err != nil {
		return err
	}
	lx.out = append(lx.out, sub.out...)
	return nil
}

// isWords reports whether t consists of letters, spaces and simple punctuation only.
func isWords(t string) bool {
	letters := 0
	for _, r := range t {
		switch {
		case unicode.IsLetter(r):
			letters++
		case r == ' ' || r == '.' || r == '-' || r == '\'' || r == '/':
		default:
			return false
		}
	}
	return letters > 0
}

// command lexes a backslash command at lx.i.
func (lx *lexer) command(depth int) error {
	s := lx.s
	lx.i++ // the backslash
	if lx.i >= len(s) {
		return nil
	}
	c := s[lx.i]
	if !isLetter(c) {
		lx.i++
		switch c {
		case '{':
			lx.emit(tSetL, "")
		case '}':
			lx.emit(tSetR, "")
		case '\\':
			lx.emit(tRowSep, "")
		case '%':
			lx.emit(tPercent, "")
		case '|':
			lx.emit(tBar, "")
		case '(', '[':
			// inline / display math delimiters: no meaning inside an answer
		case ')', ']':
		case ',', '!', ';', ':', ' ', '$', '#', '>', '&':
		}
		return nil
	}
	j := lx.i
	for j < len(s) && isLetter(s[j]) {
		j++
	}
	name := s[lx.i:j]
	lx.i = j
	switch {
	case name == "left" || name == "right" || strings.HasPrefix(name, "big") || strings.HasPrefix(name, "Big") || name == "middle":
		lx.skipSpace()
		if lx.i < len(s) && s[lx.i] == '.' {
			lx.i++ // \left. and \right. are invisible delimiters
		}
	case skipCmds[name]:
	case name == "quad" || name == "qquad":
		lx.emit(tComma, "")
	case textCmds[name]:
		lx.skipSpace()
		if lx.i >= len(s) || s[lx.i] != '{' {
			return nil
		}
		content, err := lx.readGroup()
		if err != nil {
			return err
		}
		return lx.text(content, depth)
	case fontCmds[name] || name == "operatorname" || name == "mathbb":
		lx.skipSpace()
		if lx.i >= len(s) || s[lx.i] != '{' {
			return nil // the next token is the argument, lexed normally
		}
		content, err := lx.readGroup()
		if err != nil {
			return err
		}
		t := strings.TrimSpace(content)
		switch {
		case name == "mathbb" && t == "R":
			lx.emit(tReals, "")
		case name == "operatorname" && isWords(t):
			if funcNames[strings.ToLower(t)] {
				lx.emit(tFunc, strings.ToLower(t))
			} else {
				lx.emit(tIdent, t)
			}
		case len(t) > 1 && isWords(t) && !funcNames[t] && !greek[t]:
			lx.emit(tUnit, t)
		default:
			if depth >= maxLexDepth {
				return fmt.Errorf("\\%s nested deeper than %d", name, maxLexDepth)
			}
			sub := &lexer{s: content, opts: lx.opts, thousands: lx.thousands}
			if err := sub.run(depth + 1); err != nil {
				return err
			}
			lx.out = append(lx.out, sub.out...)
		}
	case symbolCmds[name] != tEOF:
		lx.emit(symbolCmds[name], "")
	case name == "pi":
		lx.emit(tIdent, "pi")
	case name == "begin" || name == "end":
		lx.skipSpace()
		if lx.i >= len(s) || s[lx.i] != '{' {
			return fmt.Errorf("\\%s without an environment name", name)
		}
		env, err := lx.readGroup()
		if err != nil {
			return err
		}
		env = strings.TrimSuffix(strings.TrimSpace(env), "*")
		if name == "begin" {
			lx.emit(tBegin, env)
			if env == "array" {
				lx.skipSpace()
				if lx.i < len(s) && s[lx.i] == '{' {
					if _, err := lx.readGroup(); err != nil { // column spec
						return err
					}
				}
			}
		} else {
			lx.emit(tEnd, env)
		}
	case funcNames[name]:
		lx.emit(tFunc, name)
	case greek[name]:
		lx.emit(tIdent, name)
	case name == "dots" || name == "ldots" || name == "cdots" || name == "vdots" || name == "ddots":
		return fmt.Errorf("ellipsis \\%s is not a value", name)
	case name == "approx" || name == "sim" || name == "equiv" || name == "cong":
		return fmt.Errorf("relation \\%s is not supported", name)
	default:
		// Another command (\hbar, \ell, \nabla): a symbol of that name.
		lx.emit(tIdent, name)
	}
	return nil
}

// symbolCmds are the commands that lex to one token of their own kind, with no text.
var symbolCmds = map[string]tokKind{
	"frac": tFrac, "dfrac": tFrac, "tfrac": tFrac, "cfrac": tFrac,
	"binom": tBinom, "dbinom": tBinom, "tbinom": tBinom,
	"sqrt":  tSqrt,
	"infty": tInf, "infinity": tInf, "infin": tInf,
	"cdot": tMul, "times": tMul, "ast": tMul, "cdotp": tMul,
	"div": tDiv,
	"le":  tLe, "leq": tLe, "leqslant": tLe, "leqq": tLe,
	"ge": tGe, "geq": tGe, "geqslant": tGe, "geqq": tGe,
	"lt": tLt,
	"gt": tGt,
	"ne": tNe, "neq": tNe,
	"pm":       tPM,
	"mp":       tMP,
	"cup":      tCup,
	"cap":      tCap,
	"setminus": tSetminus, "backslash": tSetminus,
	"in":   tIn,
	"circ": tDegree, "degree": tDegree,
	"lbrace": tSetL,
	"rbrace": tSetR,
	"langle": tLParen,
	"rangle": tRParen,
	"lvert":  tBar, "rvert": tBar, "vert": tBar, "mid": tBar, "lVert": tBar, "rVert": tBar, "Vert": tBar,
	"lfloor":   tLFloor,
	"rfloor":   tRFloor,
	"lceil":    tLCeil,
	"rceil":    tRCeil,
	"emptyset": tEmpty, "varnothing": tEmpty,
	"land": tComma, "wedge": tComma, "lor": tComma, "vee": tComma,
}

// unicode lexes a non-ASCII rune.
func (lx *lexer) unicode(r rune) error {
	switch r {
	case 'π':
		lx.emit(tIdent, "pi")
	case '√':
		lx.emit(tSqrt, "")
	case '∞':
		lx.emit(tInf, "")
	case '≤', '⩽':
		lx.emit(tLe, "")
	case '≥', '⩾':
		lx.emit(tGe, "")
	case '≠':
		lx.emit(tNe, "")
	case '·', '×', '⋅', '∗':
		lx.emit(tMul, "")
	case '÷', '⁄':
		lx.emit(tDiv, "")
	case '−', '–', '—':
		lx.emit(tMinus, "")
	case '∪':
		lx.emit(tCup, "")
	case '∩':
		lx.emit(tCap, "")
	case '°':
		lx.emit(tDegree, "")
	case '±':
		lx.emit(tPM, "")
	case '∓':
		lx.emit(tMP, "")
	case '∈':
		lx.emit(tIn, "")
	case '∅':
		lx.emit(tEmpty, "")
	case 'ℝ':
		lx.emit(tReals, "")
	case '²', '³':
		lx.emit(tPow, "")
		lx.emit(tNum, map[rune]string{'²': "2", '³': "3"}[r])
	case '\u00a0', '\u2009', '\u202f', '\u200b', '€', '£', '¥':
	default:
		if name, ok := greekRunes[r]; ok {
			lx.emit(tIdent, name)
			return nil
		}
		if unicode.IsLetter(r) {
			lx.emit(tIdent, string(r))
			return nil
		}
		return fmt.Errorf("unexpected character %q", r)
	}
	return nil
}

// punct lexes an ASCII punctuation character c (already consumed).
func (lx *lexer) punct(c byte) error {
	s := lx.s
	next := byte(0)
	if lx.i < len(s) {
		next = s[lx.i]
	}
	switch c {
	case '+':
		lx.emit(tPlus, "")
	case '-':
		lx.emit(tMinus, "")
	case '*':
		if next == '*' {
			lx.i++
			lx.emit(tPow, "")
		} else {
			lx.emit(tMul, "")
		}
	case '/', ':':
		lx.emit(tDiv, "")
	case '^':
		// ^\circ and ^{\circ} are degrees.
		rest := s[lx.i:]
		for _, p := range []string{`\circ`, `{\circ}`, `{ \circ }`, `{\circ }`, `{ \circ}`} {
			if strings.HasPrefix(rest, p) {
				lx.i += len(p)
				lx.emit(tDegree, "")
				return nil
			}
		}
		lx.emit(tPow, "")
	case '_':
		lx.emit(tSub, "")
	case '(':
		lx.emit(tLParen, "")
	case ')':
		lx.emit(tRParen, "")
	case '[':
		lx.emit(tLBrack, "")
	case ']':
		lx.emit(tRBrack, "")
	case '{':
		lx.emit(tLBrace, "")
	case '}':
		lx.emit(tRBrace, "")
	case ',', ';':
		lx.emit(tComma, "")
	case '|':
		lx.emit(tBar, "")
	case '!':
		if next == '=' {
			lx.i++
			lx.emit(tNe, "")
		} else {
			lx.emit(tFact, "")
		}
	case '%':
		lx.emit(tPercent, "")
	case '=':
		if next == '=' {
			lx.i++
		}
		if next == '<' {
			lx.i++
			lx.emit(tLe, "")
			return nil
		}
		lx.emit(tEq, "")
	case '<':
		switch next {
		case '=':
			lx.i++
			lx.emit(tLe, "")
		case '>':
			lx.i++
			lx.emit(tNe, "")
		default:
			lx.emit(tLt, "")
		}
	case '>':
		if next == '=' {
			lx.i++
			lx.emit(tGe, "")
		} else {
			lx.emit(tGt, "")
		}
	case '&':
		lx.emit(tColSep, "")
	case '\'', '"', '?', '`', '.':
		// primes, quotes and stray periods carry no value
	default:
		return fmt.Errorf("unexpected character %q", c)
	}
	return nil
}
