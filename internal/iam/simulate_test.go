package iam

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestStatementSpans(t *testing.T) {
	doc := "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n    {\"Effect\": \"Allow\", \"Action\": \"s3:*\", \"Resource\": \"*\"},\n    {\n      \"Sid\": \"x}]\",\n      \"Effect\": \"Deny\", \"Action\": \"*\", \"Resource\": \"*\"\n    }\n  ]\n}"
	got := statementSpans(doc)
	want := []span{{4, 5, 4, 59}, {5, 5, 8, 6}}
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(span{})); diff != "" {
		t.Fatalf("spans (-want +got):\n%s", diff)
	}
	single := `{"Statement":{"Effect":"Allow","Action":"*","Resource":"*"},"Version":"2012-10-17"}`
	if got := statementSpans(single); len(got) != 1 || got[0] != (span{1, 14, 1, 60}) {
		t.Fatalf("single statement: got %v", got)
	}
	for _, bad := range []string{"", "[", `{"Statement":`, `{"Statement":[{"a":`} {
		statementSpans(bad) // must not panic
	}
}

func FuzzStatementSpans(f *testing.F) {
	f.Add(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`)
	f.Add(`{"Statement":{"Sid":"\"]}"}}`)
	f.Fuzz(func(t *testing.T, s string) {
		for _, sp := range statementSpans(s) {
			if sp.startLine < 1 || sp.startCol < 1 || sp.endLine < sp.startLine {
				t.Fatalf("bad span %v", sp)
			}
		}
	})
}

func TestPolicyVariables(t *testing.T) {
	got := policyVariables("arn:aws:s3:::b/${aws:username}/${*}/${aws:PrincipalTag/team, 'none'}")
	if diff := cmp.Diff([]string{"aws:username", "aws:PrincipalTag/team"}, got); diff != "" {
		t.Fatal(diff)
	}
}
