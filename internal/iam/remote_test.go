package iam

import "testing"

func TestGenerationKeyAccount(t *testing.T) {
	for _, c := range []struct {
		key, acct string
		ok        bool
	}{
		{GenerationKey("123456789012"), "123456789012", true},
		{"a/123456789012/user/alice", "", false},
		{"a/123456789012/", "", false},
		{"a/123456789012", "", false},
		{"k/AKIAEXAMPLE", "", false},
		{"", "", false},
	} {
		acct, ok := generationKeyAccount(c.key)
		if acct != c.acct || ok != c.ok {
			t.Errorf("generationKeyAccount(%q) = %q, %v; want %q, %v", c.key, acct, ok, c.acct, c.ok)
		}
	}
}
