package iam

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"gatehouse/internal/awsproto/iamapi"
	"gatehouse/internal/kv"
)

const s3Doc = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::my_bucket"}]}`
const trustDoc = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`

func TestPaginationOverManyUsers(t *testing.T) {
	env := newEnv(t)
	const n = 237
	want := make([]string, n)
	for i := range n {
		name := fmt.Sprintf("user%03d", i)
		want[i] = name
		env.must("CreateUser", fmt.Sprintf(`{"UserName":%q}`, name))
	}
	var got []string
	var marker *string
	pages := 0
	for {
		out, err := env.svc.ListUsers(ctx(), root(), &iamapi.ListUsersInput{Marker: marker})
		if err != nil {
			t.Fatal(err)
		}
		pages++
		if len(out.Users) > 100 {
			t.Fatalf("page %d: got %d users, want at most the default MaxItems 100", pages, len(out.Users))
		}
		for _, u := range out.Users {
			got = append(got, u.UserName)
		}
		if !*out.IsTruncated {
			if out.Marker != nil {
				t.Fatalf("got Marker %q on the last page, want none", *out.Marker)
			}
			break
		}
		marker = out.Marker
	}
	if pages != 3 || !slices.Equal(got, want) {
		t.Fatalf("got %d users in %d pages, want %d in 3, in name order", len(got), pages, n)
	}
	// A marker from another operation is refused.
	out, err := env.svc.ListUsers(ctx(), root(), &iamapi.ListUsersInput{MaxItems: ptr(int32(1))})
	if err != nil {
		t.Fatal(err)
	}
	_, err = env.svc.ListGroups(ctx(), root(), &iamapi.ListGroupsInput{Marker: out.Marker})
	wantErr(t, err, "ValidationError", "Invalid Marker.")
}

func TestRenameUserMovesEverything(t *testing.T) {
	env := newEnv(t)
	env.must("CreatePolicy", fmt.Sprintf(`{"PolicyName":"p","PolicyDocument":%q}`, s3Doc))
	env.must("CreateUser", `{"UserName":"bob","PermissionsBoundary":"arn:aws:iam::123456789012:policy/p"}`)
	env.must("CreateGroup", `{"GroupName":"devs"}`)
	env.must("AddUserToGroup", `{"GroupName":"devs","UserName":"bob"}`)
	env.must("PutUserPolicy", fmt.Sprintf(`{"UserName":"bob","PolicyName":"inline","PolicyDocument":%q}`, s3Doc))
	env.must("AttachUserPolicy", `{"UserName":"bob","PolicyArn":"arn:aws:iam::aws:policy/AmazonS3FullAccess"}`)
	key := env.must("CreateAccessKey", `{"UserName":"bob"}`).(*iamapi.CreateAccessKeyOutput).AccessKey

	env.must("UpdateUser", `{"UserName":"bob","NewUserName":"Robert","NewPath":"/eng/"}`)
	newARN := "arn:aws:iam::123456789012:user/eng/Robert"

	id, err := env.svc.LookupAccessKey(ctx(), key.AccessKeyId)
	if err != nil {
		t.Fatal(err)
	}
	if id.Principal != newARN || id.UserName != "Robert" || id.Secret != key.SecretAccessKey {
		t.Fatalf("got key of %s (%s), want %s with its secret", id.Principal, id.UserName, newARN)
	}
	ps, err := env.svc.PrincipalPolicies(ctx(), newARN)
	if err != nil {
		t.Fatal(err)
	}
	var sources []string
	for _, p := range ps.Policies {
		sources = append(sources, p.Source.String()+":"+p.Name)
	}
	if want := []string{"user-inline:inline", "managed:AmazonS3FullAccess"}; !slices.Equal(sources, want) {
		t.Fatalf("got policies %v, want %v", sources, want)
	}
	if ps.Boundary == nil || ps.Boundary.Name != "p" {
		t.Fatalf("got boundary %+v, want p", ps.Boundary)
	}
	if _, err := env.svc.PrincipalPolicies(ctx(), "arn:aws:iam::123456789012:user/bob"); !errors.Is(err, ErrNoSuchPrincipal) {
		t.Fatalf("old ARN: got %v, want ErrNoSuchPrincipal", err)
	}
	for op, in := range map[string]string{
		"GetGroup":              `{"GroupName":"devs"}`,
		"ListEntitiesForPolicy": `{"PolicyArn":"arn:aws:iam::aws:policy/AmazonS3FullAccess"}`,
	} {
		out, err := env.call(root(), op, in)
		if err != nil {
			t.Fatal(err)
		}
		if err := subset(out, `{}`); err != nil || !strings.Contains(fmt.Sprint(jsonOf(out)), "Robert") {
			t.Fatalf("%s after rename: got %s, want Robert in it", op, jsonOf(out))
		}
	}
	change := env.changes.last()
	if !slices.Contains(change.Principals, newARN) || !slices.Contains(change.Principals, "arn:aws:iam::123456789012:user/bob") || !slices.Contains(change.AccessKeys, key.AccessKeyId) {
		t.Fatalf("got change %+v, want old and new ARN and the key", change)
	}
	// Everything the user holds moved, so removing it under the new name leaves the user
	// deletable.
	env.must("DeleteAccessKey", fmt.Sprintf(`{"UserName":"robert","AccessKeyId":%q}`, key.AccessKeyId))
	env.must("DeleteUserPolicy", `{"UserName":"robert","PolicyName":"inline"}`)
	env.must("DetachUserPolicy", `{"UserName":"robert","PolicyArn":"arn:aws:iam::aws:policy/AmazonS3FullAccess"}`)
	env.must("RemoveUserFromGroup", `{"GroupName":"devs","UserName":"robert"}`)
	env.must("DeleteUser", `{"UserName":"robert"}`)
	out := env.must("GetPolicy", `{"PolicyArn":"arn:aws:iam::123456789012:policy/p"}`)
	if err := subset(out, `{"Policy":{"PermissionsBoundaryUsageCount":0,"AttachmentCount":0}}`); err != nil {
		t.Fatal(err)
	}
	// Nothing about bob is left in the account's keys.
	for k := range snapshot(t, env.store) {
		if strings.HasPrefix(k, "a/") && (strings.Contains(k, "/bob") || strings.Contains(k, "robert")) {
			t.Errorf("left behind: %s", k)
		}
	}
}

func jsonOf(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func TestPrincipalPoliciesUserGroupsRole(t *testing.T) {
	env := newEnv(t)
	env.must("CreateUser", `{"UserName":"user_1","Tags":[{"Key":"team","Value":"blue"}]}`)
	env.must("CreateGroup", `{"GroupName":"developers"}`)
	env.must("AttachGroupPolicy", `{"GroupName":"developers","PolicyArn":"arn:aws:iam::aws:policy/AmazonEC2FullAccess"}`)
	env.must("PutGroupPolicy", fmt.Sprintf(`{"GroupName":"developers","PolicyName":"g","PolicyDocument":%q}`, s3Doc))
	env.must("AddUserToGroup", `{"GroupName":"developers","UserName":"user_1"}`)
	env.must("PutUserPolicy", fmt.Sprintf(`{"UserName":"user_1","PolicyName":"S3","PolicyDocument":%q}`, s3Doc))

	ps, err := env.svc.PrincipalPolicies(ctx(), "arn:aws:iam::123456789012:user/user_1")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range ps.Policies {
		got = append(got, p.Source.String()+":"+p.Name+":"+p.Holder)
		if p.Document == "" {
			t.Errorf("%s has no document", p.Name)
		}
	}
	want := []string{
		"user-inline:S3:arn:aws:iam::123456789012:user/user_1",
		"group-inline:g:arn:aws:iam::123456789012:group/developers",
		"managed:AmazonEC2FullAccess:arn:aws:iam::123456789012:group/developers",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	if ps.Kind != PrincipalUser || !strings.HasPrefix(ps.UniqueID, "AIDA") || len(ps.Tags) != 1 || ps.Generation == 0 {
		t.Fatalf("got %+v", ps)
	}
	if g := env.svc.Generation(testAccount); g < ps.Generation {
		t.Fatalf("Generation %d is behind the set's %d", g, ps.Generation)
	}

	// A change to the group's policies names its members.
	env.must("DetachGroupPolicy", `{"GroupName":"developers","PolicyArn":"arn:aws:iam::aws:policy/AmazonEC2FullAccess"}`)
	if c := env.changes.last(); !slices.Contains(c.Principals, "arn:aws:iam::123456789012:user/user_1") || c.Generation <= ps.Generation {
		t.Fatalf("got change %+v, want user_1 at a later generation", c)
	}

	env.must("CreateRole", fmt.Sprintf(`{"RoleName":"role_1","AssumeRolePolicyDocument":%q,"MaxSessionDuration":7200}`, trustDoc))
	env.must("AttachRolePolicy", `{"RoleName":"role_1","PolicyArn":"arn:aws:iam::aws:policy/AmazonS3FullAccess"}`)
	rs, err := env.svc.PrincipalPolicies(ctx(), "arn:aws:sts::123456789012:assumed-role/role_1/i-0123")
	if err != nil {
		t.Fatal(err)
	}
	if rs.Kind != PrincipalRole || rs.Principal != "arn:aws:iam::123456789012:role/role_1" || len(rs.Policies) != 1 ||
		rs.Policies[0].ARN != "arn:aws:iam::aws:policy/AmazonS3FullAccess" || rs.TrustPolicy != trustDoc || rs.MaxSessionDuration != 7200 {
		t.Fatalf("got %+v", rs)
	}
	// A policy's new default version names every holder.
	env.must("CreatePolicy", fmt.Sprintf(`{"PolicyName":"p","PolicyDocument":%q}`, s3Doc))
	env.must("AttachRolePolicy", `{"RoleName":"role_1","PolicyArn":"arn:aws:iam::123456789012:policy/p"}`)
	env.must("CreatePolicyVersion", fmt.Sprintf(`{"PolicyArn":"arn:aws:iam::123456789012:policy/p","PolicyDocument":%q,"SetAsDefault":true}`, s3Doc))
	if c := env.changes.last(); !slices.Contains(c.Principals, "arn:aws:iam::123456789012:role/role_1") {
		t.Fatalf("got change %+v, want role_1", c)
	}
	rootSet, err := env.svc.PrincipalPolicies(ctx(), "arn:aws:iam::123456789012:root")
	if err != nil || rootSet.Kind != PrincipalRoot || len(rootSet.Policies) != 0 {
		t.Fatalf("root: got %+v, %v", rootSet, err)
	}
}

func TestBootstrapIsIdempotent(t *testing.T) {
	env := newEnv(t) // bootstraps testAccount
	again, err := env.svc.Bootstrap(ctx(), testAccount)
	if err != nil || again.Created || again.RootKeyID != "" {
		t.Fatalf("second Bootstrap: got %+v, %v; want nothing created", again, err)
	}
	first, err := env.svc.Bootstrap(ctx(), "")
	if err != nil || first.Account != testAccount || first.Created {
		t.Fatalf("Bootstrap(\"\"): got %+v, %v; want the existing account", first, err)
	}
	other, err := env.svc.Bootstrap(ctx(), "210987654321")
	if err != nil || !other.Created || !strings.HasPrefix(other.RootKeyID, "AKIA") || len(other.RootKeyID) != 20 || len(other.RootKeySecret) != 40 {
		t.Fatalf("new account: got %+v, %v", other, err)
	}
	id, err := env.svc.LookupAccessKey(ctx(), other.RootKeyID)
	if err != nil || !id.Root || id.Principal != "arn:aws:iam::210987654321:root" || id.Secret != other.RootKeySecret || id.Status != "Active" {
		t.Fatalf("root key: got %+v, %v", id, err)
	}
	accts, err := env.svc.Accounts(ctx())
	if err != nil || !slices.Equal(accts, []string{testAccount, "210987654321"}) && !slices.Equal(accts, []string{"123456789012", "210987654321"}) {
		t.Fatalf("Accounts: got %v, %v", accts, err)
	}
	if _, err := env.svc.LookupAccessKey(ctx(), "AKIAAAAAAAAAAAAAAAAA"); !errors.Is(err, ErrNoSuchAccessKey) {
		t.Fatalf("unknown key: got %v, want ErrNoSuchAccessKey", err)
	}
}

func TestAccessKeySecretIsSealedAndReturnedOnce(t *testing.T) {
	env := newEnv(t)
	env.must("CreateUser", `{"UserName":"bob"}`)
	key := env.must("CreateAccessKey", `{"UserName":"bob"}`).(*iamapi.CreateAccessKeyOutput).AccessKey
	if !strings.HasPrefix(key.AccessKeyId, "AKIA") || len(key.AccessKeyId) != 20 || len(key.SecretAccessKey) != 40 {
		t.Fatalf("got key %s / %d-char secret", key.AccessKeyId, len(key.SecretAccessKey))
	}
	for _, c := range key.AccessKeyId[4:] {
		if !strings.ContainsRune(idAlphabet, c) {
			t.Fatalf("key ID %s has %q outside AWS's alphabet", key.AccessKeyId, c)
		}
	}
	for k, v := range snapshot(t, env.store) {
		if strings.Contains(v, key.SecretAccessKey) || strings.Contains(k, key.SecretAccessKey) {
			t.Fatalf("secret in the clear at %s", k)
		}
	}
	out := jsonOf(env.must("ListAccessKeys", `{"UserName":"bob"}`))
	if strings.Contains(out, key.SecretAccessKey) {
		t.Fatal("ListAccessKeys returned the secret")
	}
	// The seal binds the secret to its key ID: a record moved under another ID does not open.
	var rec accessKeyRecord
	if err := env.store.Update(ctx(), func(tx kv.Tx) error {
		if _, err := getJSON(tx, accessKeyKey(key.AccessKeyId), &rec); err != nil {
			return err
		}
		moved := rec
		moved.ID = "AKIAMOVEDMOVEDMOVED2"
		return putJSON(tx, accessKeyKey(moved.ID), moved)
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := env.svc.LookupAccessKey(ctx(), "AKIAMOVEDMOVEDMOVED2"); err == nil {
		t.Fatal("a sealed secret opened under another key ID")
	}
}

func TestAccessKeyLastUsedIsBatched(t *testing.T) {
	env := newEnv(t)
	env.must("CreateUser", `{"UserName":"bob"}`)
	key := env.must("CreateAccessKey", `{"UserName":"bob"}`).(*iamapi.CreateAccessKeyOutput).AccessKey
	before := snapshot(t, env.store)
	used := time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC)
	env.svc.RecordAccessKeyUse(key.AccessKeyId, "iam", "us-east-1", used)
	env.svc.RecordAccessKeyUse(key.AccessKeyId, "s3", "us-east-1", used.Add(-time.Hour)) // older: ignored
	if after := snapshot(t, env.store); len(after) != len(before) {
		t.Fatal("RecordAccessKeyUse wrote to the store")
	}
	in := fmt.Sprintf(`{"AccessKeyId":%q}`, key.AccessKeyId)
	if err := subset(env.must("GetAccessKeyLastUsed", in), `{"AccessKeyLastUsed":{"ServiceName":"iam","Region":"us-east-1","LastUsedDate":"2026-11-30T10:00:00Z"}}`); err != nil {
		t.Fatalf("before flush: %v", err)
	}
	if err := env.svc.FlushAccessKeyUse(ctx()); err != nil {
		t.Fatal(err)
	}
	fresh := newEnvOver(t, env.store) // another node over the same store
	out, err := fresh.call(root(), "GetAccessKeyLastUsed", in)
	if err != nil {
		t.Fatal(err)
	}
	if err := subset(out, `{"UserName":"bob","AccessKeyLastUsed":{"ServiceName":"iam","LastUsedDate":"2026-11-30T10:00:00Z"}}`); err != nil {
		t.Fatalf("after flush: %v", err)
	}
}

func TestInlinePolicySizeIsAggregate(t *testing.T) {
	env := newEnv(t)
	env.must("CreateUser", `{"UserName":"bob"}`)
	doc := func(n int) string {
		// Actions padded so the document has n characters without white space.
		base := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:","Resource":"*"}]}`
		return strings.Replace(base, `"s3:"`, `"s3:`+strings.Repeat("a", n-len(base))+`"`, 1)
	}
	if got := len(doc(1000)); got != 1000 {
		t.Fatalf("doc(1000) has %d characters", got)
	}
	env.must("PutUserPolicy", fmt.Sprintf(`{"UserName":"bob","PolicyName":"a","PolicyDocument":%q}`, doc(1000)))
	env.must("PutUserPolicy", fmt.Sprintf(`{"UserName":"bob","PolicyName":"b","PolicyDocument":%q}`, doc(1048)))
	_, err := env.call(root(), "PutUserPolicy", fmt.Sprintf(`{"UserName":"bob","PolicyName":"c","PolicyDocument":%q}`, doc(100)))
	wantErr(t, err, "LimitExceeded", "Cannot exceed quota for UserPolicySize: 2048")
	// Replacing a policy counts its new size, not both.
	env.must("PutUserPolicy", fmt.Sprintf(`{"UserName":"bob","PolicyName":"b","PolicyDocument":%q}`, doc(900)))
	env.must("PutUserPolicy", fmt.Sprintf(`{"UserName":"bob","PolicyName":"c","PolicyDocument":%q}`, doc(148)))
	// White space does not count.
	spaced := strings.ReplaceAll(doc(100), ",", " ,\n ")
	env.must("PutUserPolicy", fmt.Sprintf(`{"UserName":"bob","PolicyName":"c","PolicyDocument":%q}`, spaced))
	// Roles allow 10,240.
	env.must("CreateRole", fmt.Sprintf(`{"RoleName":"r","AssumeRolePolicyDocument":%q}`, trustDoc))
	env.must("PutRolePolicy", fmt.Sprintf(`{"RoleName":"r","PolicyName":"a","PolicyDocument":%q}`, doc(10240)))
	_, err = env.call(root(), "PutRolePolicy", fmt.Sprintf(`{"RoleName":"r","PolicyName":"b","PolicyDocument":%q}`, doc(100)))
	wantErr(t, err, "LimitExceeded", "Cannot exceed quota for RolePolicySize: 10240")
	env.must("CreateGroup", `{"GroupName":"g"}`)
	_, err = env.call(root(), "PutGroupPolicy", fmt.Sprintf(`{"GroupName":"g","PolicyName":"a","PolicyDocument":%q}`, doc(5121)))
	wantErr(t, err, "LimitExceeded", "Cannot exceed quota for GroupPolicySize: 5120")
}

func TestTagQuota(t *testing.T) {
	env := newEnv(t)
	env.must("CreateUser", `{"UserName":"bob"}`)
	var tags []string
	for i := range 50 {
		tags = append(tags, fmt.Sprintf(`{"Key":"k%d","Value":"v"}`, i))
	}
	env.must("TagUser", `{"UserName":"bob","Tags":[`+strings.Join(tags, ",")+`]}`)
	env.must("TagUser", `{"UserName":"bob","Tags":[{"Key":"K7","Value":"replaced"}]}`) // replacing stays at 50
	_, err := env.call(root(), "TagUser", `{"UserName":"bob","Tags":[{"Key":"one-more","Value":"v"}]}`)
	wantErr(t, err, "LimitExceeded", "Cannot exceed quota for TagsPerUser: 50")
	out := env.must("ListUserTags", `{"UserName":"bob","MaxItems":30}`).(*iamapi.ListUserTagsOutput)
	if len(out.Tags) != 30 || !*out.IsTruncated {
		t.Fatalf("got %d tags, truncated %v", len(out.Tags), *out.IsTruncated)
	}
	rest := env.must("ListUserTags", fmt.Sprintf(`{"UserName":"bob","Marker":%q}`, *out.Marker)).(*iamapi.ListUserTagsOutput)
	if len(rest.Tags) != 20 || *rest.IsTruncated || *rest.Tags[0].Key != "k30" {
		t.Fatalf("second page: got %d tags starting %v", len(rest.Tags), rest.Tags[0])
	}
}

func TestEveryMutationIsAudited(t *testing.T) {
	env := newEnv(t)
	a := root()
	a.Caller = "arn:aws:iam::123456789012:user/admin"
	if _, err := env.call(a, "CreateUser", `{"UserName":"bob"}`); err != nil {
		t.Fatal(err)
	}
	key, err := env.call(a, "CreateAccessKey", `{"UserName":"bob"}`)
	if err != nil {
		t.Fatal(err)
	}
	secret := key.(*iamapi.CreateAccessKeyOutput).AccessKey.SecretAccessKey
	var actions []string
	for k, v := range snapshot(t, env.store) {
		if !strings.HasPrefix(k, auditAccountPrefix(testAccount)) {
			continue
		}
		if strings.Contains(v, secret) {
			t.Fatal("audit record holds the secret")
		}
		if strings.Contains(v, "user/admin") {
			actions = append(actions, k[strings.LastIndex(k[:strings.LastIndexByte(k, '/')], "/")+1:])
		}
	}
	if len(actions) != 2 {
		t.Fatalf("got %d audit records by admin, want 2", len(actions))
	}
}

func TestPasswordsAreHashedAndVerified(t *testing.T) {
	env := newEnv(t)
	env.must("CreateUser", `{"UserName":"user_1","Path":"/staff/"}`)
	env.must("CreateLoginProfile", `{"UserName":"user_1","Password":"Tutorial-Pass1"}`)
	for k, v := range snapshot(t, env.store) {
		if strings.Contains(v, "Tutorial-Pass1") {
			t.Fatalf("password in the clear at %s", k)
		}
	}
	arn, reset, err := env.svc.VerifyPassword(ctx(), testAccount, "USER_1", "Tutorial-Pass1")
	if err != nil || arn != "arn:aws:iam::123456789012:user/staff/user_1" || reset {
		t.Fatalf("got %q, %v, %v", arn, reset, err)
	}
	for _, c := range []struct{ user, pw string }{{"user_1", "Tutorial-Pass2"}, {"user_1", ""}, {"nobody", "Tutorial-Pass1"}} {
		if _, _, err := env.svc.VerifyPassword(ctx(), testAccount, c.user, c.pw); !errors.Is(err, ErrBadPassword) {
			t.Fatalf("%s/%q: got %v, want ErrBadPassword", c.user, c.pw, err)
		}
	}
	if err := env.svc.FlushAccessKeyUse(ctx()); err != nil {
		t.Fatal(err)
	}
	if u := env.must("GetUser", `{"UserName":"user_1"}`).(*iamapi.GetUserOutput).User; u.PasswordLastUsed == nil {
		t.Fatal("a sign-in did not set PasswordLastUsed")
	}
	env.must("UpdateLoginProfile", `{"UserName":"user_1","Password":"Another-Pass2"}`)
	if _, _, err := env.svc.VerifyPassword(ctx(), testAccount, "user_1", "Another-Pass2"); err != nil {
		t.Fatalf("after update: %v", err)
	}
	// The login profile moves with a rename.
	env.must("UpdateUser", `{"UserName":"user_1","NewUserName":"user_2"}`)
	if _, _, err := env.svc.VerifyPassword(ctx(), testAccount, "user_2", "Another-Pass2"); err != nil {
		t.Fatalf("after rename: %v", err)
	}
}

func TestRoleLastUsed(t *testing.T) {
	env := newEnv(t)
	env.must("CreateRole", fmt.Sprintf(`{"RoleName":"role_1","AssumeRolePolicyDocument":%q}`, trustDoc))
	env.svc.RecordRoleUse("arn:aws:iam::123456789012:role/role_1", "eu-west-1", time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC))
	env.svc.RecordRoleUse("arn:aws:iam::123456789012:role/gone", "eu-west-1", time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC))
	if err := env.svc.FlushAccessKeyUse(ctx()); err != nil {
		t.Fatal(err)
	}
	if err := subset(env.must("GetRole", `{"RoleName":"role_1"}`), `{"Role":{"RoleLastUsed":{"Region":"eu-west-1","LastUsedDate":"2026-11-30T10:00:00Z"}}}`); err != nil {
		t.Fatal(err)
	}
}

// TestConcurrentCreatesOneWins races creates of one name in different spellings: exactly
// one succeeds and the others get EntityAlreadyExists.
func TestConcurrentCreatesOneWins(t *testing.T) {
	env := newEnv(t)
	names := []string{"bob", "BOB", "Bob", "bOb", "boB", "BOb", "bob", "BoB"}
	errs := make(chan error, len(names))
	for _, n := range names {
		go func() {
			_, err := env.call(root(), "CreateUser", fmt.Sprintf(`{"UserName":%q}`, n))
			errs <- err
		}()
	}
	wins := 0
	for range names {
		if err := <-errs; err == nil {
			wins++
		} else {
			wantErr(t, err, "EntityAlreadyExists", "")
		}
	}
	if wins != 1 {
		t.Fatalf("got %d successful creates, want 1", wins)
	}
	out := env.must("GetAccountSummary", `{}`)
	if err := subset(out, `{"SummaryMap":{"Users":1}}`); err != nil {
		t.Fatal(err)
	}
}

// TestConcurrentKeysStayWithinQuota races CreateAccessKey: no more than two keys come out.
func TestConcurrentKeysStayWithinQuota(t *testing.T) {
	env := newEnv(t)
	env.must("CreateUser", `{"UserName":"bob"}`)
	const n = 8
	errs := make(chan error, n)
	for range n {
		go func() {
			_, err := env.call(root(), "CreateAccessKey", `{"UserName":"bob"}`)
			errs <- err
		}()
	}
	ok := 0
	for range n {
		if err := <-errs; err == nil {
			ok++
		} else {
			wantErr(t, err, "LimitExceeded", "Cannot exceed quota for AccessKeysPerUser: 2")
		}
	}
	out := env.must("ListAccessKeys", `{"UserName":"bob"}`).(*iamapi.ListAccessKeysOutput)
	if ok != 2 || len(out.AccessKeyMetadata) != 2 {
		t.Fatalf("got %d created and %d listed, want 2", ok, len(out.AccessKeyMetadata))
	}
}

func TestLastUseWritesAreDebounced(t *testing.T) {
	env := newEnv(t)
	env.must("CreateUser", `{"UserName":"bob"}`)
	key := env.must("CreateAccessKey", `{"UserName":"bob"}`).(*iamapi.CreateAccessKeyOutput).AccessKey.AccessKeyId
	t0 := time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC)
	stored := func() string {
		var rec accessKeyRecord
		if err := env.store.View(ctx(), func(tx kv.Tx) error { _, err := getJSON(tx, accessKeyKey(key), &rec); return err }); err != nil {
			t.Fatal(err)
		}
		return rec.LastUsed.Format(time.RFC3339) + " " + rec.LastService
	}
	for _, c := range []struct {
		at      time.Duration
		service string
		want    string
	}{
		{0, "iam", "2026-11-30T10:00:00Z iam"},
		{30 * time.Second, "iam", "2026-11-30T10:00:00Z iam"}, // within a minute: not written
		{40 * time.Second, "s3", "2026-11-30T10:00:40Z s3"},   // another service: written
		{2 * time.Minute, "s3", "2026-11-30T10:02:00Z s3"},
	} {
		env.svc.RecordAccessKeyUse(key, c.service, "us-east-1", t0.Add(c.at))
		if err := env.svc.FlushAccessKeyUse(ctx()); err != nil {
			t.Fatal(err)
		}
		if got := stored(); got != c.want {
			t.Fatalf("after a use at +%v: got %s, want %s", c.at, got, c.want)
		}
	}
}

func TestResetKeepsTheAccountAndRootKeys(t *testing.T) {
	env := newEnv(t)
	rootKey := env.must("CreateAccessKey", `{}`).(*iamapi.CreateAccessKeyOutput).AccessKey.AccessKeyId
	env.must("CreateUser", `{"UserName":"bob"}`)
	userKey := env.must("CreateAccessKey", `{"UserName":"bob"}`).(*iamapi.CreateAccessKeyOutput).AccessKey.AccessKeyId
	env.must("CreateGroup", `{"GroupName":"devs"}`)
	env.must("AddUserToGroup", `{"GroupName":"devs","UserName":"bob"}`)
	env.must("CreatePolicy", fmt.Sprintf(`{"PolicyName":"p","PolicyDocument":%q}`, s3Doc))
	env.must("AttachGroupPolicy", `{"GroupName":"devs","PolicyArn":"arn:aws:iam::aws:policy/AmazonS3FullAccess"}`)
	env.must("CreateAccountAlias", `{"AccountAlias":"acme"}`)
	gen := env.svc.Generation(testAccount)

	if err := env.svc.Reset(ctx(), testAccount); err != nil {
		t.Fatal(err)
	}
	if _, err := env.svc.LookupAccessKey(ctx(), rootKey); err != nil {
		t.Fatalf("root key after reset: %v", err)
	}
	if _, err := env.svc.LookupAccessKey(ctx(), userKey); !errors.Is(err, ErrNoSuchAccessKey) {
		t.Fatalf("user key after reset: got %v, want ErrNoSuchAccessKey", err)
	}
	if env.svc.Generation(testAccount) <= gen {
		t.Fatal("the generation did not move")
	}
	for op, want := range map[string]string{
		"ListUsers":          `{"Users":[]}`,
		"ListGroups":         `{"Groups":[]}`,
		"ListAccountAliases": `{"AccountAliases":[]}`,
		"GetAccountSummary":  `{"SummaryMap":{"Users":0,"Groups":0,"Policies":0,"AccountAccessKeysPresent":1}}`,
	} {
		if err := subset(env.must(op, `{}`), want); err != nil {
			t.Fatalf("%s: %v", op, err)
		}
	}
	if err := subset(env.must("GetPolicy", `{"PolicyArn":"arn:aws:iam::aws:policy/AmazonS3FullAccess"}`), `{"Policy":{"AttachmentCount":0}}`); err != nil {
		t.Fatal(err)
	}
	// The names are free again.
	env.must("CreateUser", `{"UserName":"bob"}`)
	env.must("CreateAccountAlias", `{"AccountAlias":"acme"}`)
}

func TestAccountQuotas(t *testing.T) {
	st := newEnv(t).store
	env := newEnvOver(t, st)
	svc, err := New(Options{Store: st, Sealer: newGCMSealer(t), ManagedPolicies: testManaged(), Quotas: Quotas{Users: 2, PoliciesPerPrincipal: 1}})
	if err != nil {
		t.Fatal(err)
	}
	env.svc = svc
	env.must("CreateUser", `{"UserName":"a"}`)
	env.must("CreateUser", `{"UserName":"b"}`)
	_, err = env.call(root(), "CreateUser", `{"UserName":"c"}`)
	wantErr(t, err, "LimitExceeded", "Cannot exceed quota for UsersPerAccount: 2")
	env.must("DeleteUser", `{"UserName":"b"}`)
	env.must("CreateUser", `{"UserName":"c"}`)
	env.must("AttachUserPolicy", `{"UserName":"a","PolicyArn":"arn:aws:iam::aws:policy/AmazonS3FullAccess"}`)
	_, err = env.call(root(), "AttachUserPolicy", `{"UserName":"a","PolicyArn":"arn:aws:iam::aws:policy/AmazonEC2FullAccess"}`)
	wantErr(t, err, "LimitExceeded", "Cannot exceed quota for PoliciesPerUser: 1")
	if err := subset(env.must("GetAccountSummary", `{}`), `{"SummaryMap":{"Users":2,"UsersQuota":2,"GroupsQuota":300,"AttachedPoliciesPerUserQuota":1}}`); err != nil {
		t.Fatal(err)
	}
}

func TestAccountsAreIsolated(t *testing.T) {
	env := newEnv(t)
	other := Account{ID: "210987654321", Partition: "aws", Caller: "arn:aws:iam::210987654321:root"}
	if _, err := env.svc.Bootstrap(ctx(), other.ID); err != nil {
		t.Fatal(err)
	}
	env.must("CreateAccountAlias", `{"AccountAlias":"acme"}`)
	_, err := env.call(other, "CreateAccountAlias", `{"AccountAlias":"acme"}`)
	wantErr(t, err, "EntityAlreadyExists", "The account alias acme already exists.")
	// The same names live side by side in two accounts.
	env.must("CreateUser", `{"UserName":"bob"}`)
	if _, err := env.call(other, "CreateUser", `{"UserName":"bob"}`); err != nil {
		t.Fatal(err)
	}
	env.must("PutUserPolicy", fmt.Sprintf(`{"UserName":"bob","PolicyName":"p","PolicyDocument":%q}`, s3Doc))
	ps, err := env.svc.PrincipalPolicies(ctx(), "arn:aws:iam::210987654321:user/bob")
	if err != nil || len(ps.Policies) != 0 {
		t.Fatalf("other account's bob: got %d policies, %v; want none", len(ps.Policies), err)
	}
	// Another account's policy cannot be attached, and its markers are refused.
	if _, err := env.call(other, "CreatePolicy", fmt.Sprintf(`{"PolicyName":"theirs","PolicyDocument":%q}`, s3Doc)); err != nil {
		t.Fatal(err)
	}
	_, err = env.call(root(), "AttachUserPolicy", `{"UserName":"bob","PolicyArn":"arn:aws:iam::210987654321:policy/theirs"}`)
	wantErr(t, err, "NoSuchEntity", "Policy arn:aws:iam::210987654321:policy/theirs does not exist or is not attachable.")
	out, err := env.call(other, "ListPolicies", `{"MaxItems":1}`)
	if err != nil {
		t.Fatal(err)
	}
	_, err = env.call(root(), "ListPolicies", fmt.Sprintf(`{"Marker":%q}`, *out.(*iamapi.ListPoliciesOutput).Marker))
	wantErr(t, err, "ValidationError", "Invalid Marker.")
}
