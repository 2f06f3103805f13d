package iam

import (
	"testing"
	"time"
)

// A password older than MaxPasswordAge must be changed at sign-in; ChangePassword renews it.
func TestPasswordExpiry(t *testing.T) {
	env := newEnv(t)
	env.must("CreateUser", `{"UserName":"alice"}`)
	env.must("CreateLoginProfile", `{"UserName":"alice","Password":"Alice-Pass-1"}`)
	env.must("UpdateAccountPasswordPolicy", `{"MaxPasswordAge":30}`)
	signIn := func(pw string) bool {
		t.Helper()
		_, reset, err := env.svc.VerifyPassword(ctx(), testAccount, "alice", pw)
		if err != nil {
			t.Fatalf("VerifyPassword: %v", err)
		}
		return reset
	}
	if signIn("Alice-Pass-1") {
		t.Fatal("fresh password: got reset required")
	}
	env.clock.advance(31 * 24 * time.Hour)
	if !signIn("Alice-Pass-1") {
		t.Fatal("password older than MaxPasswordAge: got no reset required")
	}
	self := Account{ID: testAccount, Caller: "arn:aws:iam::" + testAccount + ":user/alice"}
	if _, err := env.call(self, "ChangePassword", `{"OldPassword":"Alice-Pass-1","NewPassword":"Alice-Pass-2"}`); err != nil {
		t.Fatal(err)
	}
	if signIn("Alice-Pass-2") {
		t.Fatal("just changed: got reset required")
	}
	if _, _, err := env.svc.VerifyPassword(ctx(), testAccount, "alice", "Alice-Pass-1"); err != ErrBadPassword {
		t.Fatalf("old password: got %v, want ErrBadPassword", err)
	}
}
