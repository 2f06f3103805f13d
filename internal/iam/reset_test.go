package iam

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"gatehouse/internal/awsproto/iamapi"
	"gatehouse/internal/kv"
	"gatehouse/internal/store"
)

// fillForReset gives the test account one of everything Reset must remove, and another
// account a user that it must not.
func fillForReset(t *testing.T, env *testEnv) (userKey string) {
	t.Helper()
	env.must("CreateUser", `{"UserName":"Alice","Path":"/team/","Tags":[{"Key":"k","Value":"v"}]}`)
	userKey = env.must("CreateAccessKey", `{"UserName":"Alice"}`).(*iamapi.CreateAccessKeyOutput).AccessKey.AccessKeyId
	env.must("CreateLoginProfile", `{"UserName":"Alice","Password":"Alice-Pass-1"}`)
	env.must("PutUserPolicy", fmt.Sprintf(`{"UserName":"Alice","PolicyName":"inline","PolicyDocument":%q}`, s3Doc))
	env.must("CreateGroup", `{"GroupName":"devs"}`)
	env.must("AddUserToGroup", `{"GroupName":"devs","UserName":"Alice"}`)
	env.must("CreatePolicy", fmt.Sprintf(`{"PolicyName":"p","PolicyDocument":%q}`, s3Doc))
	env.must("CreatePolicyVersion", fmt.Sprintf(`{"PolicyArn":"arn:aws:iam::123456789012:policy/p","PolicyDocument":%q,"SetAsDefault":true}`, s3Doc))
	env.must("AttachGroupPolicy", `{"GroupName":"devs","PolicyArn":"arn:aws:iam::123456789012:policy/p"}`)
	env.must("AttachUserPolicy", `{"UserName":"Alice","PolicyArn":"arn:aws:iam::aws:policy/AmazonS3FullAccess"}`)
	env.must("PutUserPermissionsBoundary", `{"UserName":"Alice","PermissionsBoundary":"arn:aws:iam::123456789012:policy/p"}`)
	env.must("CreateRole", fmt.Sprintf(`{"RoleName":"r","AssumeRolePolicyDocument":%q}`,
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`))
	env.must("CreateInstanceProfile", `{"InstanceProfileName":"ip"}`)
	env.must("AddRoleToInstanceProfile", `{"InstanceProfileName":"ip","RoleName":"r"}`)
	env.must("CreateVirtualMFADevice", `{"VirtualMFADeviceName":"alice-phone"}`)
	env.must("CreateOpenIDConnectProvider", `{"Url":"https://token.actions.githubusercontent.com","ClientIDList":["sts.amazonaws.com"]}`)
	env.must("UpdateAccountPasswordPolicy", `{"MaxPasswordAge":90}`)
	env.must("CreateAccountAlias", `{"AccountAlias":"acme"}`)

	other := Account{ID: "210987654321", Partition: "aws", Caller: "arn:aws:iam::210987654321:root"}
	if _, err := env.svc.Bootstrap(ctx(), other.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := env.call(other, "CreateUser", `{"UserName":"Alice"}`); err != nil {
		t.Fatal(err)
	}
	if _, err := env.call(other, "CreateAccessKey", `{"UserName":"Alice"}`); err != nil {
		t.Fatal(err)
	}
	return userKey
}

// After a reset the store holds, of the account, exactly what Reset promises to keep: the
// account record (without its alias), the state with a newer generation, the root's access
// keys and the audit trail; other accounts' keys are byte for byte what they were.
func TestResetRemovesExactlyTheAccountsEntities(t *testing.T) {
	env := newEnv(t)
	rootKey := env.must("CreateAccessKey", `{}`).(*iamapi.CreateAccessKeyOutput).AccessKey.AccessKeyId
	userKey := fillForReset(t, env)
	before := snapshot(t, env.store)
	gen := env.svc.Generation(testAccount)

	if err := env.svc.Reset(ctx(), testAccount); err != nil {
		t.Fatal(err)
	}
	after := snapshot(t, env.store)

	base := keysFor(testAccount).base()
	var kept []string
	for k := range after {
		if strings.HasPrefix(k, base) {
			kept = append(kept, k)
		}
	}
	slices.Sort(kept)
	var rootKeys []string
	for k := range before {
		if strings.HasPrefix(k, keysFor(testAccount).userKeyPrefix("")) {
			rootKeys = append(rootKeys, k)
		}
	}
	slices.Sort(rootKeys)
	if want := append([]string{keysFor(testAccount).state()}, rootKeys...); !slices.Equal(kept, want) {
		t.Errorf("the account's keys after reset:\n got %q\nwant %q", kept, want)
	}
	if !slices.Contains(rootKeys, keysFor(testAccount).userKey("", rootKey)) {
		t.Fatalf("test bug: root keys %q, want %s among them", rootKeys, rootKey)
	}
	for _, k := range []string{accessKeyKey(rootKey), accountKey(testAccount)} {
		if _, ok := after[k]; !ok {
			t.Errorf("%s is gone after reset", k)
		}
	}
	for _, k := range []string{accessKeyKey(userKey), aliasKey("acme")} {
		if _, ok := after[k]; ok {
			t.Errorf("%s survived reset", k)
		}
	}
	for k, v := range before {
		if strings.HasPrefix(k, base) || k == accessKeyKey(userKey) || k == aliasKey("acme") || k == accountKey(testAccount) {
			continue
		}
		if after[k] != v { // another account's keys, the audit trail, the root's key record
			t.Errorf("reset changed %s", k)
		}
	}
	if n := len(slices.Collect(maps.Keys(after))) - len(before); n >= 0 {
		t.Errorf("reset left %d more keys than there were, want fewer", n)
	}

	c := env.changes.last()
	if c.Account != testAccount || c.Generation <= gen || c.Generation != env.svc.Generation(testAccount) {
		t.Errorf("Change = %+v, want account %s with a generation above %d", c, testAccount, gen)
	}
	if !slices.Equal(c.AccessKeys, []string{userKey}) {
		t.Errorf("Change.AccessKeys = %q, want the user's key %s (the root's stays)", c.AccessKeys, userKey)
	}
	if g, err := env.svc.StoredGeneration(ctx(), testAccount); err != nil || g != c.Generation {
		t.Errorf("stored generation = %d, %v; want %d", g, err, c.Generation)
	}
	if err := subset(env.must("GetAccountSummary", `{}`), `{"SummaryMap":{"Users":0,"Groups":0,"Roles":0,"Policies":0,"InstanceProfiles":0,"MFADevices":0,"AccountAccessKeysPresent":1}}`); err != nil {
		t.Error(err)
	}
	// Everything can be made again under the same names.
	fillAgain := newEnvOver(t, env.store)
	fillAgain.must("CreateUser", `{"UserName":"Alice"}`)
	fillAgain.must("CreateGroup", `{"GroupName":"devs"}`)
	fillAgain.must("CreatePolicy", fmt.Sprintf(`{"PolicyName":"p","PolicyDocument":%q}`, s3Doc))
	fillAgain.must("CreateVirtualMFADevice", `{"VirtualMFADeviceName":"alice-phone"}`)
	fillAgain.must("CreateOpenIDConnectProvider", `{"Url":"https://token.actions.githubusercontent.com","ClientIDList":["sts.amazonaws.com"]}`)
	fillAgain.must("CreateAccountAlias", `{"AccountAlias":"acme"}`)
}

// A reset is one transaction: cut off after any number of its Puts and Deletes — every cut
// comes after its DeleteKeys and range deletes — it leaves the store exactly as it was
// (atomic_test.go's failingStore); then it completes.
func TestResetIsAtomic(t *testing.T) {
	env := newEnv(t)
	userKey := fillForReset(t, env)
	fs := &failingStore{Store: env.store}
	cut := newEnvOver(t, fs)
	for fs.failAt = 0; ; fs.failAt++ {
		before := snapshot(t, env.store)
		err := cut.svc.Reset(ctx(), testAccount)
		after := snapshot(t, env.store)
		if err == nil {
			if maps.Equal(before, after) {
				t.Fatal("the reset succeeded and changed nothing")
			}
			break
		}
		if !errors.Is(err, errInjected) {
			t.Fatalf("cut after %d writes: got %v, want the injected failure", fs.failAt, err)
		}
		if !maps.Equal(before, after) {
			t.Fatalf("cut after %d writes: the store changed (%d keys before, %d after)", fs.failAt, len(before), len(after))
		}
		if _, err := env.svc.LookupAccessKey(ctx(), userKey); err != nil {
			t.Fatalf("cut after %d writes: the user's key: %v", fs.failAt, err)
		}
		if fs.failAt > 50 {
			t.Fatal("the reset never completed")
		}
	}
	if fs.failAt < 3 {
		t.Fatalf("the reset made %d writes after its range deletes; too few cuts to test", fs.failAt)
	}
}

// Another node sharing the store learns of a reset from its change log within a poll: the
// account's generation key, the deleted access keys, and kv.Reset for the keys the range
// deletes took (a watcher's cue to drop everything).
func TestResetSeenByOtherNodes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "gatehouse.db")
	opts := store.Options{UnsafeNoSync: true, PollInterval: 10 * time.Millisecond}
	a, err := store.OpenSQLite(ctx(), path, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := store.OpenSQLite(ctx(), path, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	env := newEnvOver(t, a)
	userKey := fillForReset(t, env)
	watch, cancel := context.WithCancel(ctx())
	defer cancel()
	ch := b.Changes(watch)
	if err := env.svc.Reset(ctx(), testAccount); err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{GenerationKey(testAccount): false, accessKeyKey(userKey): false, kv.Reset: false}
	deadline := time.After(10 * time.Second)
	for missing := len(want); missing > 0; {
		select {
		case k := <-ch:
			if seen, ok := want[k]; ok && !seen {
				want[k] = true
				missing--
			}
		case <-deadline:
			t.Fatalf("after a reset the other node saw %v (true: seen)", want)
		}
	}
}

// ResetAll empties every account in one transaction: cut off after any number of its Puts
// and Deletes, it leaves every account as it was; once it completes, each account is
// empty, with its own Change naming its users' keys.
func TestResetAllIsOneTransaction(t *testing.T) {
	env := newEnv(t)
	userKey := fillForReset(t, env)
	const otherAcct = "210987654321"
	other := Account{ID: otherAcct, Partition: "aws", Caller: "arn:aws:iam::" + otherAcct + ":root"}
	out, err := env.call(other, "ListAccessKeys", `{"UserName":"Alice"}`)
	if err != nil {
		t.Fatal(err)
	}
	if ks := out.(*iamapi.ListAccessKeysOutput).AccessKeyMetadata; len(ks) != 1 {
		t.Fatalf("test bug: the other account's Alice has %d keys, want 1", len(ks))
	}
	otherKey := *out.(*iamapi.ListAccessKeysOutput).AccessKeyMetadata[0].AccessKeyId
	fs := &failingStore{Store: env.store}
	cut := newEnvOver(t, fs)
	for fs.failAt = 0; ; fs.failAt++ {
		before := snapshot(t, env.store)
		err := cut.svc.ResetAll(ctx())
		if err == nil {
			break
		}
		if !errors.Is(err, errInjected) {
			t.Fatalf("cut after %d writes: got %v, want the injected failure", fs.failAt, err)
		}
		if !maps.Equal(before, snapshot(t, env.store)) {
			t.Fatalf("cut after %d writes: the store changed", fs.failAt)
		}
		if fs.failAt > 50 {
			t.Fatal("ResetAll never completed")
		}
	}
	if fs.failAt < 6 { // per account at least the alias or account record, state and audit
		t.Fatalf("ResetAll made %d writes; want the second account's cut too", fs.failAt)
	}
	for _, k := range []string{userKey, otherKey} {
		if _, err := env.svc.LookupAccessKey(ctx(), k); !errors.Is(err, ErrNoSuchAccessKey) {
			t.Errorf("user key %s after ResetAll: got %v, want ErrNoSuchAccessKey", k, err)
		}
	}
	for _, a := range []Account{root(), other} {
		out, err := env.call(a, "ListUsers", `{}`)
		if err != nil {
			t.Fatal(err)
		}
		if err := subset(out, `{"Users":[]}`); err != nil {
			t.Errorf("ListUsers in %s after ResetAll: %v", a.ID, err)
		}
	}
	got := map[string][]string{}
	for _, c := range cut.changes.cs {
		if c.Generation == 0 || c.Generation != cut.svc.Generation(c.Account) {
			t.Errorf("Change %+v: generation not the account's on this node (%d)", c, cut.svc.Generation(c.Account))
		}
		got[c.Account] = c.AccessKeys
	}
	want := map[string][]string{testAccount: {userKey}, otherAcct: {otherKey}}
	if len(got) != len(want) || !slices.Equal(got[testAccount], want[testAccount]) || !slices.Equal(got[otherAcct], want[otherAcct]) {
		t.Errorf("Changes' access keys by account = %v, want %v", got, want)
	}
}
