package constraint

import (
	"regexp"
	"testing"
)

// The model's single-class patterns, as the generator writes them.
var classPatterns = []string{
	`^(?:[\w+=,.@-]+)$`,
	`^(?:[\w+=,.@-]*)$`,
	`^(?:[\x{0009}\x{000A}\x{000D}\x{0020}-\x{00FF}]+)$`,
	`^(?:[\x{0020}-\x{00FF}]+)$`,
	`^(?:^[a-zA-Z0-9:/+=,.@_-]+$)$`,
	`^(?:[\d]+)$`,
}

func TestPatternFastPath(t *testing.T) {
	for _, p := range classPatterns {
		if _, ok := Pattern(p).(*runeClass); !ok {
			t.Errorf("%s: got the regexp engine, want the class matcher", p)
		}
	}
	for _, p := range []string{`^(?:\d{12})$`, `^(?:[\p{L}\p{Z}\p{N}_.:/=+\-@]+)$`, `^(?:(\x{002F})|(\x{002F}[\x{0021}-\x{007E}]+\x{002F}))$`, `[a-z]+`} {
		if _, ok := Pattern(p).(*regexp.Regexp); !ok {
			t.Errorf("%s: got the class matcher, want the regexp engine", p)
		}
	}
}

// FuzzPatternFastPath: the class matcher agrees with the regexp engine on every input.
func FuzzPatternFastPath(f *testing.F) {
	for _, s := range []string{"", "alice", "a b", "é", "中", "\xff", "a\x00", "{\n\t}", "123", "arn:aws:iam::1:user/x"} {
		f.Add(s)
	}
	type pair struct {
		fast Matcher
		re   *regexp.Regexp
	}
	var pairs []pair
	for _, p := range classPatterns {
		pairs = append(pairs, pair{Pattern(p), regexp.MustCompile(p)})
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, p := range pairs {
			if got, want := p.fast.MatchString(s), p.re.MatchString(s); got != want {
				t.Fatalf("%s on %q: class matcher %v, regexp %v", p.re, s, got, want)
			}
		}
	})
}
