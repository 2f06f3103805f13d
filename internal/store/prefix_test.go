package store

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestPrefixEnd(t *testing.T) {
	cases := []struct {
		prefix, end string
		bounded     bool
	}{
		{"", "", false},
		{"a", "b", true},
		{"a/", "a0", true},
		{"user/alice/", "user/alice0", true},
		{"a\u00ff", "a\u0100", true},
		{"a\U0010FFFF", "b", true},
		{"\U0010FFFF\U0010FFFF", "", false},
		{"\uD7FF", "\uE000", true},
		{"\x7f", "\u0080", true},
	}
	for _, c := range cases {
		end, ok := prefixEnd(c.prefix)
		if end != c.end || ok != c.bounded {
			t.Errorf("prefixEnd(%q) = %q, %v; want %q, %v", c.prefix, end, ok, c.end, c.bounded)
		}
	}
}

// FuzzPrefixEnd checks the bound's definition: for valid UTF-8, key has the prefix exactly
// when prefix <= key < end.
func FuzzPrefixEnd(f *testing.F) {
	f.Add("a/", "a/b")
	f.Add("a/", "a0")
	f.Add("x\U0010FFFF", "y")
	f.Add("\uD7FF", "\uE000")
	f.Fuzz(func(t *testing.T, prefix, key string) {
		if !utf8.ValidString(prefix) || !utf8.ValidString(key) {
			return
		}
		end, bounded := prefixEnd(prefix)
		if bounded && !utf8.ValidString(end) {
			t.Fatalf("prefixEnd(%q) = %q, not valid UTF-8", prefix, end)
		}
		inRange := key >= prefix && (!bounded || key < end)
		if inRange != strings.HasPrefix(key, prefix) {
			t.Fatalf("prefix %q, end %q (%v), key %q: in range %v, has prefix %v",
				prefix, end, bounded, key, inRange, !inRange)
		}
	})
}
