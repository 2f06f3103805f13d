package sts

import (
	"errors"
	"strings"
	"testing"
	"time"

	"gatehouse/internal/awserr"
	"gatehouse/internal/awsproto/stsapi"
)

func TestAssumeRoleWithSAMLPlan(t *testing.T) {
	s, clk := newService(t)
	now := clk.Now()
	cases := []struct {
		name     string
		in       stsapi.AssumeRoleWithSAMLInput
		claims   SAMLClaims
		code     string
		msg      string
		duration time.Duration
	}{
		{name: "default hour", claims: SAMLClaims{SessionName: "alice@example.com"}, duration: time.Hour},
		{name: "DurationSeconds wins over SessionDuration", in: stsapi.AssumeRoleWithSAMLInput{DurationSeconds: i32(1800)},
			claims: SAMLClaims{SessionName: "alice", SessionDuration: 900}, duration: 30 * time.Minute},
		{name: "SessionDuration attribute", claims: SAMLClaims{SessionName: "alice", SessionDuration: 900}, duration: 15 * time.Minute},
		{name: "SessionDuration capped at the role's maximum", claims: SAMLClaims{SessionName: "alice", SessionDuration: 43200}, duration: 2 * time.Hour},
		{name: "DurationSeconds above the role's maximum", in: stsapi.AssumeRoleWithSAMLInput{DurationSeconds: i32(10800)},
			claims: SAMLClaims{SessionName: "alice"}, code: "ValidationError", msg: msgMaxSessionDuration},
		{name: "SessionNotOnOrAfter shortens the session",
			claims: SAMLClaims{SessionName: "alice", SessionNotOnOrAfter: now.Add(20 * time.Minute)}, duration: 20 * time.Minute},
		{name: "SessionNotOnOrAfter past", claims: SAMLClaims{SessionName: "alice", SessionNotOnOrAfter: now.Add(-time.Minute)},
			code: stsapi.CodeExpiredTokenException},
		{name: "no session name", code: stsapi.CodeInvalidIdentityToken, msg: msgSAMLNoSessionName},
		{name: "session name with a space", claims: SAMLClaims{SessionName: "alice smith"}, code: stsapi.CodeInvalidIdentityToken, msg: msgSAMLSessionName},
		{name: "session name too long", claims: SAMLClaims{SessionName: strings.Repeat("a", 65)}, code: stsapi.CodeInvalidIdentityToken, msg: msgSAMLSessionName},
		{name: "source identity", claims: SAMLClaims{SessionName: "alice", SourceIdentity: "alice@corp"}, duration: time.Hour},
		{name: "source identity aws: prefix", claims: SAMLClaims{SessionName: "alice", SourceIdentity: "aws:alice"},
			code: stsapi.CodeInvalidIdentityToken, msg: msgSAMLSourceIdentity},
		{name: "malformed session policy", in: stsapi.AssumeRoleWithSAMLInput{Policy: str(`{"Statement":`)},
			claims: SAMLClaims{SessionName: "alice"}, code: stsapi.CodeMalformedPolicyDocument},
		{name: "packed policy too large", claims: SAMLClaims{SessionName: "alice",
			Tags: []stsapi.Tag{{Key: str("k"), Value: str(strings.Repeat("v", 256))}, {Key: str("k2"), Value: str(strings.Repeat("v", 256))},
				{Key: str("k3"), Value: str(strings.Repeat("v", 256))}, {Key: str("k4"), Value: str(strings.Repeat("v", 256))},
				{Key: str("k5"), Value: str(strings.Repeat("v", 256))}, {Key: str("k6"), Value: str(strings.Repeat("v", 256))},
				{Key: str("k7"), Value: str(strings.Repeat("v", 256))}, {Key: str("k8"), Value: str(strings.Repeat("v", 256))}}},
			code: stsapi.CodePackedPolicyTooLarge},
		{name: "tag value too long", claims: SAMLClaims{SessionName: "alice", Tags: []stsapi.Tag{{Key: str("team"), Value: str(strings.Repeat("v", 257))}}},
			code: stsapi.CodeInvalidIdentityToken},
		// "aws:" is reserved for AWS's own tag keys (id_session-tags.html#id_session-tags_know).
		{name: "tag key with the aws: prefix", claims: SAMLClaims{SessionName: "alice", Tags: []stsapi.Tag{{Key: str("AWS:team"), Value: str("a")}}},
			code: stsapi.CodeInvalidIdentityToken},
		{name: "transitive key not a tag", claims: SAMLClaims{SessionName: "alice", Tags: []stsapi.Tag{{Key: str("team"), Value: str("a")}},
			TransitiveTagKeys: []string{"dept"}}, code: "InvalidParameterValue"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			plan, err := s.AssumeRoleWithSAML(role1, &tc.in, &tc.claims)
			if tc.code != "" {
				var ae *awserr.Error
				if !errors.As(err, &ae) || ae.Code != tc.code || (tc.msg != "" && ae.Message != tc.msg) {
					t.Fatalf("got %v, want %s %q", err, tc.code, tc.msg)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := plan.Expires.Sub(plan.Issued); got != tc.duration {
				t.Errorf("duration %v, want %v", got, tc.duration)
			}
			if plan.Kind != AssumedRole || plan.Chained || plan.ARN() != "arn:aws:sts::111122223333:assumed-role/role_1/"+tc.claims.SessionName ||
				plan.UserID() != "AROAROLE1:"+tc.claims.SessionName || plan.SourceIdentity != tc.claims.SourceIdentity {
				t.Errorf("plan %+v", plan)
			}
		})
	}
}
