package server

import (
	"slices"
	"testing"
	"time"

	"gatehouse/internal/authz"
	"gatehouse/internal/sts"
)

// TestSessionKeysFederated: a request made with a federated session's credentials carries
// the keys sealed in its token — aws:FederatedProvider for a web identity session
// (reference_policies_condition-keys.html#condition-keys-federatedprovider) and the
// provider's keys (condition-keys-wif; SAML's condition-keys-saml_permission-policy) —
// and a session of AssumeRole carries none of them.
func TestSessionKeysFederated(t *testing.T) {
	s := &Server{cfg: Config{Now: time.Now}}
	now := time.Now().UTC()
	web := &sts.Session{Kind: sts.AssumedRole, Issued: now, SourceIdentity: "octocat",
		FederatedProvider: "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com",
		ProviderKeys: []sts.ProviderKey{
			{Key: "token.actions.githubusercontent.com:sub", Values: []string{"repo:org/app:ref:refs/heads/main"}},
			{Key: "token.actions.githubusercontent.com:amr", Values: []string{"pwd", "mfa"}, Multi: true},
		}}
	saml := &sts.Session{Kind: sts.AssumedRole, Issued: now, ProviderKeys: []sts.ProviderKey{
		{Key: "saml:sub", Values: []string{"alice"}}, {Key: "saml:sub_type", Values: []string{"persistent"}},
		{Key: "saml:namequalifier", Values: []string{"Z5eT8tV3o+Wp0mzTCvmJZ4GbyFQ="}}}}
	plain := &sts.Session{Kind: sts.AssumedRole, Issued: now}
	for _, tc := range []struct {
		name string
		sess *sts.Session
		want map[string][]string // nil: the key must be absent
	}{
		{"web identity", web, map[string][]string{
			"aws:FederatedProvider":                   {web.FederatedProvider},
			"token.actions.githubusercontent.com:sub": {"repo:org/app:ref:refs/heads/main"},
			"token.actions.githubusercontent.com:amr": {"pwd", "mfa"},
			"aws:SourceIdentity":                      {"octocat"},
		}},
		{"SAML", saml, map[string][]string{
			"aws:FederatedProvider": nil,
			"saml:sub":              {"alice"},
			"saml:sub_type":         {"persistent"},
			"saml:namequalifier":    {"Z5eT8tV3o+Wp0mzTCvmJZ4GbyFQ="},
		}},
		{"AssumeRole", plain, map[string][]string{
			"aws:FederatedProvider": nil, "saml:sub": nil, "token.actions.githubusercontent.com:sub": nil,
		}},
	} {
		cond := authz.NewContext(&authz.Principal{Kind: authz.AssumedRole}, nil)
		s.sessionKeys(cond, &caller{session: tc.sess})
		for key, want := range tc.want {
			got, ok := cond.Values(key)
			if want == nil {
				if ok {
					t.Errorf("%s: %s = %q, want it absent", tc.name, key, got)
				}
				continue
			}
			if !ok || !slices.Equal(got, want) {
				t.Errorf("%s: %s = %q (present %v), want %q", tc.name, key, got, ok, want)
			}
		}
	}
}
