package constraint

import (
	"regexp"
	"regexp/syntax"
	"unicode/utf8"
)

// Pattern compiles an anchored model pattern. Most of IAM's patterns are one character
// class repeated ("[\w+=,.@-]+", "[\u0020-\u00FF]+"): for those Pattern returns a
// table-driven matcher, an order of magnitude cheaper than the regexp engine on the
// request path, and equivalent to it (a fuzz test compares the two). Anything else is a
// *regexp.Regexp.
func Pattern(expr string) Matcher {
	re := regexp.MustCompile(expr)
	if c, ok := classOf(expr); ok {
		return c
	}
	return re
}

// runeClass matches strings made only of the runes in, at least min of them.
type runeClass struct {
	in  [256]bool // the class, all of whose runes are below 256
	min int       // 1 for +, 0 for *
}

func (c *runeClass) MatchString(s string) bool {
	n := 0
	for i := 0; i < len(s); {
		r := rune(s[i])
		w := 1
		if r >= utf8.RuneSelf {
			r, w = utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && w == 1 {
				return false // invalid UTF-8 matches no class, as in regexp
			}
		}
		if r >= 256 || !c.in[r] {
			return false
		}
		i += w
		n++
	}
	return n >= c.min
}

// classOf recognizes ^(?:[class]+)$ and ^(?:[class]*)$ (with any extra anchors) whose
// class lies below U+0100.
func classOf(expr string) (*runeClass, bool) {
	re, err := syntax.Parse(expr, syntax.Perl)
	if err != nil {
		return nil, false
	}
	re = re.Simplify()
	if re.Op != syntax.OpConcat {
		return nil, false
	}
	subs := re.Sub
	for len(subs) > 0 && subs[0].Op == syntax.OpBeginText {
		subs = subs[1:]
	}
	for len(subs) > 0 && subs[len(subs)-1].Op == syntax.OpEndText {
		subs = subs[:len(subs)-1]
	}
	if len(subs) != 1 || len(re.Sub)-len(subs) < 2 || re.Sub[0].Op != syntax.OpBeginText || re.Sub[len(re.Sub)-1].Op != syntax.OpEndText {
		return nil, false
	}
	rep := subs[0]
	c := &runeClass{}
	switch rep.Op {
	case syntax.OpPlus:
		c.min = 1
	case syntax.OpStar:
	default:
		return nil, false
	}
	if len(rep.Sub) != 1 || rep.Sub[0].Op != syntax.OpCharClass || rep.Sub[0].Flags&syntax.FoldCase != 0 {
		return nil, false
	}
	rs := rep.Sub[0].Rune
	for i := 0; i+1 < len(rs); i += 2 {
		lo, hi := rs[i], rs[i+1]
		if hi >= 256 {
			return nil, false
		}
		for r := lo; r <= hi; r++ {
			c.in[r] = true
		}
	}
	return c, true
}
