// Package wildcard owns IAM's pattern matching: the `*` and `?` wildcards of Action,
// Resource, StringLike and ArnLike, and the policy variables (`${aws:username}`) that a
// Version 2012-10-17 policy may embed in resources and condition values.
//
// A pattern is compiled once into tokens; Match neither allocates nor re-parses.
package wildcard

import (
	"strings"
	"sync"
	"unicode/utf8"
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
type Pattern struct {
	src   string
	fold  bool
	shape shape
	// The fast shapes' literals are substrings of src: src[:litEnd] before the star,
	// src[sufStart:] after it (sAffix). sExact's literal is src itself.
	litEnd, sufStart int32
	toks             []token
	vars             bool
}

// String returns the pattern as written.
func (p *Pattern) String() string { return p.src }

// HasVariables reports whether the pattern contains a policy variable.
func (p *Pattern) HasVariables() bool { return p.vars }

// LiteralPrefix returns the text every match must start with (before any wildcard or
// variable), as it appears in the pattern (lower-cased in Action mode). Indexes use it.
func (p *Pattern) LiteralPrefix() string {
	switch p.shape {
	case sExact, sPrefix, sAffix:
		return p.lit()
	case sAny:
		return ""
	}
	if len(p.toks) > 0 && p.toks[0].kind == tLit {
		return p.toks[0].text
	}
	return ""
}

// IsExact reports whether the pattern matches exactly one string (no wildcard, no
// variable), which it returns.
func (p *Pattern) IsExact() (string, bool) {
	if p.shape != sExact {
		return "", false
	}
	return p.src, true
}

// lit and suf are the fast shapes' literals.
func (p *Pattern) lit() string { return p.src[:p.litEnd] }
func (p *Pattern) suf() string { return p.src[p.sufStart:] }

// Compile compiles s. variables enables `${…}` substitution (Version 2012-10-17 only;
// in older documents the text is literal, and its `*` and `?` are wildcards).
func Compile(s string, mode Mode, variables bool) Pattern {
	p := Pattern{src: s, fold: mode == Action || mode == LiteralFold}
	src := s
	if mode == Action {
		src = strings.ToLower(s)
	}
	glob := mode == Action || mode == Like || mode == ARN
	totalColons := 0
	if mode == ARN {
		totalColons = countColonsOutsideVars(src, variables)
	}
	colons := 0
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			p.toks = append(p.toks, token{kind: tLit, text: lit.String()})
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
			p.toks = append(p.toks, token{kind: tVar, key: strings.ToLower(key), text: def, def: hasDef})
			p.vars = true
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
			if k == tStar && len(p.toks) > 0 && p.toks[len(p.toks)-1].kind == tStar {
				i++
				continue
			}
			p.toks = append(p.toks, token{kind: k, cross: cross})
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
	case len(p.toks) == 0 || len(p.toks) == 1 && p.toks[0].kind == tLit:
		p.shape = sExact
	case len(p.toks) == 1 && p.toks[0].kind == tStar && p.toks[0].cross:
		p.shape = sAny
	case len(p.toks) == 2 && p.toks[0].kind == tLit && p.toks[1].kind == tStar && p.toks[1].cross:
		p.shape = sPrefix
	case len(p.toks) == 3 && p.toks[0].kind == tLit && p.toks[1].kind == tStar && p.toks[1].cross && p.toks[2].kind == tLit,
		len(p.toks) == 2 && p.toks[0].kind == tStar && p.toks[0].cross && p.toks[1].kind == tLit:
		p.shape = sAffix
	}
	if p.shape != sGeneral {
		// A fast shape keeps no tokens: its literals are substrings of the pattern's own
		// text. Text with "${" (an escape) is not its literal, so it stays general.
		if variables && strings.Contains(src, "${") {
			p.shape = sGeneral
		} else {
			p.toks = nil
			p.src = src // lower-cased in Action mode: a compiled action keeps only that
			first, last := strings.IndexAny(src, "*?"), strings.LastIndexAny(src, "*?")
			switch p.shape {
			case sExact:
				p.litEnd = int32(len(src))
			case sPrefix:
				p.litEnd = int32(first)
			case sAffix:
				p.litEnd, p.sufStart = int32(first), int32(last+1)
			}
		}
	}
	return p
}

type internKey struct {
	s    string
	mode Mode
	vars bool
}

// internShards hold the interned patterns: plain maps under read-write locks, which
// cost far less memory per entry than a sync.Map; interning happens at compile time,
// never on the decision path.
var internShards [32]struct {
	mu sync.RWMutex
	m  map[internKey]*Pattern
}

// Intern returns the shared compiled form of s: patterns are immutable, so every policy
// that names "s3:GetObject" or "arn:aws:s3:::my_bucket/*" holds the same one.
func Intern(s string, mode Mode, variables bool) *Pattern {
	k := internKey{s, mode, variables}
	h := uint32(2166136261)
	for i := 0; i < len(s); i++ {
		h = (h ^ uint32(s[i])) * 16777619
	}
	sh := &internShards[h%uint32(len(internShards))]
	sh.mu.RLock()
	p, ok := sh.m[k]
	sh.mu.RUnlock()
	if ok {
		return p
	}
	k.s = strings.Clone(s)
	c := Compile(k.s, mode, variables)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if p, ok := sh.m[k]; ok {
		return p
	}
	if sh.m == nil {
		sh.m = map[internKey]*Pattern{}
	}
	sh.m[k] = &c
	return &c
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
	return p.match(s, r, p.fold)
}

// MatchLower is Match for an Action-mode pattern and an input already lower-cased, which
// skips case folding.
func (p *Pattern) MatchLower(s string) bool {
	return p.match(s, nil, false)
}

func (p *Pattern) match(s string, r Resolver, fold bool) bool {
	switch p.shape {
	case sExact:
		if fold {
			return len(s) == len(p.src) && equalFold(s, p.src)
		}
		return s == p.src
	case sPrefix:
		lit := p.lit()
		if len(s) < len(lit) {
			return false
		}
		if fold {
			return equalFold(s[:len(lit)], lit)
		}
		return s[:len(lit)] == lit
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
	toks := p.toks
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
	return s[:len(prefix)] == prefix
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
		return p.src, true
	}
	var b strings.Builder
	for i := range p.toks {
		t := &p.toks[i]
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
	if !p.vars {
		return true
	}
	for i := range p.toks {
		if p.toks[i].kind == tVar {
			if _, ok := resolve(&p.toks[i], r); !ok {
				return false
			}
		}
	}
	return true
}
