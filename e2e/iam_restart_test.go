package e2e

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/google/go-cmp/cmp"
)

// State survives a restart of `gatehouse serve` on the same data directory: the account,
// the root key, users with their keys (whose sealed secrets still verify signatures),
// groups, policies with versions, roles in instance profiles, tags, the alias, and a key's
// last use. Each phase is a subtest, so the harness stops its server when the phase ends.
func TestIAMRestart(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	var (
		acct, rootKey string
		key           types.AccessKey
		policyARN     string
	)
	t.Run("first", func(t *testing.T) {
		inst := startServer(t, dir)
		c := rootClient(t, inst)
		ctx := ctxT(t)
		acct = accountID(t, c)
		rootKey, _ = rootCreds(t, inst)
		must(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("alice"), Tags: []types.Tag{tag("team", "blue")}}))(t)
		key = *must(c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("alice")}))(t).AccessKey
		must(c.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("ec2")}))(t)
		must(c.AttachGroupPolicy(ctx, &iam.AttachGroupPolicyInput{GroupName: aws.String("ec2"), PolicyArn: aws.String("arn:aws:iam::aws:policy/AmazonEC2FullAccess")}))(t)
		must(c.AddUserToGroup(ctx, &iam.AddUserToGroupInput{GroupName: aws.String("ec2"), UserName: aws.String("alice")}))(t)
		must(c.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("alice"), PolicyName: aws.String("self"),
			PolicyDocument: aws.String(allowDoc(`"iam:GetUser"`, `"arn:aws:iam::*:user/${aws:username}"`))}))(t)
		policyARN = aws.ToString(must(c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("p"), PolicyDocument: aws.String(allowDoc(`"s3:*"`, `"*"`))}))(t).Policy.Arn)
		must(c.CreatePolicyVersion(ctx, &iam.CreatePolicyVersionInput{PolicyArn: aws.String(policyARN), PolicyDocument: aws.String(allowDoc(`"s3:Get*"`, `"*"`)), SetAsDefault: true}))(t)
		must(c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("role_1"), AssumeRolePolicyDocument: aws.String(ec2Trust), Description: aws.String("EC2 to S3")}))(t)
		must(c.CreateInstanceProfile(ctx, &iam.CreateInstanceProfileInput{InstanceProfileName: aws.String("role_1")}))(t)
		must(c.AddRoleToInstanceProfile(ctx, &iam.AddRoleToInstanceProfileInput{InstanceProfileName: aws.String("role_1"), RoleName: aws.String("role_1")}))(t)
		must(c.CreateAccountAlias(ctx, &iam.CreateAccountAliasInput{AccountAlias: aws.String("restart-co")}))(t)
		// alice uses her key once; the use is flushed by the time the server has stopped.
		must(iamClient(t, inst, aws.ToString(key.AccessKeyId), aws.ToString(key.SecretAccessKey)).GetUser(ctx, &iam.GetUserInput{}))(t)
	})
	if t.Failed() {
		return
	}
	credsBefore, err := os.ReadFile(filepath.Join(dir, "credentials"))
	if err != nil {
		t.Fatal(err)
	}
	t.Run("second", func(t *testing.T) {
		inst := startServer(t, dir)
		if k, _ := rootCreds(t, inst); k != rootKey {
			t.Fatalf("root key after restart: got %s, want %s", k, rootKey)
		}
		if after, _ := os.ReadFile(filepath.Join(dir, "credentials")); string(after) != string(credsBefore) {
			t.Error("the credentials file changed on restart; it is written on first start only")
		}
		c := rootClient(t, inst)
		ctx := ctxT(t)
		if got := accountID(t, c); got != acct {
			t.Fatalf("account after restart: got %s, want %s", got, acct)
		}
		u := must(c.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("alice")}))(t).User
		if tagMap(u.Tags)["team"] != "blue" {
			t.Errorf("alice's tags after restart: got %v", tagMap(u.Tags))
		}
		// The user's key still signs: its secret was stored sealed and is unsealed again.
		alice := iamClient(t, inst, aws.ToString(key.AccessKeyId), aws.ToString(key.SecretAccessKey))
		if got := aws.ToString(must(alice.GetUser(ctx, &iam.GetUserInput{}))(t).User.UserName); got != "alice" {
			t.Errorf("alice's key after restart: GetUser got %q", got)
		}
		_, err := alice.ListUsers(ctx, &iam.ListUsersInput{})
		apiErr(t, err, "AccessDenied", 403)
		lu := must(c.GetAccessKeyLastUsed(ctx, &iam.GetAccessKeyLastUsedInput{AccessKeyId: key.AccessKeyId}))(t).AccessKeyLastUsed
		if lu.LastUsedDate == nil || time.Since(*lu.LastUsedDate) > time.Hour {
			t.Errorf("alice's key last use after restart: got %+v, want the use from before the restart (or after)", lu)
		}
		groups := must(c.ListGroupsForUser(ctx, &iam.ListGroupsForUserInput{UserName: aws.String("alice")}))(t).Groups
		if len(groups) != 1 || aws.ToString(groups[0].GroupName) != "ec2" {
			t.Errorf("alice's groups after restart: got %d", len(groups))
		}
		ap := must(c.ListAttachedGroupPolicies(ctx, &iam.ListAttachedGroupPoliciesInput{GroupName: aws.String("ec2")}))(t).AttachedPolicies
		if len(ap) != 1 || aws.ToString(ap[0].PolicyName) != "AmazonEC2FullAccess" {
			t.Errorf("group ec2's policies after restart: got %d", len(ap))
		}
		p := must(c.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String(policyARN)}))(t).Policy
		if aws.ToString(p.DefaultVersionId) != "v2" {
			t.Errorf("policy default after restart: got %q, want v2", aws.ToString(p.DefaultVersionId))
		}
		// Version numbering continues where it was.
		v := must(c.CreatePolicyVersion(ctx, &iam.CreatePolicyVersionInput{PolicyArn: aws.String(policyARN), PolicyDocument: aws.String(allowDoc(`"s3:List*"`, `"*"`))}))(t).PolicyVersion
		if aws.ToString(v.VersionId) != "v3" {
			t.Errorf("next version after restart: got %q, want v3", aws.ToString(v.VersionId))
		}
		// An instance profile's role carries no Description on AWS (iam_awsrecorded_test.go);
		// the role's own does.
		ip := must(c.GetInstanceProfile(ctx, &iam.GetInstanceProfileInput{InstanceProfileName: aws.String("role_1")}))(t).InstanceProfile
		if len(ip.Roles) != 1 || aws.ToString(ip.Roles[0].RoleName) != "role_1" {
			t.Errorf("instance profile after restart: got %d roles", len(ip.Roles))
		}
		if d := aws.ToString(must(c.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("role_1")}))(t).Role.Description); d != "EC2 to S3" {
			t.Errorf("role description after restart: got %q", d)
		}
		if got := must(c.ListAccountAliases(ctx, &iam.ListAccountAliasesInput{}))(t).AccountAliases; !cmp.Equal(got, []string{"restart-co"}) {
			t.Errorf("aliases after restart: got %v", got)
		}
		// Uniqueness still holds against what was stored before.
		_, err = c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("ALICE")})
		apiErr(t, err, "EntityAlreadyExists", 409)
	})
}
