package e2e

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/google/go-cmp/cmp"
)

// Users: https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateUser.html and the
// operations beside it, driven through aws-sdk-go-v2.
func TestIAMUsers(t *testing.T) {
	t.Parallel()
	_, c := newRootServer(t)
	ctx := ctxT(t)
	acct := accountID(t, c)

	// CreateUser returns the user with an AIDA unique ID, the ARN with its path, and a
	// creation date (API_User.html).
	out := must(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("bob"), Path: aws.String("/eng/"),
		Tags: []types.Tag{tag("team", "blue")}}))(t)
	u := out.User
	if got, want := aws.ToString(u.Arn), "arn:aws:iam::"+acct+":user/eng/bob"; got != want {
		t.Errorf("ARN: got %q, want %q", got, want)
	}
	if !regexp.MustCompile(`^AIDA[A-Z0-9]{17}$`).MatchString(aws.ToString(u.UserId)) {
		t.Errorf("UserId: got %q, want AIDA and 17 more upper-case letters or digits", aws.ToString(u.UserId))
	}
	if u.CreateDate == nil || time.Since(*u.CreateDate) > time.Hour || time.Until(*u.CreateDate) > time.Hour {
		t.Errorf("CreateDate: got %v, want about now", u.CreateDate)
	}
	if got := tagMap(u.Tags); !cmp.Equal(got, map[string]string{"team": "blue"}) {
		t.Errorf("tags on create: got %v", got)
	}

	// Names are unique without regard to case: "you cannot create resources named both
	// MyResource and myresource" (reference_iam-quotas.html#reference_iam-quotas-names).
	_, err := c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("Bob")})
	apiErr(t, err, "EntityAlreadyExists", 409, "User with name Bob already exists.")

	got := must(c.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("BOB")}))(t)
	if aws.ToString(got.User.UserName) != "bob" || aws.ToString(got.User.UserId) != aws.ToString(u.UserId) {
		t.Errorf("GetUser BOB: got %q %q, want the user bob as created", aws.ToString(got.User.UserName), aws.ToString(got.User.UserId))
	}
	if tagMap(got.User.Tags)["team"] != "blue" {
		t.Errorf("GetUser tags: got %v, want team=blue", tagMap(got.User.Tags))
	}

	_, err = c.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("nobody")})
	apiErr(t, err, "NoSuchEntity", 404, "The user with name nobody cannot be found.")

	// Validation from the API model: UserName is 1–64 characters of [\w+=,.@-].
	_, err = c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(strings.Repeat("a", 65))})
	// IAM quotes no value in validation errors (constraint.IAM).
	apiErr(t, err, "ValidationError", 400, "1 validation error detected: Value at 'userName' failed to satisfy constraint: Member must have length less than or equal to 64")
	_, err = c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("has space")})
	apiErr(t, err, "ValidationError", 400)
	_, err = c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("x"), Path: aws.String("no-slashes")})
	apiErr(t, err, "ValidationError", 400)

	// UpdateUser renames and moves; the old name is gone, the ID stays.
	must(c.UpdateUser(ctx, &iam.UpdateUserInput{UserName: aws.String("bob"), NewUserName: aws.String("robert"), NewPath: aws.String("/ops/")}))(t)
	_, err = c.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("bob")})
	apiErr(t, err, "NoSuchEntity", 404)
	r := must(c.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("robert")}))(t).User
	if aws.ToString(r.Arn) != "arn:aws:iam::"+acct+":user/ops/robert" || aws.ToString(r.UserId) != aws.ToString(u.UserId) {
		t.Errorf("after rename: got %q %q, want the same ID at /ops/robert", aws.ToString(r.Arn), aws.ToString(r.UserId))
	}
	must(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("carol")}))(t)
	_, err = c.UpdateUser(ctx, &iam.UpdateUserInput{UserName: aws.String("robert"), NewUserName: aws.String("CAROL")})
	apiErr(t, err, "EntityAlreadyExists", 409)
	_, err = c.UpdateUser(ctx, &iam.UpdateUserInput{UserName: aws.String("ghost"), NewUserName: aws.String("x")})
	apiErr(t, err, "NoSuchEntity", 404)

	// ListUsers with PathPrefix.
	lu := must(c.ListUsers(ctx, &iam.ListUsersInput{PathPrefix: aws.String("/ops/")}))(t)
	if len(lu.Users) != 1 || aws.ToString(lu.Users[0].UserName) != "robert" || lu.IsTruncated {
		t.Errorf("ListUsers /ops/: got %d users truncated=%v, want robert only", len(lu.Users), lu.IsTruncated)
	}

	// Tags: TagUser adds and overwrites, UntagUser removes, ListUserTags lists.
	must(c.TagUser(ctx, &iam.TagUserInput{UserName: aws.String("robert"), Tags: []types.Tag{tag("team", "red"), tag("cost", "42")}}))(t)
	must(c.UntagUser(ctx, &iam.UntagUserInput{UserName: aws.String("robert"), TagKeys: []string{"cost"}}))(t)
	lt := must(c.ListUserTags(ctx, &iam.ListUserTagsInput{UserName: aws.String("robert")}))(t)
	if got := tagMap(lt.Tags); !cmp.Equal(got, map[string]string{"team": "red"}) {
		t.Errorf("ListUserTags: got %v, want team=red", got)
	}
	// At most 50 tags per resource (API_TagUser.html, LimitExceeded).
	var many []types.Tag
	for i := range 50 {
		many = append(many, tag(fmt.Sprintf("k%02d", i), "v"))
	}
	_, err = c.TagUser(ctx, &iam.TagUserInput{UserName: aws.String("robert"), Tags: many})
	apiErr(t, err, "LimitExceeded", 409)
	if got := tagMap(must(c.ListUserTags(ctx, &iam.ListUserTagsInput{UserName: aws.String("robert")}))(t).Tags); len(got) != 1 {
		t.Errorf("a rejected TagUser changed the tags: got %v", got)
	}

	must(c.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("Robert")}))(t)
	_, err = c.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("robert")})
	apiErr(t, err, "NoSuchEntity", 404)
}

// DeleteUser refuses while the user has keys, policies, groups or a login profile: "you must
// delete the items attached to the user manually" (API_DeleteUser.html, DeleteConflict).
func TestIAMDeleteUserConflicts(t *testing.T) {
	t.Parallel()
	_, c := newRootServer(t)
	ctx := ctxT(t)
	must(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("dan")}))(t)
	must(c.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("devs")}))(t)

	steps := []struct {
		note   string
		msg    string // IAM's DeleteConflict text
		add    func() error
		remove func() error
	}{
		{"an access key", "Cannot delete entity, must delete access keys first.", func() error {
			_, err := c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("dan")})
			return err
		}, func() error {
			ks := must(c.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String("dan")}))(t)
			_, err := c.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{UserName: aws.String("dan"), AccessKeyId: ks.AccessKeyMetadata[0].AccessKeyId})
			return err
		}},
		{"an inline policy", "Cannot delete entity, must delete policies first.", func() error {
			_, err := c.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("dan"), PolicyName: aws.String("p"),
				PolicyDocument: aws.String(allowDoc(`"s3:*"`, `"*"`))})
			return err
		}, func() error {
			_, err := c.DeleteUserPolicy(ctx, &iam.DeleteUserPolicyInput{UserName: aws.String("dan"), PolicyName: aws.String("p")})
			return err
		}},
		{"an attached managed policy", "Cannot delete entity, must detach all policies first.", func() error {
			_, err := c.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("dan"), PolicyArn: aws.String("arn:aws:iam::aws:policy/ReadOnlyAccess")})
			return err
		}, func() error {
			_, err := c.DetachUserPolicy(ctx, &iam.DetachUserPolicyInput{UserName: aws.String("dan"), PolicyArn: aws.String("arn:aws:iam::aws:policy/ReadOnlyAccess")})
			return err
		}},
		{"a group membership", "Cannot delete entity, must remove users from group first.", func() error {
			_, err := c.AddUserToGroup(ctx, &iam.AddUserToGroupInput{UserName: aws.String("dan"), GroupName: aws.String("devs")})
			return err
		}, func() error {
			_, err := c.RemoveUserFromGroup(ctx, &iam.RemoveUserFromGroupInput{UserName: aws.String("dan"), GroupName: aws.String("devs")})
			return err
		}},
		{"a login profile", "Cannot delete entity, must delete login profile first.", func() error {
			_, err := c.CreateLoginProfile(ctx, &iam.CreateLoginProfileInput{UserName: aws.String("dan"), Password: aws.String("Correct-Horse-9-Battery")})
			return err
		}, func() error {
			_, err := c.DeleteLoginProfile(ctx, &iam.DeleteLoginProfileInput{UserName: aws.String("dan")})
			return err
		}},
	}
	for _, s := range steps {
		if err := s.add(); err != nil {
			t.Fatalf("adding %s: %v", s.note, err)
		}
		_, err := c.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("dan")})
		if msg := apiErr(t, err, "DeleteConflict", 409); msg != s.msg {
			t.Errorf("DeleteUser with %s: got %q, want %q", s.note, msg, s.msg)
		}
		if err := s.remove(); err != nil {
			t.Fatalf("removing %s: %v", s.note, err)
		}
	}
	// The failed deletes changed nothing: dan is still there, and goes now.
	must(c.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("dan")}))(t)
	must(c.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("dan")}))(t)
}

// ListUsers pages with Marker/MaxItems; the SDK paginator walks all of them
// (https://docs.aws.amazon.com/IAM/latest/APIReference/pagination.html).
func TestIAMListUsersPaginator(t *testing.T) {
	t.Parallel()
	_, c := newRootServer(t)
	ctx := ctxT(t)
	const n = 137
	want := make([]string, 0, n)
	for i := range n {
		name := fmt.Sprintf("user-%03d", i)
		must(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name), Path: aws.String("/many/")}))(t)
		want = append(want, name)
	}
	// The default page is 100 users (API_ListUsers.html, MaxItems "defaults to 100").
	first := must(c.ListUsers(ctx, &iam.ListUsersInput{}))(t)
	if len(first.Users) != 100 || !first.IsTruncated || first.Marker == nil {
		t.Fatalf("first page: got %d users truncated=%v, want 100 and a Marker", len(first.Users), first.IsTruncated)
	}
	var got []string
	pages := 0
	p := iam.NewListUsersPaginator(c, &iam.ListUsersInput{PathPrefix: aws.String("/many/"), MaxItems: aws.Int32(25)})
	for p.HasMorePages() {
		page := must(p.NextPage(ctx))(t)
		pages++
		if len(page.Users) > 25 {
			t.Fatalf("page %d: got %d users, want at most MaxItems 25", pages, len(page.Users))
		}
		for _, u := range page.Users {
			got = append(got, aws.ToString(u.UserName))
		}
	}
	// IAM lists in name order, and every user once.
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("paginated users (-want +got):\n%s", diff)
	}
	if pages != 6 {
		t.Errorf("pages: got %d, want 6 (137 users by 25)", pages)
	}
	_, err := c.ListUsers(ctx, &iam.ListUsersInput{Marker: aws.String("not-a-marker")})
	if err == nil {
		t.Error("ListUsers with a forged Marker: got success, want an error")
	}
}

// Groups and membership: CreateGroup, GetGroup (with its users), AddUserToGroup,
// RemoveUserFromGroup, ListGroupsForUser, UpdateGroup, DeleteGroup
// (https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetGroup.html).
func TestIAMGroups(t *testing.T) {
	t.Parallel()
	_, c := newRootServer(t)
	ctx := ctxT(t)
	acct := accountID(t, c)
	g := must(c.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("ec2-admins"), Path: aws.String("/ops/")}))(t).Group
	if aws.ToString(g.Arn) != "arn:aws:iam::"+acct+":group/ops/ec2-admins" || !strings.HasPrefix(aws.ToString(g.GroupId), "AGPA") {
		t.Errorf("CreateGroup: got %q %q, want the ARN at /ops/ and an AGPA ID", aws.ToString(g.Arn), aws.ToString(g.GroupId))
	}
	_, err := c.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("EC2-Admins")})
	apiErr(t, err, "EntityAlreadyExists", 409)
	must(c.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("readers")}))(t)
	for _, u := range []string{"amy", "ben"} {
		must(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(u)}))(t)
		must(c.AddUserToGroup(ctx, &iam.AddUserToGroupInput{UserName: aws.String(u), GroupName: aws.String("ec2-admins")}))(t)
	}
	must(c.AddUserToGroup(ctx, &iam.AddUserToGroupInput{UserName: aws.String("amy"), GroupName: aws.String("readers")}))(t)
	// Adding again is not an error on AWS; membership stays single.
	must(c.AddUserToGroup(ctx, &iam.AddUserToGroupInput{UserName: aws.String("amy"), GroupName: aws.String("readers")}))(t)
	_, err = c.AddUserToGroup(ctx, &iam.AddUserToGroupInput{UserName: aws.String("nobody"), GroupName: aws.String("readers")})
	apiErr(t, err, "NoSuchEntity", 404)
	_, err = c.AddUserToGroup(ctx, &iam.AddUserToGroupInput{UserName: aws.String("amy"), GroupName: aws.String("nogroup")})
	apiErr(t, err, "NoSuchEntity", 404)

	gg := must(c.GetGroup(ctx, &iam.GetGroupInput{GroupName: aws.String("ec2-admins")}))(t)
	var members []string
	for _, u := range gg.Users {
		members = append(members, aws.ToString(u.UserName))
	}
	if !cmp.Equal(members, []string{"amy", "ben"}) || aws.ToString(gg.Group.GroupName) != "ec2-admins" {
		t.Errorf("GetGroup: got group %q members %v, want ec2-admins with amy, ben", aws.ToString(gg.Group.GroupName), members)
	}
	gp := must(c.GetGroup(ctx, &iam.GetGroupInput{GroupName: aws.String("ec2-admins"), MaxItems: aws.Int32(1)}))(t)
	if len(gp.Users) != 1 || !gp.IsTruncated {
		t.Errorf("GetGroup MaxItems 1: got %d users truncated=%v, want 1 and truncated", len(gp.Users), gp.IsTruncated)
	}

	gfu := must(c.ListGroupsForUser(ctx, &iam.ListGroupsForUserInput{UserName: aws.String("amy")}))(t)
	var groups []string
	for _, g := range gfu.Groups {
		groups = append(groups, aws.ToString(g.GroupName))
	}
	if !cmp.Equal(groups, []string{"ec2-admins", "readers"}) {
		t.Errorf("ListGroupsForUser amy: got %v, want ec2-admins, readers", groups)
	}
	lg := must(c.ListGroups(ctx, &iam.ListGroupsInput{PathPrefix: aws.String("/ops/")}))(t)
	if len(lg.Groups) != 1 || aws.ToString(lg.Groups[0].GroupName) != "ec2-admins" {
		t.Errorf("ListGroups /ops/: got %d groups, want ec2-admins only", len(lg.Groups))
	}

	// A group with members cannot be deleted (API_DeleteGroup.html: "The group must not
	// contain any users or have any attached policies"), and the failure changes nothing.
	_, err = c.DeleteGroup(ctx, &iam.DeleteGroupInput{GroupName: aws.String("readers")})
	apiErr(t, err, "DeleteConflict", 409, "Cannot delete entity, must remove users from group first.")
	if n := len(must(c.GetGroup(ctx, &iam.GetGroupInput{GroupName: aws.String("readers")}))(t).Users); n != 1 {
		t.Errorf("readers after a refused delete: got %d members, want 1", n)
	}

	// Renaming a group keeps its members.
	must(c.UpdateGroup(ctx, &iam.UpdateGroupInput{GroupName: aws.String("readers"), NewGroupName: aws.String("viewers"), NewPath: aws.String("/v/")}))(t)
	_, err = c.GetGroup(ctx, &iam.GetGroupInput{GroupName: aws.String("readers")})
	apiErr(t, err, "NoSuchEntity", 404)
	v := must(c.GetGroup(ctx, &iam.GetGroupInput{GroupName: aws.String("viewers")}))(t)
	if len(v.Users) != 1 || aws.ToString(v.Group.Path) != "/v/" {
		t.Errorf("viewers: got %d members at %q, want amy at /v/", len(v.Users), aws.ToString(v.Group.Path))
	}
	gfu = must(c.ListGroupsForUser(ctx, &iam.ListGroupsForUserInput{UserName: aws.String("amy")}))(t)
	if len(gfu.Groups) != 2 || aws.ToString(gfu.Groups[1].GroupName) != "viewers" {
		t.Errorf("amy's groups after the rename: got %d, want ec2-admins, viewers", len(gfu.Groups))
	}

	// A user is in at most 10 groups (reference_iam-quotas.html, "Groups an IAM user can be a
	// member of: 10"); amy is in 2.
	for i := range 9 {
		name := fmt.Sprintf("extra-%d", i)
		must(c.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String(name)}))(t)
		err := func() error {
			_, err := c.AddUserToGroup(ctx, &iam.AddUserToGroupInput{UserName: aws.String("amy"), GroupName: aws.String(name)})
			return err
		}()
		if i < 8 && err != nil {
			t.Fatalf("adding amy to group %d of 10: %v", i+3, err)
		}
		if i == 8 {
			apiErr(t, err, "LimitExceeded", 409, "Cannot exceed quota for GroupsPerUser: 10")
		}
	}
	for i := range 8 {
		must(c.RemoveUserFromGroup(ctx, &iam.RemoveUserFromGroupInput{UserName: aws.String("amy"), GroupName: aws.String(fmt.Sprintf("extra-%d", i))}))(t)
	}
	must(c.RemoveUserFromGroup(ctx, &iam.RemoveUserFromGroupInput{UserName: aws.String("amy"), GroupName: aws.String("viewers")}))(t)
	must(c.DeleteGroup(ctx, &iam.DeleteGroupInput{GroupName: aws.String("viewers")}))(t)
	_, err = c.DeleteGroup(ctx, &iam.DeleteGroupInput{GroupName: aws.String("viewers")})
	apiErr(t, err, "NoSuchEntity", 404)
}

// Login profiles (console passwords): https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateLoginProfile.html.
func TestIAMLoginProfiles(t *testing.T) {
	t.Parallel()
	_, c := newRootServer(t)
	ctx := ctxT(t)
	must(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("eve")}))(t)
	_, err := c.GetLoginProfile(ctx, &iam.GetLoginProfileInput{UserName: aws.String("eve")})
	apiErr(t, err, "NoSuchEntity", 404)
	lp := must(c.CreateLoginProfile(ctx, &iam.CreateLoginProfileInput{UserName: aws.String("eve"),
		Password: aws.String("Correct-Horse-9-Battery"), PasswordResetRequired: true}))(t).LoginProfile
	if aws.ToString(lp.UserName) != "eve" || !lp.PasswordResetRequired || lp.CreateDate == nil {
		t.Errorf("CreateLoginProfile: got %+v", lp)
	}
	_, err = c.CreateLoginProfile(ctx, &iam.CreateLoginProfileInput{UserName: aws.String("eve"), Password: aws.String("Another-Horse-9-Battery")})
	apiErr(t, err, "EntityAlreadyExists", 409)
	got := must(c.GetLoginProfile(ctx, &iam.GetLoginProfileInput{UserName: aws.String("eve")}))(t).LoginProfile
	if !got.PasswordResetRequired {
		t.Error("GetLoginProfile: PasswordResetRequired got false, want true")
	}
	must(c.UpdateLoginProfile(ctx, &iam.UpdateLoginProfileInput{UserName: aws.String("eve"), PasswordResetRequired: aws.Bool(false)}))(t)
	if must(c.GetLoginProfile(ctx, &iam.GetLoginProfileInput{UserName: aws.String("eve")}))(t).LoginProfile.PasswordResetRequired {
		t.Error("after UpdateLoginProfile: PasswordResetRequired got true, want false")
	}
	must(c.DeleteLoginProfile(ctx, &iam.DeleteLoginProfileInput{UserName: aws.String("eve")}))(t)
	_, err = c.DeleteLoginProfile(ctx, &iam.DeleteLoginProfileInput{UserName: aws.String("eve")})
	apiErr(t, err, "NoSuchEntity", 404)
	_, err = c.CreateLoginProfile(ctx, &iam.CreateLoginProfileInput{UserName: aws.String("nobody"), Password: aws.String("Correct-Horse-9-Battery")})
	apiErr(t, err, "NoSuchEntity", 404)
}

// The account password policy: https://docs.aws.amazon.com/IAM/latest/APIReference/API_UpdateAccountPasswordPolicy.html
// ("If you do not specify a value for a parameter, then the operation uses the default
// value"); passwords that break it are PasswordPolicyViolation.
func TestIAMAccountPasswordPolicy(t *testing.T) {
	t.Parallel()
	_, c := newRootServer(t)
	ctx := ctxT(t)
	acct := accountID(t, c)
	// A new account has no password policy of its own.
	_, err := c.GetAccountPasswordPolicy(ctx, &iam.GetAccountPasswordPolicyInput{})
	apiErr(t, err, "NoSuchEntity", 404, acct)
	must(c.UpdateAccountPasswordPolicy(ctx, &iam.UpdateAccountPasswordPolicyInput{MinimumPasswordLength: aws.Int32(14),
		RequireSymbols: true, RequireNumbers: true, MaxPasswordAge: aws.Int32(90), AllowUsersToChangePassword: true}))(t)
	pp := must(c.GetAccountPasswordPolicy(ctx, &iam.GetAccountPasswordPolicyInput{}))(t).PasswordPolicy
	if aws.ToInt32(pp.MinimumPasswordLength) != 14 || !pp.RequireSymbols || !pp.RequireNumbers || pp.RequireUppercaseCharacters ||
		!pp.ExpirePasswords || aws.ToInt32(pp.MaxPasswordAge) != 90 || !pp.AllowUsersToChangePassword {
		t.Errorf("GetAccountPasswordPolicy: got %+v", pp)
	}
	must(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("fay")}))(t)
	_, err = c.CreateLoginProfile(ctx, &iam.CreateLoginProfileInput{UserName: aws.String("fay"), Password: aws.String("short-1!")})
	apiErr(t, err, "PasswordPolicyViolation", 400)
	_, err = c.GetLoginProfile(ctx, &iam.GetLoginProfileInput{UserName: aws.String("fay")})
	apiErr(t, err, "NoSuchEntity", 404)
	must(c.CreateLoginProfile(ctx, &iam.CreateLoginProfileInput{UserName: aws.String("fay"), Password: aws.String("long-enough-p4ssword!")}))(t)

	// An update resets what it leaves out to the defaults, not to the old values.
	must(c.UpdateAccountPasswordPolicy(ctx, &iam.UpdateAccountPasswordPolicyInput{RequireUppercaseCharacters: true}))(t)
	pp = must(c.GetAccountPasswordPolicy(ctx, &iam.GetAccountPasswordPolicyInput{}))(t).PasswordPolicy
	if aws.ToInt32(pp.MinimumPasswordLength) != 6 || pp.RequireSymbols || !pp.RequireUppercaseCharacters || pp.ExpirePasswords {
		t.Errorf("after a partial update: got %+v, want the defaults and RequireUppercaseCharacters", pp)
	}
	must(c.DeleteAccountPasswordPolicy(ctx, &iam.DeleteAccountPasswordPolicyInput{}))(t)
	_, err = c.DeleteAccountPasswordPolicy(ctx, &iam.DeleteAccountPasswordPolicyInput{})
	apiErr(t, err, "NoSuchEntity", 404)
}

// Gatehouse issues no MFA devices, signing certificates, SSH keys or service-specific
// credentials, but lists them (empty) as IAM does, for tools that clean a user up before
// DeleteUser; a missing user is NoSuchEntity.
func TestIAMOtherCredentialLists(t *testing.T) {
	t.Parallel()
	_, c := newRootServer(t)
	ctx := ctxT(t)
	must(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("gus")}))(t)
	u := aws.String("gus")
	if n := len(must(c.ListMFADevices(ctx, &iam.ListMFADevicesInput{UserName: u}))(t).MFADevices); n != 0 {
		t.Errorf("ListMFADevices: got %d", n)
	}
	if n := len(must(c.ListSigningCertificates(ctx, &iam.ListSigningCertificatesInput{UserName: u}))(t).Certificates); n != 0 {
		t.Errorf("ListSigningCertificates: got %d", n)
	}
	if n := len(must(c.ListSSHPublicKeys(ctx, &iam.ListSSHPublicKeysInput{UserName: u}))(t).SSHPublicKeys); n != 0 {
		t.Errorf("ListSSHPublicKeys: got %d", n)
	}
	if n := len(must(c.ListServiceSpecificCredentials(ctx, &iam.ListServiceSpecificCredentialsInput{UserName: u}))(t).ServiceSpecificCredentials); n != 0 {
		t.Errorf("ListServiceSpecificCredentials: got %d", n)
	}
	nobody := aws.String("nobody")
	_, err := c.ListMFADevices(ctx, &iam.ListMFADevicesInput{UserName: nobody})
	apiErr(t, err, "NoSuchEntity", 404)
	_, err = c.ListSigningCertificates(ctx, &iam.ListSigningCertificatesInput{UserName: nobody})
	apiErr(t, err, "NoSuchEntity", 404)
	_, err = c.ListSSHPublicKeys(ctx, &iam.ListSSHPublicKeysInput{UserName: nobody})
	apiErr(t, err, "NoSuchEntity", 404)
	_, err = c.ListServiceSpecificCredentials(ctx, &iam.ListServiceSpecificCredentialsInput{UserName: nobody})
	apiErr(t, err, "NoSuchEntity", 404)
}
