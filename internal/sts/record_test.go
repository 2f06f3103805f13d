package sts

import (
	"bytes"
	"context"
	"testing"

	"gatehouse/internal/awsproto/stsapi"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// A federated session's provider and condition keys travel sealed in its token, keys of one
// value and sets alike.
func TestRecordFederatedFields(t *testing.T) {
	s, _ := newService(t)
	plan, err := s.AssumeRoleWithWebIdentity(role1, &stsapi.AssumeRoleWithWebIdentityInput{RoleArn: str(role1.ARN),
		RoleSessionName: str("run-1"), WebIdentityToken: str("t")}, &WebIdentityClaims{SourceIdentity: "octocat",
		FederatedProvider: "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com",
		ProviderKeys: []ProviderKey{
			{Key: "token.actions.githubusercontent.com:sub", Values: []string{"repo:org/app:ref:refs/heads/main"}},
			{Key: "token.actions.githubusercontent.com:aud", Values: []string{"sts.amazonaws.com"}},
			{Key: "token.actions.githubusercontent.com:amr", Values: []string{"authenticated", "mfa"}, Multi: true},
			{Key: "token.actions.githubusercontent.com:oaud", Values: nil, Multi: true},
		}})
	if err != nil {
		t.Fatal(err)
	}
	cr, err := s.Issue(plan)
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.Open(context.Background(), cr.AccessKeyID, cr.SessionToken)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(plan, got, cmp.AllowUnexported(Session{}), cmpopts.EquateEmpty(),
		cmpopts.IgnoreFields(Session{}, "PackedPolicySize")); diff != "" {
		t.Errorf("opened session differs from the issued one (-issued +opened):\n%s", diff)
	}
	if got.FederatedProvider == "" || len(got.ProviderKeys) != 4 || !got.ProviderKeys[2].Multi || got.ProviderKeys[0].Multi {
		t.Errorf("federated fields lost: %q %+v", got.FederatedProvider, got.ProviderKeys)
	}
}

// Tokens sealed before a record version existed still open: a version 1 record has no EC2
// role-delivery fields, a version 2 record no federated fields. A record must be exactly
// its version's length, and versions this node does not know are refused.
func TestRecordOlderVersions(t *testing.T) {
	s, _ := newService(t)
	plan, err := s.AssumeRole(alice, role1, &stsapi.AssumeRoleInput{RoleArn: str(role1.ARN), RoleSessionName: str("s1"),
		Tags: []stsapi.Tag{{Key: str("team"), Value: str("blue")}}, TransitiveTagKeys: []string{"team"}, SourceIdentity: str("alice")})
	if err != nil {
		t.Fatal(err)
	}
	plan.PackedPolicySize = 0
	v3 := plan.marshal()
	// Without federated fields a version 3 record ends in "" (one byte) and no keys (one
	// byte); a version 2 record is that without them, a version 1 record also without the
	// two empty EC2 strings.
	if !bytes.HasSuffix(v3, []byte{0, 0, 0, 0}) {
		t.Fatalf("record %x does not end in four empty fields", v3)
	}
	v2 := append([]byte{2}, v3[1:len(v3)-2]...)
	v1 := append([]byte{1}, v3[1:len(v3)-4]...)
	for _, tc := range []struct {
		name string
		rec  []byte
	}{{"version 1", v1}, {"version 2", v2}, {"version 3", v3}} {
		got, err := unmarshalSession(tc.rec)
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if diff := cmp.Diff(plan, got, cmp.AllowUnexported(Session{}), cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("%s decodes to another session (-want +got):\n%s", tc.name, diff)
		}
	}
	for _, tc := range []struct {
		name string
		rec  []byte
	}{
		{"version 2 with version 3's fields", append([]byte{2}, v3[1:]...)},
		{"version 3 without its fields", append([]byte{3}, v2[1:]...)},
		{"version 4", append([]byte{4}, v3[1:]...)},
		{"version 0", append([]byte{0}, v3[1:]...)},
	} {
		if _, err := unmarshalSession(tc.rec); err == nil {
			t.Errorf("%s: decoded, want it refused", tc.name)
		}
	}
	// A multi flag other than 0 or 1 is not a record marshal wrote.
	fed := *plan
	fed.FederatedProvider, fed.ProviderKeys = "accounts.google.com", []ProviderKey{{Key: "accounts.google.com:sub", Values: []string{"1"}}}
	b := fed.marshal()
	i := bytes.Index(b, []byte("accounts.google.com:sub")) + len("accounts.google.com:sub")
	b[i] = 2
	if _, err := unmarshalSession(b); err == nil {
		t.Error("a provider key with multi flag 2 decoded")
	}
}
