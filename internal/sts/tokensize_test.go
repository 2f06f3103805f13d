package sts

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"gatehouse/internal/awserr"
	"gatehouse/internal/awsproto/stsapi"
	"gatehouse/internal/seal"
)

// wantPacked checks that err is PackedPolicyTooLarge with a message containing msg.
func wantPacked(t *testing.T, err error, msg string) {
	t.Helper()
	var ae *awserr.Error
	if !errors.As(err, &ae) || ae.Code != stsapi.CodePackedPolicyTooLarge || ae.Status != 400 || !strings.Contains(ae.Message, msg) {
		t.Fatalf("got %v, want 400 PackedPolicyTooLarge with %q", err, msg)
	}
}

// issueAndOpen issues plan and opens its token, as a later request would.
func issueAndOpen(t *testing.T, s *Service, plan *Session) *Session {
	t.Helper()
	cr, err := s.Issue(plan)
	if err != nil {
		t.Fatalf("Issue: %v", err)
	}
	if len(cr.SessionToken) > seal.MaxTokenLen {
		t.Fatalf("token of %d characters, over seal.MaxTokenLen %d", len(cr.SessionToken), seal.MaxTokenLen)
	}
	got, err := s.Open(context.Background(), cr.AccessKeyID, cr.SessionToken)
	if err != nil {
		t.Fatalf("Open: %v (token of %d characters)", err, len(cr.SessionToken))
	}
	return got
}

// webPlan plans a web identity session whose amr claim holds values.
func webPlan(s *Service, values ...string) (*Session, error) {
	in := &stsapi.AssumeRoleWithWebIdentityInput{RoleSessionName: str("web-session")}
	cl := &WebIdentityClaims{FederatedProvider: "arn:aws:iam::111122223333:oidc-provider/idp.example.com",
		ProviderKeys: []ProviderKey{
			{Key: "idp.example.com:sub", Values: []string{"user-1"}},
			{Key: "idp.example.com:aud", Values: []string{"app"}},
			{Key: "idp.example.com:amr", Values: values, Multi: true},
		}}
	return s.AssumeRoleWithWebIdentity(role1, in, cl)
}

// TestTokenLimitWebIdentity: a token's claims (here amr) that make the record one byte
// longer than a token carries are refused with PackedPolicyTooLarge when the session is
// planned, not issued as credentials no request can use; at exactly seal.MaxRecordLen the
// session is issued and its token opens with every claim value.
func TestTokenLimitWebIdentity(t *testing.T) {
	s, _ := newService(t)
	probe, err := webPlan(s, "pwd", strings.Repeat("m", 10000))
	if err != nil {
		t.Fatal(err)
	}
	// The amr value's length prefix is two bytes from 128 to 16,383: the record grows by
	// exactly the bytes the value gains.
	fill := 10000 + seal.MaxRecordLen - len(probe.marshal())

	plan, err := webPlan(s, "pwd", strings.Repeat("m", fill))
	if err != nil {
		t.Fatalf("record of seal.MaxRecordLen bytes: %v", err)
	}
	if n := len(plan.marshal()); n != seal.MaxRecordLen {
		t.Fatalf("record of %d bytes, want %d", n, seal.MaxRecordLen)
	}
	got := issueAndOpen(t, s, plan)
	if !slices.Equal(got.ProviderKeys[2].Values, []string{"pwd", strings.Repeat("m", fill)}) {
		t.Errorf("amr after Open: %.40q", got.ProviderKeys[2].Values)
	}

	_, err = webPlan(s, "pwd", strings.Repeat("m", fill+1))
	wantPacked(t, err, "Packed size of the identity provider's claims (idp.example.com:sub, idp.example.com:aud, idp.example.com:amr) consumes 101% of allotted space.")

	// More values than a record's list holds fail as cleanly, however short.
	many := make([]string, maxRecordList+1)
	for i := range many {
		many[i] = fmt.Sprint(i)
	}
	_, err = webPlan(s, many...)
	wantPacked(t, err, "Packed size of the identity provider's claims")
	if _, err := webPlan(s, many[:maxRecordList]...); err != nil {
		t.Errorf("%d amr values: %v", maxRecordList, err)
	}
}

// TestWebIdentityRepeatedValues: repeated values of a multi-valued claim are kept once —
// a policy tests the key as a set — so a token that repeats them is not refused for it;
// the claims passed in are left as they were.
func TestWebIdentityRepeatedValues(t *testing.T) {
	s, _ := newService(t)
	amr := slices.Repeat([]string{"pwd", "mfa"}, 100)
	plan, err := webPlan(s, amr...)
	if err != nil {
		t.Fatal(err)
	}
	if got := plan.ProviderKeys[2].Values; !slices.Equal(got, []string{"pwd", "mfa"}) {
		t.Errorf("amr in the session: got %q, want [pwd mfa]", got)
	}
	if got := issueAndOpen(t, s, plan).ProviderKeys[2].Values; !slices.Equal(got, []string{"pwd", "mfa"}) {
		t.Errorf("amr after Open: got %q, want [pwd mfa]", got)
	}
	if len(amr) != 200 || amr[2] != "pwd" {
		t.Errorf("the claims' own list changed: %q", amr[:4])
	}
}

// TestTokenLimitSAML: an assertion whose NameID (saml:sub) makes the record too long is
// refused when the session is planned.
func TestTokenLimitSAML(t *testing.T) {
	s, _ := newService(t)
	plan := func(sub string) error {
		_, err := s.AssumeRoleWithSAML(role1, &stsapi.AssumeRoleWithSAMLInput{}, &SAMLClaims{SessionName: "alice",
			ProviderKeys: []ProviderKey{{Key: "saml:sub", Values: []string{sub}}}})
		return err
	}
	if err := plan(strings.Repeat("s", 12000)); err != nil {
		t.Errorf("saml:sub of 12,000 characters: %v", err)
	}
	wantPacked(t, plan(strings.Repeat("s", seal.MaxRecordLen)), "Packed size of the identity provider's claims (saml:sub)")

	// As many TransitiveTagKeys attribute values as a record's list holds, plus one.
	keys := slices.Repeat([]string{"team"}, maxRecordList+1)
	_, err := s.AssumeRoleWithSAML(role1, &stsapi.AssumeRoleWithSAMLInput{}, &SAMLClaims{SessionName: "alice",
		Tags: []stsapi.Tag{{Key: str("team"), Value: str("blue")}}, TransitiveTagKeys: keys})
	wantPacked(t, err, "Packed size of session tags consumes")
}

// TestTokenLimitAssumeRoleChain: a role chain can pile transitive tags inherited from the
// calling session on the 50 tags a request may pass, and a record holds no more than
// maxRecordList tags: such a session is refused, not issued with a token that does not
// open.
func TestTokenLimitAssumeRoleChain(t *testing.T) {
	s, _ := newService(t)
	tags := func(prefix string, n int) ([]stsapi.Tag, []string) {
		var tags []stsapi.Tag
		var keys []string
		for i := range n {
			k := fmt.Sprintf("%s%d", prefix, i)
			tags = append(tags, stsapi.Tag{Key: str(k), Value: str("v")})
			keys = append(keys, k)
		}
		return tags, keys
	}
	firstTags, firstKeys := tags("a", 50)
	first, err := s.AssumeRole(alice, role1, &stsapi.AssumeRoleInput{RoleSessionName: str("first"), Tags: firstTags, TransitiveTagKeys: firstKeys})
	if err != nil {
		t.Fatal(err)
	}
	caller := &Caller{ARN: first.ARN(), Account: first.Account, Partition: "aws", UserID: first.UserID(), Session: issueAndOpen(t, s, first)}
	for _, tc := range []struct {
		n  int // tags the chained request passes
		ok bool
	}{{maxRecordList - 50, true}, {maxRecordList - 50 + 1, false}, {50, false}} {
		t.Run(fmt.Sprint(tc.n), func(t *testing.T) {
			more, _ := tags("b", tc.n)
			plan, err := s.AssumeRole(caller, role1, &stsapi.AssumeRoleInput{RoleSessionName: str("second"), Tags: more})
			if !tc.ok {
				wantPacked(t, err, "Packed size of session tags consumes")
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := issueAndOpen(t, s, plan); len(got.Tags) != maxRecordList {
				t.Errorf("opened session has %d tags, want %d", len(got.Tags), maxRecordList)
			}
		})
	}
}

// TestTokenLimitAssumeRoleMaximum: within AWS's input limits — a 2,048-character policy,
// 2,048 packed bytes of tags, 50 transitive keys of 128 characters, a role path of 512 —
// an AssumeRole session made with long-term keys stays within a token's length (about
// 11,300 of 12,259 bytes); what exceeds it is a role chain's inherited tags and transitive
// keys, and identity providers' claims.
func TestTokenLimitAssumeRoleMaximum(t *testing.T) {
	s, _ := newService(t)
	role := *role1
	role.ARN = "arn:aws:iam::111122223333:role/" + strings.Repeat("p", 510) + "/" + strings.Repeat("r", 64)
	doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`
	doc += strings.Repeat(" ", MaxSessionPolicyText-len(doc))
	key := strings.Repeat("K", maxTagKeyLength)
	// 50 spellings of one key, as many as TransitiveTagKeys may hold: keys are unique
	// without regard to case, and each spelling names the tag.
	var transitive []string
	for i := range 50 {
		transitive = append(transitive, key[:i]+strings.ToLower(key[i:i+1])+key[i+1:])
	}
	tagList := []stsapi.Tag{{Key: str(key), Value: str(strings.Repeat("v", maxTagValueLength))}}
	room := packedPolicyAllowance - compactLen(doc) - maxTagKeyLength - maxTagValueLength
	for i := 0; room > 0; i++ {
		k := fmt.Sprintf("t%02d", i)
		v := strings.Repeat("v", min(maxTagValueLength, room-len(k)))
		tagList = append(tagList, stsapi.Tag{Key: str(k), Value: str(v)})
		room -= len(k) + len(v)
	}
	in := &stsapi.AssumeRoleInput{RoleArn: &role.ARN, RoleSessionName: str(strings.Repeat("n", 64)), Policy: &doc, Tags: tagList,
		TransitiveTagKeys: transitive, SourceIdentity: str(strings.Repeat("i", 64)), DurationSeconds: i32(7200)}
	if err := in.Validate(); err != nil {
		t.Fatalf("input beyond AWS's limits: %v", err)
	}
	plan, err := s.AssumeRole(alice, &role, in)
	if err != nil {
		t.Fatal(err)
	}
	if plan.PackedPolicySize != 100 {
		t.Errorf("PackedPolicySize %d, want 100 (the test should fill the allowance)", plan.PackedPolicySize)
	}
	rec := plan.marshal()
	t.Logf("record of %d bytes at AWS's maximum sizes; a token carries %d", len(rec), seal.MaxRecordLen)
	if use := recordUse(plan, rec); use > 100 {
		t.Errorf("record uses %d%% of a token", use)
	}
	issueAndOpen(t, s, plan)
}
