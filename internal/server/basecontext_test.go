package server

import (
	"testing"

	"gatehouse/internal/authz"
)

// TestPrincipalEntryContext: a policy-cache entry builds its principal's keys once and
// shares them; a caller whose principal differs from the one the keys were built for (the
// entry outlived a change of user ID) gets keys of its own, never another's.
func TestPrincipalEntryContext(t *testing.T) {
	e := &principalEntry{tags: map[string]string{"team": "blue"}}
	alice := authz.Principal{Kind: authz.User, ARN: "arn:aws:iam::111122223333:user/alice", Partition: "aws",
		Account: "111122223333", Name: "alice", UserID: "AIDAAAAAAAAAAAAAAAAAA"}
	check := func(p *authz.Principal, key, want string) {
		t.Helper()
		ctx := e.context(p)
		got, ok := ctx.Values(key)
		if !ok || len(got) != 1 || got[0] != want {
			t.Fatalf("%s = %v (%v), want %q", key, got, ok, want)
		}
	}
	check(&alice, "aws:userid", "AIDAAAAAAAAAAAAAAAAAA")
	check(&alice, "aws:PrincipalTag/team", "blue")
	first := e.base.Load()
	c1 := e.context(&alice)
	c1.Set("aws:SourceIp", "10.0.0.1") // a request's key stays on its own context
	if e.base.Load() != first {
		t.Fatal("the same principal rebuilt the shared keys")
	}
	if _, ok := e.context(&alice).Values("aws:SourceIp"); ok {
		t.Fatal("a request's key leaked into the shared keys")
	}
	recreated := alice
	recreated.UserID = "AIDABBBBBBBBBBBBBBBBB"
	check(&recreated, "aws:userid", "AIDABBBBBBBBBBBBBBBBB")
	check(&alice, "aws:userid", "AIDAAAAAAAAAAAAAAAAAA")
}
