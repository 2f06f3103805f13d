// Package wildcard owns IAM's pattern matching: the `*` and `?` wildcards of Action,
// Resource, StringLike and ArnLike, and the policy variables (`${aws:username}`) that a
// Version 2012-10-17 policy may embed in resources and condition values.
//
// A pattern is compiled once into tokens; Match neither allocates nor re-parses.
package wildcard

import (
	"encoding/binary"
	"strings"
	"unicode/utf8"
	"unsafe"
)

// Resolver supplies policy-variable values from a request context. Keys arrive lower-cased.
// ok is false when the key is absent or multi-valued: IAM cannot substitute either
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html).
type Resolver interface {
	Var(lowerKey string) (value string, ok bool)
}

// Mode says how wildcards behave.
type Mode uint8

const (
	// Action: case-insensitive; `*` and `?` match any characters
	// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html).
	Action Mode = iota
	// Like: case-sensitive; `*` and `?` match any characters (StringLike).
	Like
	// ARN: case-sensitive; within the first five colon-separated fields (arn, partition,
	// service, region, account) a wildcard matches inside its field only, except that a
	// field the pattern leaves unfinished (no colon after it) extends over the rest of the
	// ARN; in the resource part wildcards match anything. This is AWS's rule that "if the *
	// wildcard is the last character of a resource ARN segment, it can expand to match
	// beyond the colon boundaries"
	// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html).
	ARN
	// Literal: no wildcards, case-sensitive; only variables are substituted (StringEquals).
	Literal
	// LiteralFold: no wildcards, case-insensitive (StringEqualsIgnoreCase).
	LiteralFold
)

func (m Mode) String() string {
	switch m {
	case Action:
		return "action"
	case Like:
		return "like"
	case ARN:
		return "arn"
	case Literal:
		return "literal"
	case LiteralFold:
		return "literalFold"
	}
	return "Mode(?)"
}

type tokKind uint8

const (
	tLit tokKind = iota
	tStar
	tQuest
	tVar
)

type token struct {
	kind  tokKind
	cross bool   // tStar/tQuest: may match ':' (ARN mode)
	text  string // tLit: the literal; tVar: the default value
	key   string // tVar: lower-cased context key
	def   bool   // tVar: has a default value
}

type shape uint8

const (
	sGeneral shape = iota
	sExact         // no wildcard, no variable
	sPrefix        // literal followed by one trailing crossing `*`
	sAny           // a lone crossing `*`
	sAffix         // literal, one crossing `*`, literal
)

// Pattern is a compiled pattern. The zero Pattern matches only the empty string.
//
// It is 24 bytes: ten thousand principals may each hold thousands of patterns of their
// own (a resource ARN naming the principal's bucket), so the common shapes keep only
// their text and offsets into it, and a general pattern's text and tokens sit behind
// one pointer.
type Pattern struct {
	// ptr is the first byte of the text (n bytes) for the fast shapes, the *general for
	// sGeneral (nil for the zero Pattern).
	ptr unsafe.Pointer
	// The fast shapes' literals are parts of the text: [:litEnd] before the star,
	// [sufStart:] after it (sAffix). sExact's literal is the text itself. A pattern
	// longer than 65,535 bytes is general.
	n, litEnd, sufStart uint16
	mode                Mode
	shape               shape
	flags               uint8
}

const (
	fFold   uint8 = 1 << iota // case-insensitive (Action, LiteralFold)
	fVars                     // holds a policy variable
	fVarsOn                   // compiled with variables enabled (part of the intern key)
)

type general struct {
	src  string
	toks []token
}

func (p *Pattern) toks() []token {
	if p.shape != sGeneral || p.ptr == nil {
		return nil
	}
	return (*general)(p.ptr).toks
}

// String returns the pattern as written (lower-cased in Action mode).
func (p *Pattern) String() string {
	if p.shape == sGeneral {
		if p.ptr == nil {
			return ""
		}
		return (*general)(p.ptr).src
	}
	return p.text()
}

// text is a fast shape's text.
func (p *Pattern) text() string { return unsafe.String((*byte)(p.ptr), p.n) }

// HasVariables reports whether the pattern contains a policy variable.
func (p *Pattern) HasVariables() bool { return p.flags&fVars != 0 }

// LiteralPrefix returns the text every match must start with (before any wildcard or
// variable), as it appears in the pattern (lower-cased in Action mode). Indexes use it.
func (p *Pattern) LiteralPrefix() string {
	switch p.shape {
	case sExact, sPrefix, sAffix:
		return p.lit()
	case sAny:
		return ""
	}
	if t := p.toks(); len(t) > 0 && t[0].kind == tLit {
		return t[0].text
	}
	return ""
}

// MatchesAll reports whether the pattern matches every string ("*").
func (p *Pattern) MatchesAll() bool { return p.shape == sAny }

// Probe returns a test that every string the pattern matches passes and that costs one
// load: its eight bytes ending at end equal word (little-endian), the last eight bytes of
// the literal prefix. A loop that mostly rejects (authz's plans) runs it before Match,
// which reads the pattern's text from memory. ok is false when there is no such test: a
// literal prefix shorter than eight bytes, a case-folding pattern or one with variables.
func (p *Pattern) Probe() (end int, word uint64, ok bool) {
	pre := p.LiteralPrefix()
	if len(pre) < 8 || len(pre) > 0xffff || p.flags&(fFold|fVars) != 0 {
		return 0, 0, false
	}
	return len(pre), Load64(pre, len(pre)-8), true
}

// SameWords reports whether a and b, of equal length, are equal, comparing eight bytes at
// a time inline: ARN literals and action names are a few dozen bytes, for which the
// runtime's memequal call costs as much as the comparison (a decision's resource test and
// plan lookup, bench/engines).
func SameWords(a, b string) bool {
	if len(a) < 8 {
		return a == b
	}
	for i := 0; i+8 <= len(a); i += 8 {
		if Load64(a, i) != Load64(b, i) {
			return false
		}
	}
	return Load64(a, len(a)-8) == Load64(b, len(b)-8)
}

// Load64 returns the eight bytes of s at i (little-endian); i+8 must not exceed len(s).
func Load64(s string, i int) uint64 {
	return binary.LittleEndian.Uint64(unsafe.Slice(unsafe.StringData(s[i:i+8]), 8))
}

// IsExact reports whether the pattern matches exactly one string (no wildcard, no
// variable), which it returns.
func (p *Pattern) IsExact() (string, bool) {
	if p.shape != sExact {
		return "", false
	}
	return p.text(), true
}

// lit and suf are the fast shapes' literals; an sAffix suffix is never empty.
func (p *Pattern) lit() string { return unsafe.String((*byte)(p.ptr), p.litEnd) }
func (p *Pattern) suf() string {
	return unsafe.String((*byte)(unsafe.Add(p.ptr, p.sufStart)), p.n-p.sufStart)
}

// Compile compiles s. variables enables `${…}` substitution (Version 2012-10-17 only;
// in older documents the text is literal, and its `*` and `?` are wildcards).
func Compile(s string, mode Mode, variables bool) Pattern {
	if mode == Action {
		s = strings.ToLower(s)
	}
	return compileLower(s, mode, variables)
}

// compileLower is Compile for text already lower-cased in Action mode; the pattern's
// text is src itself.
func compileLower(src string, mode Mode, variables bool) Pattern {
	p := Pattern{mode: mode}
	if mode == Action || mode == LiteralFold {
		p.flags |= fFold
	}
	if variables {
		p.flags |= fVarsOn
	}
	var toks []token
	glob := mode == Action || mode == Like || mode == ARN
	totalColons := 0
	if mode == ARN {
		totalColons = countColonsOutsideVars(src, variables)
	}
	colons := 0
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			toks = append(toks, token{kind: tLit, text: lit.String()})
			lit.Reset()
		}
	}
	for i := 0; i < len(src); {
		c := src[i]
		switch {
		case variables && c == '$' && strings.HasPrefix(src[i:], "${"):
			end := strings.IndexByte(src[i:], '}')
			if end < 0 {
				lit.WriteString(src[i:])
				i = len(src)
				continue
			}
			body := src[i+2 : i+end]
			i += end + 1
			switch body {
			case "*", "?", "$":
				// The escapes: a literal character where a wildcard or `$` would be read
				// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html#policy-vars-specialchars).
				lit.WriteString(body)
				continue
			}
			key, def, hasDef := parseVar(body)
			flush()
			toks = append(toks, token{kind: tVar, key: strings.ToLower(key), text: def, def: hasDef})
			p.flags |= fVars
		case glob && (c == '*' || c == '?'):
			flush()
			cross := true
			if mode == ARN && colons < 5 && totalColons > colons {
				cross = false
			}
			k := tStar
			if c == '?' {
				k = tQuest
			}
			// Consecutive stars are one star.
			if k == tStar && len(toks) > 0 && toks[len(toks)-1].kind == tStar {
				i++
				continue
			}
			toks = append(toks, token{kind: k, cross: cross})
			i++
		default:
			if c == ':' {
				colons++
			}
			lit.WriteByte(c)
			i++
		}
	}
	flush()
	switch {
	case len(toks) == 0 || len(toks) == 1 && toks[0].kind == tLit:
		p.shape = sExact
	case len(toks) == 1 && toks[0].kind == tStar && toks[0].cross:
		p.shape = sAny
	case len(toks) == 2 && toks[0].kind == tLit && toks[1].kind == tStar && toks[1].cross:
		p.shape = sPrefix
	case len(toks) == 3 && toks[0].kind == tLit && toks[1].kind == tStar && toks[1].cross && toks[2].kind == tLit,
		len(toks) == 2 && toks[0].kind == tStar && toks[0].cross && toks[1].kind == tLit:
		p.shape = sAffix
	}
	if p.shape != sGeneral && (len(src) > 1<<16-1 || variables && strings.Contains(src, "${")) {
		// Offsets are 16 bits; and text with "${" (an escape) is not its own literal.
		p.shape = sGeneral
	}
	if p.shape == sGeneral {
		if len(src) > 0 {
			p.ptr = unsafe.Pointer(&general{src: src, toks: toks})
		}
	} else {
		p.ptr, p.n = unsafe.Pointer(unsafe.StringData(src)), uint16(len(src))
		// A fast shape keeps no tokens: its literals are substrings of the pattern's
		// own text (lower-cased in Action mode: a compiled action keeps only that).
		first, last := strings.IndexAny(src, "*?"), strings.LastIndexAny(src, "*?")
		switch p.shape {
		case sExact:
			p.litEnd = uint16(len(src))
		case sPrefix:
			p.litEnd = uint16(first)
		case sAffix:
			p.litEnd, p.sufStart = uint16(first), uint16(last+1)
		}
	}
	return p
}

func countColonsOutsideVars(s string, variables bool) int {
	n := 0
	for i := 0; i < len(s); i++ {
		if variables && s[i] == '$' && strings.HasPrefix(s[i:], "${") {
			if end := strings.IndexByte(s[i:], '}'); end >= 0 {
				i += end
				continue
			}
		}
		if s[i] == ':' {
			n++
		}
	}
	return n
}

// parseVar splits "key" or "key, 'default'" (spaces around either part are ignored;
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html#policy-vars-default-values).
func parseVar(body string) (key, def string, hasDef bool) {
	if i := strings.IndexByte(body, ','); i >= 0 {
		d := strings.TrimSpace(body[i+1:])
		if len(d) >= 2 && d[0] == '\'' && d[len(d)-1] == '\'' {
			return strings.TrimSpace(body[:i]), d[1 : len(d)-1], true
		}
	}
	return strings.TrimSpace(body), "", false
}

// Match reports whether s matches p. r resolves variables; it may be nil when the pattern
// has none. A variable that r cannot resolve and that has no default makes the pattern
// match nothing.
func (p *Pattern) Match(s string, r Resolver) bool {
	return p.match(s, r, p.flags&fFold != 0)
}

// MatchLower is Match for an Action-mode pattern and an input already lower-cased, which
// skips case folding.
func (p *Pattern) MatchLower(s string) bool {
	return p.match(s, nil, false)
}

func (p *Pattern) match(s string, r Resolver, fold bool) bool {
	switch p.shape {
	case sExact:
		t := p.text()
		if fold {
			return len(s) == len(t) && equalFold(s, t)
		}
		return len(s) == len(t) && SameWords(s, t)
	case sPrefix:
		lit := p.lit()
		if len(s) < len(lit) {
			return false
		}
		if fold {
			return equalFold(s[:len(lit)], lit)
		}
		return SameWords(s[:len(lit)], lit)
	case sAny:
		return true
	case sAffix:
		lit, suf := p.lit(), p.suf()
		if len(s) < len(lit)+len(suf) {
			return false
		}
		if fold {
			return equalFold(s[:len(lit)], lit) && equalFold(s[len(s)-len(suf):], suf)
		}
		return s[:len(lit)] == lit && s[len(s)-len(suf):] == suf
	}
	return p.matchGeneral(s, r, fold)
}

func (p *Pattern) matchGeneral(s string, r Resolver, fold bool) bool {
	toks := p.toks()
	ti, si := 0, 0
	starT, starS, starCross := -1, 0, false
	for {
		if ti < len(toks) {
			t := &toks[ti]
			switch t.kind {
			case tStar:
				starT, starS, starCross = ti, si, t.cross
				ti++
				continue
			case tQuest:
				if si < len(s) && (t.cross || s[si] != ':') {
					_, n := utf8.DecodeRuneInString(s[si:])
					si += n
					ti++
					continue
				}
			case tLit:
				if hasPrefix(s[si:], t.text, fold) {
					si += len(t.text)
					ti++
					continue
				}
			case tVar:
				v, ok := resolve(t, r)
				if !ok {
					return false
				}
				if hasPrefix(s[si:], v, fold) {
					si += len(v)
					ti++
					continue
				}
			}
		} else if si == len(s) {
			return true
		}
		// Mismatch: let the most recent star absorb more. When a literal follows the
		// star, jump straight to its next occurrence instead of one character at a time.
		if starT < 0 || starS >= len(s) || (!starCross && s[starS] == ':') {
			return false
		}
		next := starS + 1
		if nt := starT + 1; !fold && nt < len(toks) && toks[nt].kind == tLit {
			i := strings.Index(s[next:], toks[nt].text)
			if i < 0 {
				return false
			}
			next += i
			if !starCross && strings.IndexByte(s[starS:next], ':') >= 0 {
				return false
			}
		}
		starS = next
		si, ti = starS, starT+1
	}
}

func resolve(t *token, r Resolver) (string, bool) {
	if r != nil {
		if v, ok := r.Var(t.key); ok {
			return v, true
		}
	}
	if t.def {
		return t.text, true
	}
	return "", false
}

func hasPrefix(s, prefix string, fold bool) bool {
	if len(s) < len(prefix) {
		return false
	}
	if fold {
		return equalFold(s[:len(prefix)], prefix)
	}
	return SameWords(s[:len(prefix)], prefix)
}

// equalFold compares ASCII case-insensitively and falls back to Unicode folding for
// non-ASCII bytes.
func equalFold(a, b string) bool {
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if x == y {
			continue
		}
		if x >= utf8.RuneSelf || y >= utf8.RuneSelf {
			return strings.EqualFold(a[i:], b[i:])
		}
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// Expand returns p with its variables substituted, for literal patterns (Literal and
// LiteralFold modes) compared by equality. ok is false when a variable cannot be resolved.
// It allocates only when the pattern has variables.
func (p *Pattern) Expand(r Resolver) (string, bool) {
	if p.shape == sExact {
		return p.text(), true
	}
	var b strings.Builder
	toks := p.toks()
	for i := range toks {
		t := &toks[i]
		switch t.kind {
		case tVar:
			v, ok := resolve(t, r)
			if !ok {
				return "", false
			}
			b.WriteString(v)
		default:
			b.WriteString(t.text)
		}
	}
	return b.String(), true
}

// Resolves reports whether every variable of p has a value (or a default) in r.
func (p *Pattern) Resolves(r Resolver) bool {
	if p.flags&fVars == 0 {
		return true
	}
	toks := p.toks()
	for i := range toks {
		if toks[i].kind == tVar {
			if _, ok := resolve(&toks[i], r); !ok {
				return false
			}
		}
	}
	return true
}
