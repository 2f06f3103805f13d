package iam

import (
	"encoding/json"
	"strings"
	"testing"
)

// FuzzSubstitutePrincipals: substitution never breaks a document — valid JSON stays valid —
// and touches nothing when no recorded ARN is in it.
func FuzzSubstitutePrincipals(f *testing.F) {
	f.Add(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::123456789012:role/x", "1"]},"Action":"sts:AssumeRole"}]}`)
	f.Add(`{"Statement":{"Effect":"Allow","NotPrincipal":{"AWS":"arn:aws:iam::123456789012:role/x"},"Condition":{"StringEquals":{"AWS":"arn:aws:iam::123456789012:role/x"}}}}`)
	f.Add(`{"Statement":[{"Principal":{"AWS":"arn:aws:iam::123456789012:role\/x"}}]}`)
	f.Fuzz(func(t *testing.T, doc string) {
		const arn = "arn:aws:iam::123456789012:role/x"
		got := substitutePrincipals(doc, map[string]string{arn: "AROAEXAMPLE"})
		if json.Valid([]byte(doc)) && !json.Valid([]byte(got)) {
			t.Fatalf("substitution broke %q: %q", doc, got)
		}
		if !strings.Contains(doc, "role") && got != doc {
			t.Fatalf("changed a document without the ARN: %q → %q", doc, got)
		}
	})
}

// Only Principal/NotPrincipal AWS values are substituted, not the same text in a condition.
func TestSubstitutePrincipalsOnlyPrincipals(t *testing.T) {
	doc := `{"Statement":{"Effect":"Allow","NotPrincipal":{"AWS":[ "arn:aws:iam::1:role/x" ]},"Condition":{"StringEquals":{"AWS":"arn:aws:iam::1:role/x"}}}}`
	want := `{"Statement":{"Effect":"Allow","NotPrincipal":{"AWS":[ "AROAX" ]},"Condition":{"StringEquals":{"AWS":"arn:aws:iam::1:role/x"}}}}`
	if got := substitutePrincipals(doc, map[string]string{"arn:aws:iam::1:role/x": "AROAX"}); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}
