package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/google/go-cmp/cmp"
)

// Customer managed policies and their versions:
// https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_managed-versioning.html
// ("A managed policy can have up to five versions"; one is the default; the default cannot
// be deleted; version IDs are never reused).
func TestIAMManagedPolicyVersions(t *testing.T) {
	t.Parallel()
	_, c := newRootServer(t)
	ctx := ctxT(t)
	acct := accountID(t, c)
	doc := func(n int) string { return allowDoc(`"s3:GetObject"`, fmt.Sprintf(`"arn:aws:s3:::bucket-%d/*"`, n)) }

	p := must(c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("reader"), Path: aws.String("/team/"),
		PolicyDocument: aws.String(doc(1)), Description: aws.String("reads"), Tags: []types.Tag{tag("owner", "ops")}}))(t).Policy
	arn := aws.ToString(p.Arn)
	if arn != "arn:aws:iam::"+acct+":policy/team/reader" || !strings.HasPrefix(aws.ToString(p.PolicyId), "ANPA") ||
		aws.ToString(p.DefaultVersionId) != "v1" || aws.ToInt32(p.AttachmentCount) != 0 || !p.IsAttachable {
		t.Errorf("CreatePolicy: got %q %q default %q attachments %d attachable %v", arn, aws.ToString(p.PolicyId),
			aws.ToString(p.DefaultVersionId), aws.ToInt32(p.AttachmentCount), p.IsAttachable)
	}
	_, err := c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("READER"), Path: aws.String("/team/"), PolicyDocument: aws.String(doc(1))})
	apiErr(t, err, "EntityAlreadyExists", 409)
	_, err = c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("broken"), PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Maybe","Action":"s3:*","Resource":"*"}]}`)})
	apiErr(t, err, "MalformedPolicyDocument", 400)
	_, err = c.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String("arn:aws:iam::" + acct + ":policy/broken")})
	apiErr(t, err, "NoSuchEntity", 404)

	// Versions v2..v5; v5 becomes the default.
	for n := 2; n <= 5; n++ {
		v := must(c.CreatePolicyVersion(ctx, &iam.CreatePolicyVersionInput{PolicyArn: aws.String(arn), PolicyDocument: aws.String(doc(n)), SetAsDefault: n == 5}))(t).PolicyVersion
		if want := fmt.Sprintf("v%d", n); aws.ToString(v.VersionId) != want || v.IsDefaultVersion != (n == 5) {
			t.Errorf("CreatePolicyVersion %d: got %q default %v, want %s", n, aws.ToString(v.VersionId), v.IsDefaultVersion, want)
		}
	}
	// A sixth is LimitExceeded, and changes nothing.
	_, err = c.CreatePolicyVersion(ctx, &iam.CreatePolicyVersionInput{PolicyArn: aws.String(arn), PolicyDocument: aws.String(doc(6))})
	apiErr(t, err, "LimitExceeded", 409, "A managed policy can have up to 5 versions. Before you create a new version, you must delete an existing version.")
	lv := must(c.ListPolicyVersions(ctx, &iam.ListPolicyVersionsInput{PolicyArn: aws.String(arn)}))(t).Versions
	if len(lv) != 5 {
		t.Fatalf("ListPolicyVersions: got %d versions, want 5", len(lv))
	}
	defaults := 0
	for _, v := range lv {
		if v.IsDefaultVersion {
			defaults++
			if aws.ToString(v.VersionId) != "v5" {
				t.Errorf("default version: got %q, want v5", aws.ToString(v.VersionId))
			}
		}
	}
	if defaults != 1 {
		t.Errorf("default versions: got %d, want exactly 1", defaults)
	}
	if got := aws.ToString(must(c.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String(arn)}))(t).Policy.DefaultVersionId); got != "v5" {
		t.Errorf("GetPolicy DefaultVersionId: got %q, want v5", got)
	}
	gv := must(c.GetPolicyVersion(ctx, &iam.GetPolicyVersionInput{PolicyArn: aws.String(arn), VersionId: aws.String("v3")}))(t).PolicyVersion
	if !sameJSON(t, decodeDoc(t, gv.Document), doc(3)) || gv.IsDefaultVersion {
		t.Errorf("GetPolicyVersion v3: got %s default %v, want doc 3, not default", decodeDoc(t, gv.Document), gv.IsDefaultVersion)
	}
	_, err = c.GetPolicyVersion(ctx, &iam.GetPolicyVersionInput{PolicyArn: aws.String(arn), VersionId: aws.String("v9")})
	apiErr(t, err, "NoSuchEntity", 404)

	// "You cannot delete the default version of a policy" (API_DeletePolicyVersion.html).
	_, err = c.DeletePolicyVersion(ctx, &iam.DeletePolicyVersionInput{PolicyArn: aws.String(arn), VersionId: aws.String("v5")})
	apiErr(t, err, "DeleteConflict", 409, "Cannot delete the default version of a policy.")
	must(c.SetDefaultPolicyVersion(ctx, &iam.SetDefaultPolicyVersionInput{PolicyArn: aws.String(arn), VersionId: aws.String("v2")}))(t)
	_, err = c.SetDefaultPolicyVersion(ctx, &iam.SetDefaultPolicyVersionInput{PolicyArn: aws.String(arn), VersionId: aws.String("v7")})
	apiErr(t, err, "NoSuchEntity", 404)
	must(c.DeletePolicyVersion(ctx, &iam.DeletePolicyVersionInput{PolicyArn: aws.String(arn), VersionId: aws.String("v5")}))(t)
	// Version IDs are not reused: the next is v6.
	v := must(c.CreatePolicyVersion(ctx, &iam.CreatePolicyVersionInput{PolicyArn: aws.String(arn), PolicyDocument: aws.String(doc(6))}))(t).PolicyVersion
	if aws.ToString(v.VersionId) != "v6" {
		t.Errorf("version after deleting v5: got %q, want v6", aws.ToString(v.VersionId))
	}
	gp := must(c.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String(arn)}))(t).Policy
	if aws.ToString(gp.DefaultVersionId) != "v2" || aws.ToString(gp.Description) != "reads" {
		t.Errorf("GetPolicy: default %q description %q, want v2, reads", aws.ToString(gp.DefaultVersionId), aws.ToString(gp.Description))
	}

	// Tags on policies.
	must(c.TagPolicy(ctx, &iam.TagPolicyInput{PolicyArn: aws.String(arn), Tags: []types.Tag{tag("env", "prod")}}))(t)
	must(c.UntagPolicy(ctx, &iam.UntagPolicyInput{PolicyArn: aws.String(arn), TagKeys: []string{"owner"}}))(t)
	if got := tagMap(must(c.ListPolicyTags(ctx, &iam.ListPolicyTagsInput{PolicyArn: aws.String(arn)}))(t).Tags); !cmp.Equal(got, map[string]string{"env": "prod"}) {
		t.Errorf("ListPolicyTags: got %v, want env=prod", got)
	}

	// ListPolicies Scope=Local with PathPrefix.
	lp := must(c.ListPolicies(ctx, &iam.ListPoliciesInput{Scope: types.PolicyScopeTypeLocal}))(t).Policies
	if len(lp) != 1 || aws.ToString(lp[0].Arn) != arn {
		t.Errorf("ListPolicies Local: got %d, want the one customer policy", len(lp))
	}
	if n := len(must(c.ListPolicies(ctx, &iam.ListPoliciesInput{Scope: types.PolicyScopeTypeLocal, PathPrefix: aws.String("/other/")}))(t).Policies); n != 0 {
		t.Errorf("ListPolicies Local /other/: got %d, want 0", n)
	}

	// A policy with versions besides the default cannot be deleted ("you must delete all
	// the policy's versions", API_DeletePolicy.html).
	_, err = c.DeletePolicy(ctx, &iam.DeletePolicyInput{PolicyArn: aws.String(arn)})
	apiErr(t, err, "DeleteConflict", 409)
	for _, id := range []string{"v1", "v3", "v4", "v6"} {
		must(c.DeletePolicyVersion(ctx, &iam.DeletePolicyVersionInput{PolicyArn: aws.String(arn), VersionId: aws.String(id)}))(t)
	}
	must(c.DeletePolicy(ctx, &iam.DeletePolicyInput{PolicyArn: aws.String(arn)}))(t)
	_, err = c.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String(arn)})
	apiErr(t, err, "NoSuchEntity", 404)
}

// awsManagedFixture is e2e/testdata/iam/AmazonEC2FullAccess.json.
type awsManagedFixture struct {
	Note             string          `json:"note"`
	ARN              string          `json:"arn"`
	Path             string          `json:"path"`
	DefaultVersionID string          `json:"defaultVersionId"`
	CreateDate       time.Time       `json:"createDate"`
	Document         json.RawMessage `json:"document"`
	AWSManagedCount  int             `json:"awsManagedCount"`
}

// The AWS managed policies are listed, readable with their real documents, attachable, and
// not changeable (https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_managed-vs-inline.html#aws-managed-policies).
func TestIAMAWSManagedPolicies(t *testing.T) {
	t.Parallel()
	_, c := newRootServer(t)
	ctx := ctxT(t)
	raw, err := os.ReadFile("testdata/iam/AmazonEC2FullAccess.json")
	if err != nil {
		t.Fatal(err)
	}
	var fx awsManagedFixture
	if err := json.Unmarshal(raw, &fx); err != nil {
		t.Fatal(err)
	}

	// ListPolicies Scope=AWS pages through every AWS managed policy, each once.
	seen := map[string]bool{}
	pages := 0
	pg := iam.NewListPoliciesPaginator(c, &iam.ListPoliciesInput{Scope: types.PolicyScopeTypeAws, MaxItems: aws.Int32(1000)})
	for pg.HasMorePages() {
		page := must(pg.NextPage(ctx))(t)
		pages++
		for _, p := range page.Policies {
			a := aws.ToString(p.Arn)
			if !strings.HasPrefix(a, "arn:aws:iam::aws:policy/") {
				t.Fatalf("Scope=AWS listed %q", a)
			}
			if seen[a] {
				t.Fatalf("Scope=AWS listed %q twice", a)
			}
			seen[a] = true
		}
	}
	if len(seen) != fx.AWSManagedCount || pages < 2 {
		t.Errorf("Scope=AWS: got %d policies in %d pages, want %d in at least 2", len(seen), pages, fx.AWSManagedCount)
	}

	gp := must(c.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String(fx.ARN)}))(t).Policy
	if aws.ToString(gp.PolicyName) != "AmazonEC2FullAccess" || aws.ToString(gp.DefaultVersionId) != fx.DefaultVersionID ||
		aws.ToString(gp.Path) != fx.Path || gp.CreateDate == nil || !gp.CreateDate.Equal(fx.CreateDate) {
		t.Errorf("GetPolicy: got name %q default %q path %q created %v, want %s %s %s %v", aws.ToString(gp.PolicyName),
			aws.ToString(gp.DefaultVersionId), aws.ToString(gp.Path), gp.CreateDate, "AmazonEC2FullAccess", fx.DefaultVersionID, fx.Path, fx.CreateDate)
	}
	pv := must(c.GetPolicyVersion(ctx, &iam.GetPolicyVersionInput{PolicyArn: aws.String(fx.ARN), VersionId: gp.DefaultVersionId}))(t).PolicyVersion
	if !pv.IsDefaultVersion || !sameJSON(t, decodeDoc(t, pv.Document), string(fx.Document)) {
		t.Errorf("GetPolicyVersion %s: default %v document %s, want AWS's document", fx.DefaultVersionID, pv.IsDefaultVersion, decodeDoc(t, pv.Document))
	}
	_, err = c.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String("arn:aws:iam::aws:policy/NoSuchPolicyAtAll")})
	apiErr(t, err, "NoSuchEntity", 404)

	// AWS managed policies cannot be changed by an account.
	_, err = c.CreatePolicyVersion(ctx, &iam.CreatePolicyVersionInput{PolicyArn: aws.String(fx.ARN), PolicyDocument: aws.String(allowDoc(`"*"`, `"*"`))})
	if err == nil {
		t.Error("CreatePolicyVersion on an AWS managed policy: got success")
	}
	_, err = c.DeletePolicy(ctx, &iam.DeletePolicyInput{PolicyArn: aws.String(fx.ARN)})
	if err == nil {
		t.Error("DeletePolicy on an AWS managed policy: got success")
	}

	// Attached, it counts; OnlyAttached lists it.
	must(c.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("ec2")}))(t)
	must(c.AttachGroupPolicy(ctx, &iam.AttachGroupPolicyInput{GroupName: aws.String("ec2"), PolicyArn: aws.String(fx.ARN)}))(t)
	if n := aws.ToInt32(must(c.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String(fx.ARN)}))(t).Policy.AttachmentCount); n != 1 {
		t.Errorf("AttachmentCount after attaching: got %d, want 1", n)
	}
	oa := must(c.ListPolicies(ctx, &iam.ListPoliciesInput{OnlyAttached: true}))(t).Policies
	if len(oa) != 1 || aws.ToString(oa[0].Arn) != fx.ARN {
		t.Errorf("ListPolicies OnlyAttached: got %d policies, want AmazonEC2FullAccess", len(oa))
	}
}

// Attach, detach and list attached managed policies for users, groups and roles;
// ListEntitiesForPolicy; DeleteConflict for an attached policy; the quota of 10 managed
// policies per principal (reference_iam-quotas.html).
func TestIAMAttachedPolicies(t *testing.T) {
	t.Parallel()
	_, c := newRootServer(t)
	ctx := ctxT(t)
	acct := accountID(t, c)
	must(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("u")}))(t)
	must(c.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("g")}))(t)
	must(c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("r"), AssumeRolePolicyDocument: aws.String(ec2Trust)}))(t)
	arn := aws.ToString(must(c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("p"), PolicyDocument: aws.String(allowDoc(`"s3:ListBucket"`, `"*"`))}))(t).Policy.Arn)
	s3 := "arn:aws:iam::aws:policy/AmazonS3FullAccess"

	must(c.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("u"), PolicyArn: aws.String(arn)}))(t)
	must(c.AttachGroupPolicy(ctx, &iam.AttachGroupPolicyInput{GroupName: aws.String("g"), PolicyArn: aws.String(arn)}))(t)
	must(c.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String("r"), PolicyArn: aws.String(arn)}))(t)
	must(c.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String("r"), PolicyArn: aws.String(s3)}))(t)
	// Attaching again is idempotent.
	must(c.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("u"), PolicyArn: aws.String(arn)}))(t)
	_, err := c.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("u"), PolicyArn: aws.String("arn:aws:iam::" + acct + ":policy/none")})
	apiErr(t, err, "NoSuchEntity", 404)
	_, err = c.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("nobody"), PolicyArn: aws.String(arn)})
	apiErr(t, err, "NoSuchEntity", 404)
	_, err = c.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("u"), PolicyArn: aws.String("not-an-arn")})
	apiErr(t, err, "ValidationError", 400)

	attached := func(ps []types.AttachedPolicy) []string {
		var out []string
		for _, p := range ps {
			out = append(out, aws.ToString(p.PolicyArn))
		}
		sort.Strings(out) // account ARNs (digits) sort before arn:aws:iam::aws:…
		return out
	}
	if got := attached(must(c.ListAttachedUserPolicies(ctx, &iam.ListAttachedUserPoliciesInput{UserName: aws.String("u")}))(t).AttachedPolicies); !cmp.Equal(got, []string{arn}) {
		t.Errorf("ListAttachedUserPolicies: got %v", got)
	}
	if got := attached(must(c.ListAttachedGroupPolicies(ctx, &iam.ListAttachedGroupPoliciesInput{GroupName: aws.String("g")}))(t).AttachedPolicies); !cmp.Equal(got, []string{arn}) {
		t.Errorf("ListAttachedGroupPolicies: got %v", got)
	}
	if got := attached(must(c.ListAttachedRolePolicies(ctx, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String("r")}))(t).AttachedPolicies); !cmp.Equal(got, []string{arn, s3}) {
		t.Errorf("ListAttachedRolePolicies: got %v, want %v", got, []string{arn, s3})
	}
	if n := aws.ToInt32(must(c.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String(arn)}))(t).Policy.AttachmentCount); n != 3 {
		t.Errorf("AttachmentCount: got %d, want 3", n)
	}

	ents := must(c.ListEntitiesForPolicy(ctx, &iam.ListEntitiesForPolicyInput{PolicyArn: aws.String(arn)}))(t)
	if len(ents.PolicyUsers) != 1 || aws.ToString(ents.PolicyUsers[0].UserName) != "u" ||
		len(ents.PolicyGroups) != 1 || aws.ToString(ents.PolicyGroups[0].GroupName) != "g" ||
		len(ents.PolicyRoles) != 1 || aws.ToString(ents.PolicyRoles[0].RoleName) != "r" {
		t.Errorf("ListEntitiesForPolicy: got users %v groups %v roles %v", ents.PolicyUsers, ents.PolicyGroups, ents.PolicyRoles)
	}
	only := must(c.ListEntitiesForPolicy(ctx, &iam.ListEntitiesForPolicyInput{PolicyArn: aws.String(arn), EntityFilter: types.EntityTypeRole}))(t)
	if len(only.PolicyUsers)+len(only.PolicyGroups) != 0 || len(only.PolicyRoles) != 1 {
		t.Errorf("ListEntitiesForPolicy EntityFilter=Role: got %d users %d groups %d roles", len(only.PolicyUsers), len(only.PolicyGroups), len(only.PolicyRoles))
	}

	// "Before you can delete a managed policy, you must first detach the policy from all
	// users, groups, and roles that it is attached to" (API_DeletePolicy.html).
	_, err = c.DeletePolicy(ctx, &iam.DeletePolicyInput{PolicyArn: aws.String(arn)})
	apiErr(t, err, "DeleteConflict", 409, "Cannot delete a policy attached to entities.")
	// A group with an attached policy cannot be deleted either, nor a role.
	_, err = c.DeleteGroup(ctx, &iam.DeleteGroupInput{GroupName: aws.String("g")})
	apiErr(t, err, "DeleteConflict", 409)
	_, err = c.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String("r")})
	apiErr(t, err, "DeleteConflict", 409, "Cannot delete entity, must detach all policies first.")

	must(c.DetachUserPolicy(ctx, &iam.DetachUserPolicyInput{UserName: aws.String("u"), PolicyArn: aws.String(arn)}))(t)
	must(c.DetachGroupPolicy(ctx, &iam.DetachGroupPolicyInput{GroupName: aws.String("g"), PolicyArn: aws.String(arn)}))(t)
	must(c.DetachRolePolicy(ctx, &iam.DetachRolePolicyInput{RoleName: aws.String("r"), PolicyArn: aws.String(arn)}))(t)
	_, err = c.DetachRolePolicy(ctx, &iam.DetachRolePolicyInput{RoleName: aws.String("r"), PolicyArn: aws.String(arn)})
	apiErr(t, err, "NoSuchEntity", 404)
	if n := aws.ToInt32(must(c.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String(arn)}))(t).Policy.AttachmentCount); n != 0 {
		t.Errorf("AttachmentCount after detaching: got %d, want 0", n)
	}
	must(c.DeletePolicy(ctx, &iam.DeletePolicyInput{PolicyArn: aws.String(arn)}))(t)

	// Ten managed policies per user; the eleventh is LimitExceeded and not attached.
	var names []string
	out := must(c.ListPolicies(ctx, &iam.ListPoliciesInput{Scope: types.PolicyScopeTypeAws, MaxItems: aws.Int32(11)}))(t)
	for _, p := range out.Policies {
		names = append(names, aws.ToString(p.Arn))
	}
	for _, a := range names[:10] {
		must(c.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("u"), PolicyArn: aws.String(a)}))(t)
	}
	_, err = c.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("u"), PolicyArn: aws.String(names[10])})
	apiErr(t, err, "LimitExceeded", 409, "Cannot exceed quota for PoliciesPerUser: 10")
	if n := len(must(c.ListAttachedUserPolicies(ctx, &iam.ListAttachedUserPoliciesInput{UserName: aws.String("u")}))(t).AttachedPolicies); n != 10 {
		t.Errorf("attached after the refused eleventh: got %d, want 10", n)
	}
}

// Inline policies of users and groups (roles are in TestIAMRoles): Put replaces, Get returns
// the URL-encoded document, List names them, Delete removes; documents are validated, and
// a user's inline policies together are at most 2,048 characters (reference_iam-quotas.html).
func TestIAMInlinePolicies(t *testing.T) {
	t.Parallel()
	_, c := newRootServer(t)
	ctx := ctxT(t)
	must(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("alice")}))(t)
	must(c.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("g")}))(t)
	// The tutorial's inline policy: S3, all actions, on my_bucket.
	doc := allowDoc(`"s3:*"`, `"arn:aws:s3:::my_bucket"`)
	must(c.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("alice"), PolicyName: aws.String("s3"), PolicyDocument: aws.String(doc)}))(t)
	got := must(c.GetUserPolicy(ctx, &iam.GetUserPolicyInput{UserName: aws.String("alice"), PolicyName: aws.String("s3")}))(t)
	if !sameJSON(t, decodeDoc(t, got.PolicyDocument), doc) || aws.ToString(got.UserName) != "alice" || aws.ToString(got.PolicyName) != "s3" {
		t.Errorf("GetUserPolicy: got %s", decodeDoc(t, got.PolicyDocument))
	}
	doc2 := allowDoc(`"s3:GetObject"`, `"arn:aws:s3:::my_bucket/*"`)
	must(c.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("alice"), PolicyName: aws.String("s3"), PolicyDocument: aws.String(doc2)}))(t)
	got = must(c.GetUserPolicy(ctx, &iam.GetUserPolicyInput{UserName: aws.String("alice"), PolicyName: aws.String("s3")}))(t)
	if !sameJSON(t, decodeDoc(t, got.PolicyDocument), doc2) {
		t.Errorf("GetUserPolicy after a second Put: got %s, want the replacement", decodeDoc(t, got.PolicyDocument))
	}
	_, err := c.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("alice"), PolicyName: aws.String("s3"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*"}]}`)})
	apiErr(t, err, "MalformedPolicyDocument", 400)
	// Too big: one document of more than 2,048 characters (whitespace does not count, so
	// pad with resources).
	var res []string
	for i := range 60 {
		res = append(res, fmt.Sprintf(`"arn:aws:s3:::bucket-number-%03d/*"`, i))
	}
	_, err = c.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("alice"), PolicyName: aws.String("big"),
		PolicyDocument: aws.String(allowDoc(`"s3:GetObject"`, "["+strings.Join(res, ",")+"]"))})
	apiErr(t, err, "LimitExceeded", 409)
	if names := must(c.ListUserPolicies(ctx, &iam.ListUserPoliciesInput{UserName: aws.String("alice")}))(t).PolicyNames; !cmp.Equal(names, []string{"s3"}) {
		t.Errorf("ListUserPolicies after failed puts: got %v, want [s3]", names)
	}
	if d := decodeDoc(t, must(c.GetUserPolicy(ctx, &iam.GetUserPolicyInput{UserName: aws.String("alice"), PolicyName: aws.String("s3")}))(t).PolicyDocument); !sameJSON(t, d, doc2) {
		t.Errorf("a rejected Put changed the policy: got %s", d)
	}
	must(c.DeleteUserPolicy(ctx, &iam.DeleteUserPolicyInput{UserName: aws.String("alice"), PolicyName: aws.String("s3")}))(t)
	_, err = c.GetUserPolicy(ctx, &iam.GetUserPolicyInput{UserName: aws.String("alice"), PolicyName: aws.String("s3")})
	apiErr(t, err, "NoSuchEntity", 404)

	must(c.PutGroupPolicy(ctx, &iam.PutGroupPolicyInput{GroupName: aws.String("g"), PolicyName: aws.String("ec2"), PolicyDocument: aws.String(allowDoc(`"ec2:Describe*"`, `"*"`))}))(t)
	must(c.PutGroupPolicy(ctx, &iam.PutGroupPolicyInput{GroupName: aws.String("g"), PolicyName: aws.String("a"), PolicyDocument: aws.String(allowDoc(`"s3:List*"`, `"*"`))}))(t)
	if names := must(c.ListGroupPolicies(ctx, &iam.ListGroupPoliciesInput{GroupName: aws.String("g")}))(t).PolicyNames; !cmp.Equal(names, []string{"a", "ec2"}) {
		t.Errorf("ListGroupPolicies: got %v, want [a ec2]", names)
	}
	gg := must(c.GetGroupPolicy(ctx, &iam.GetGroupPolicyInput{GroupName: aws.String("g"), PolicyName: aws.String("ec2")}))(t)
	if !sameJSON(t, decodeDoc(t, gg.PolicyDocument), allowDoc(`"ec2:Describe*"`, `"*"`)) || aws.ToString(gg.GroupName) != "g" {
		t.Errorf("GetGroupPolicy: got %s", decodeDoc(t, gg.PolicyDocument))
	}
	_, err = c.DeleteGroup(ctx, &iam.DeleteGroupInput{GroupName: aws.String("g")})
	apiErr(t, err, "DeleteConflict", 409)
	must(c.DeleteGroupPolicy(ctx, &iam.DeleteGroupPolicyInput{GroupName: aws.String("g"), PolicyName: aws.String("ec2")}))(t)
	must(c.DeleteGroupPolicy(ctx, &iam.DeleteGroupPolicyInput{GroupName: aws.String("g"), PolicyName: aws.String("a")}))(t)
	_, err = c.DeleteGroupPolicy(ctx, &iam.DeleteGroupPolicyInput{GroupName: aws.String("g"), PolicyName: aws.String("a")})
	apiErr(t, err, "NoSuchEntity", 404)
	must(c.DeleteGroup(ctx, &iam.DeleteGroupInput{GroupName: aws.String("g")}))(t)
}

// Permissions boundaries for users and roles: set at create or with Put, shown by Get,
// removed with Delete; the policy's PermissionsBoundaryUsageCount and the usage filters
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html).
func TestIAMPermissionsBoundaries(t *testing.T) {
	t.Parallel()
	_, c := newRootServer(t)
	ctx := ctxT(t)
	s3 := "arn:aws:iam::aws:policy/AmazonS3FullAccess"
	b := aws.ToString(must(c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("boundary"), PolicyDocument: aws.String(allowDoc(`"s3:*"`, `"*"`))}))(t).Policy.Arn)

	must(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("u"), PermissionsBoundary: aws.String(b)}))(t)
	u := must(c.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("u")}))(t).User
	if u.PermissionsBoundary == nil || aws.ToString(u.PermissionsBoundary.PermissionsBoundaryArn) != b ||
		// AWS answers "Policy", not the model's enum value "PermissionsBoundaryPolicy" (see
		// iam_awsrecorded_test.go).
		u.PermissionsBoundary.PermissionsBoundaryType != "Policy" {
		t.Errorf("GetUser PermissionsBoundary: got %+v, want %s of type Policy", u.PermissionsBoundary, b)
	}
	must(c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("r"), AssumeRolePolicyDocument: aws.String(ec2Trust)}))(t)
	must(c.PutRolePermissionsBoundary(ctx, &iam.PutRolePermissionsBoundaryInput{RoleName: aws.String("r"), PermissionsBoundary: aws.String(b)}))(t)
	r := must(c.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("r")}))(t).Role
	if r.PermissionsBoundary == nil || aws.ToString(r.PermissionsBoundary.PermissionsBoundaryArn) != b {
		t.Errorf("GetRole PermissionsBoundary: got %+v, want %s", r.PermissionsBoundary, b)
	}
	_, err := c.PutRolePermissionsBoundary(ctx, &iam.PutRolePermissionsBoundaryInput{RoleName: aws.String("r"), PermissionsBoundary: aws.String("arn:aws:iam::aws:policy/NoSuchPolicyAtAll")})
	apiErr(t, err, "NoSuchEntity", 404)

	gp := must(c.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String(b)}))(t).Policy
	if aws.ToInt32(gp.PermissionsBoundaryUsageCount) != 2 || aws.ToInt32(gp.AttachmentCount) != 0 {
		t.Errorf("boundary policy: PermissionsBoundaryUsageCount %d AttachmentCount %d, want 2 and 0",
			aws.ToInt32(gp.PermissionsBoundaryUsageCount), aws.ToInt32(gp.AttachmentCount))
	}
	ents := must(c.ListEntitiesForPolicy(ctx, &iam.ListEntitiesForPolicyInput{PolicyArn: aws.String(b), PolicyUsageFilter: types.PolicyUsageTypePermissionsBoundary}))(t)
	if len(ents.PolicyUsers) != 1 || len(ents.PolicyRoles) != 1 {
		t.Errorf("ListEntitiesForPolicy PermissionsBoundary: got %d users %d roles, want 1 and 1", len(ents.PolicyUsers), len(ents.PolicyRoles))
	}
	lp := must(c.ListPolicies(ctx, &iam.ListPoliciesInput{Scope: types.PolicyScopeTypeLocal, PolicyUsageFilter: types.PolicyUsageTypePermissionsBoundary}))(t).Policies
	if len(lp) != 1 || aws.ToString(lp[0].Arn) != b {
		t.Errorf("ListPolicies PolicyUsageFilter=PermissionsBoundary: got %d, want the boundary", len(lp))
	}
	// A policy in use as a boundary cannot be deleted.
	_, err = c.DeletePolicy(ctx, &iam.DeletePolicyInput{PolicyArn: aws.String(b)})
	apiErr(t, err, "DeleteConflict", 409)

	must(c.PutUserPermissionsBoundary(ctx, &iam.PutUserPermissionsBoundaryInput{UserName: aws.String("u"), PermissionsBoundary: aws.String(s3)}))(t)
	if got := aws.ToString(must(c.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("u")}))(t).User.PermissionsBoundary.PermissionsBoundaryArn); got != s3 {
		t.Errorf("after PutUserPermissionsBoundary: got %q, want %q", got, s3)
	}
	must(c.DeleteUserPermissionsBoundary(ctx, &iam.DeleteUserPermissionsBoundaryInput{UserName: aws.String("u")}))(t)
	must(c.DeleteRolePermissionsBoundary(ctx, &iam.DeleteRolePermissionsBoundaryInput{RoleName: aws.String("r")}))(t)
	if pb := must(c.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("u")}))(t).User.PermissionsBoundary; pb != nil {
		t.Errorf("user boundary after delete: got %+v, want none", pb)
	}
	if pb := must(c.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("r")}))(t).Role.PermissionsBoundary; pb != nil {
		t.Errorf("role boundary after delete: got %+v, want none", pb)
	}
	must(c.DeletePolicy(ctx, &iam.DeletePolicyInput{PolicyArn: aws.String(b)}))(t)
}
