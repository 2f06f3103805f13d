package server

import (
	"testing"

	"gatehouse/internal/awserr"
	"gatehouse/internal/sts"
)

// TestSessionMayCall holds what temporary credentials may call in STS
// (id_credentials_temp_request.html#stsapi_comparison). AssumeRoleWithWebIdentity and
// AssumeRoleWithSAML need no credentials, so whatever credentials sign them — a
// GetSessionToken session's, a federated user's — do not stop them before the token or
// assertion is read.
func TestSessionMayCall(t *testing.T) {
	fed := &sts.Session{Kind: sts.FederatedUser}
	user := &sts.Session{Kind: sts.UserSession}
	rootSess := &sts.Session{Kind: sts.RootSession}
	mfa := &sts.Session{Kind: sts.UserSession, MFA: true}
	role := &sts.Session{Kind: sts.AssumedRole}
	cases := []struct {
		sess    *sts.Session
		op      string
		allowed bool
	}{
		{nil, "AssumeRole", true},
		{fed, "GetCallerIdentity", true},
		{fed, "AssumeRole", false},
		{fed, "GetAccessKeyInfo", false},
		{fed, "AssumeRoleWithWebIdentity", true},
		{fed, "AssumeRoleWithSAML", true},
		{user, "AssumeRole", true},
		{user, "DecodeAuthorizationMessage", false},
		{user, "AssumeRoleWithWebIdentity", true},
		{user, "AssumeRoleWithSAML", true},
		{rootSess, "GetAccessKeyInfo", false},
		{rootSess, "AssumeRoleWithSAML", true},
		{mfa, "DecodeAuthorizationMessage", true},
		{role, "GetAccessKeyInfo", true},
		{role, "AssumeRoleWithWebIdentity", true},
	}
	for _, tc := range cases {
		err := sessionMayCall(tc.sess, tc.op)
		kind := "long-term"
		if tc.sess != nil {
			kind = tc.sess.Kind.String()
		}
		if tc.allowed && err != nil {
			t.Errorf("%s calling %s: got %v, want it let through", kind, tc.op, err)
		}
		if !tc.allowed {
			if ae, ok := awserr.As(err); !ok || ae.Code != "AccessDenied" {
				t.Errorf("%s calling %s: got %v, want AccessDenied", kind, tc.op, err)
			}
		}
	}
}
