package iam

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"gatehouse/internal/authz"
	"gatehouse/internal/awserr"
	"gatehouse/internal/awsproto/iamapi"
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
	// A closing brace where an array element should be: skip cannot pass it, and the loop
	// once appended empty spans at the same offset forever (found by this target).
	f.Add(`{"Statement":[}`)
	f.Add(`{"Statement":[{},}]}`)
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

// FuzzSimContext: any context entry is either accepted or refused with InvalidInput, never a
// panic.
func FuzzSimContext(f *testing.F) {
	f.Add("aws:SourceIp", "ip", "203.0.113.0/24", "")
	f.Add("aws:CurrentTime", "date", "2026-11-30T10:00:00Z", "x")
	f.Add("aws:MultiFactorAuthAge", "numericList", "1", "2")
	f.Fuzz(func(t *testing.T, key, typ, v1, v2 string) {
		p := authz.Principal{Kind: authz.User, ARN: "arn:aws:iam::123456789012:user/u", Account: "123456789012", Name: "u"}
		_, err := simContext(&p, nil, []iamapi.ContextEntry{{ContextKeyName: &key, ContextKeyType: iamapi.ContextKeyTypeEnum(typ), ContextKeyValues: []string{v1, v2}}})
		if err != nil {
			if ae, ok := awserr.As(err); !ok || ae.Code != "InvalidInput" {
				t.Fatalf("got %v, want InvalidInput", err)
			}
		}
	})
}

// FuzzResourceHandling: any ResourceHandlingOption and resource list is accepted or refused
// with InvalidInput, never a panic; an accepted scenario has every type it requires.
func FuzzResourceHandling(f *testing.F) {
	f.Add("EC2-VPC-EBS", "arn:aws:ec2:us-east-1:123456789012:instance/*", "arn:aws:ec2:us-east-1::image/ami-1")
	f.Add("EC2-Classic-InstanceStore", "arn:aws:ec2:::instance/", "*")
	f.Add("", "arn:aws:ec2", "arn:aws:s3:::b")
	f.Fuzz(func(t *testing.T, opt, r1, r2 string) {
		sc, err := resourceHandling(&opt, []string{r1, r2})
		if err != nil {
			if ae, ok := awserr.As(err); !ok || ae.Code != "InvalidInput" {
				t.Fatalf("got %v, want InvalidInput", err)
			}
			return
		}
		have := map[string]bool{ec2ResourceType(r1): true, ec2ResourceType(r2): true}
		for _, typ := range sc.types {
			if !have[typ] {
				t.Fatalf("scenario %s accepted without a %s", sc.name, typ)
			}
		}
	})
}
