package server

import (
	"net/url"
	"strings"
	"testing"
)

// A user that /moto-api/reset deleted cannot sign in any more, although every cache of the
// edge had it warm (its key in the key cache, its policy set in the policy cache, its record
// in IAM's GetUser read cache); a user re-created under the same name signs in with its new
// key and gets its own, new, permissions — not the old user's. The no-auth window is closed
// (reset-auth 0) so that an unknown key is refused instead of acting as the root, as moto
// server does once its window has run out.
func TestResetDeletedUserCannotSignIn(t *testing.T) {
	f := newEmuFixture(t, "emulator", Strict)
	if w := f.post("/moto-api/reset-auth", "0"); w.Code != 200 {
		t.Fatalf("reset-auth: %d %s", w.Code, w.Body)
	}
	const allowGetUser = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:GetUser","Resource":"*"}]}`
	getUser := url.Values{"Action": {"GetUser"}}
	getAlice := url.Values{"Action": {"GetUser"}, "UserName": {"alice"}}
	userID := func() string {
		t.Helper()
		w := f.root("iam", getAlice)
		if w.Code != 200 {
			t.Fatalf("GetUser alice as root: %d %s", w.Code, w.Body)
		}
		return between(w.Body.String(), "<UserId>", "</UserId>")
	}
	oldID, oldSecret := f.user("alice", allowGetUser)
	for range 2 { // the second round is served from the warm caches
		if w := f.call("sts", "us-east-1", oldID, oldSecret, "", getCallerIdentity); w.Code != 200 || !strings.Contains(w.Body.String(), ":user/alice<") {
			t.Fatalf("GetCallerIdentity as alice: %d %s", w.Code, w.Body)
		}
		if w := f.call("iam", "us-east-1", oldID, oldSecret, "", getUser); w.Code != 200 {
			t.Fatalf("GetUser as alice: %d %s", w.Code, w.Body)
		}
	}
	oldUserID := userID()
	if again := userID(); again != oldUserID { // served from the read cache
		t.Fatalf("GetUser alice twice: %s, then %s", oldUserID, again)
	}

	if w := f.post("/moto-api/reset", ""); w.Code != 200 {
		t.Fatalf("reset: %d %s", w.Code, w.Body)
	}

	refused := func(note string, params url.Values, service, id, secret string) {
		t.Helper()
		w := f.call(service, "us-east-1", id, secret, "", params)
		if w.Code != 403 || !strings.Contains(w.Body.String(), "<Code>InvalidClientTokenId</Code>") {
			t.Errorf("%s: got %d %s, want 403 InvalidClientTokenId", note, w.Code, w.Body)
		}
	}
	refused("GetCallerIdentity with the deleted user's key", getCallerIdentity, "sts", oldID, oldSecret)
	refused("GetUser with the deleted user's key", getUser, "iam", oldID, oldSecret)
	if w := f.root("iam", getAlice); w.Code != 404 || !strings.Contains(w.Body.String(), "<Code>NoSuchEntity</Code>") {
		t.Errorf("GetUser alice after reset: got %d %s, want 404 NoSuchEntity", w.Code, w.Body)
	}

	newID, newSecret := f.user("alice", "") // no policy this time
	if newID == "" || newID == oldID {
		t.Fatalf("the new alice's key = %q, want a new one", newID)
	}
	if w := f.call("sts", "us-east-1", newID, newSecret, "", getCallerIdentity); w.Code != 200 || !strings.Contains(w.Body.String(), ":user/alice<") {
		t.Errorf("GetCallerIdentity as the new alice: %d %s", w.Code, w.Body)
	}
	if id := userID(); id == oldUserID {
		t.Errorf("the new alice has the deleted user's ID %s", id)
	}
	if w := f.call("iam", "us-east-1", newID, newSecret, "", getUser); w.Code != 403 || !strings.Contains(w.Body.String(), "<Code>AccessDenied</Code>") {
		t.Errorf("GetUser as the new alice, who has no policy: got %d %s, want AccessDenied (not the old alice's permissions)", w.Code, w.Body)
	}
	refused("GetCallerIdentity with the deleted user's key, after the name was reused", getCallerIdentity, "sts", oldID, oldSecret)
	if w := f.root("iam", url.Values{"Action": {"PutUserPolicy"}, "UserName": {"alice"}, "PolicyName": {"p"}, "PolicyDocument": {allowGetUser}}); w.Code != 200 {
		t.Fatalf("PutUserPolicy: %d %s", w.Code, w.Body)
	}
	if w := f.call("iam", "us-east-1", newID, newSecret, "", getUser); w.Code != 200 {
		t.Errorf("GetUser as the new alice with a policy: got %d %s", w.Code, w.Body)
	}
}
