package sts

import (
	"errors"
	"strings"
	"testing"
	"time"

	"gatehouse/internal/awserr"
	"gatehouse/internal/awsproto/stsapi"
)

func TestAssumeRoleWithWebIdentityPlan(t *testing.T) {
	s, _ := newService(t)
	long := func(n int) []stsapi.Tag {
		var tags []stsapi.Tag
		for i := range n {
			tags = append(tags, stsapi.Tag{Key: str("k" + strings.Repeat("x", i)), Value: str(strings.Repeat("v", 256))})
		}
		return tags
	}
	cases := []struct {
		name     string
		in       stsapi.AssumeRoleWithWebIdentityInput
		claims   WebIdentityClaims
		code     string
		msg      string
		duration time.Duration
		packed   int
	}{
		{name: "default hour", duration: time.Hour},
		{name: "DurationSeconds", in: stsapi.AssumeRoleWithWebIdentityInput{DurationSeconds: i32(903)}, duration: 903 * time.Second},
		{name: "role maximum", in: stsapi.AssumeRoleWithWebIdentityInput{DurationSeconds: i32(7200)}, duration: 2 * time.Hour},
		{name: "above the role's maximum", in: stsapi.AssumeRoleWithWebIdentityInput{DurationSeconds: i32(7201)},
			code: "ValidationError", msg: msgMaxSessionDuration},
		{name: "source identity claim", claims: WebIdentityClaims{SourceIdentity: "alice@corp"}, duration: time.Hour},
		{name: "source identity aws: prefix", claims: WebIdentityClaims{SourceIdentity: "aws:alice"},
			code: stsapi.CodeInvalidIdentityToken, msg: msgWebSourceIdentity},
		{name: "source identity with a space", claims: WebIdentityClaims{SourceIdentity: "alice smith"},
			code: stsapi.CodeInvalidIdentityToken, msg: msgWebSourceIdentity},
		{name: "session policy", in: stsapi.AssumeRoleWithWebIdentityInput{Policy: str(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListBucket","Resource":"*"}]}`)},
			duration: time.Hour, packed: 5},
		{name: "malformed session policy", in: stsapi.AssumeRoleWithWebIdentityInput{Policy: str(`{"Statement":`)},
			code: stsapi.CodeMalformedPolicyDocument},
		{name: "packed policy too large", claims: WebIdentityClaims{Tags: long(8)}, code: stsapi.CodePackedPolicyTooLarge},
		{name: "duplicate tag keys", claims: WebIdentityClaims{Tags: []stsapi.Tag{{Key: str("Team"), Value: str("a")}, {Key: str("team"), Value: str("b")}}},
			code: "InvalidParameterValue"},
		{name: "transitive key not a tag", claims: WebIdentityClaims{Tags: []stsapi.Tag{{Key: str("team"), Value: str("a")}},
			TransitiveTagKeys: []string{"dept"}}, code: "InvalidParameterValue"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.in.RoleSessionName = str("web-session")
			plan, err := s.AssumeRoleWithWebIdentity(role1, &tc.in, &tc.claims)
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
			if plan.Kind != AssumedRole || plan.Chained || plan.ARN() != "arn:aws:sts::111122223333:assumed-role/role_1/web-session" ||
				plan.UserID() != "AROAROLE1:web-session" || plan.SourceIdentity != tc.claims.SourceIdentity || plan.PackedPolicySize != tc.packed {
				t.Errorf("plan %+v", plan)
			}
		})
	}
}
