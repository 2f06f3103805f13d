package e2e

import (
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
)

// Policy grammar as IAM enforces it per policy type
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements.html): an
// identity policy names no principal, a trust policy names one and no resource; nothing is
// stored when a document is refused.
func TestIAMPolicyGrammar(t *testing.T) {
	t.Parallel()
	_, c := newRootServer(t)
	ctx := ctxT(t)
	must(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("u")}))(t)
	cases := []struct {
		note string
		doc  string
	}{
		{"not JSON", `{"Version":"2012-10-17","Statement":[`},
		{"a principal in an identity policy", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"}]}`},
		{"no Effect", `{"Version":"2012-10-17","Statement":[{"Action":"s3:*","Resource":"*"}]}`},
		{"no Resource", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*"}]}`},
		{"an unknown Version", `{"Version":"2099-01-01","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`},
		{"an action without a service prefix", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"GetObject","Resource":"*"}]}`},
		{"an unknown condition operator", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringSorta":{"aws:username":"x"}}}]}`},
	}
	for _, tc := range cases {
		_, err := c.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("u"), PolicyName: aws.String("p"), PolicyDocument: aws.String(tc.doc)})
		if err == nil {
			t.Errorf("%s: PutUserPolicy got success, want MalformedPolicyDocument", tc.note)
			continue
		}
		apiErr(t, err, "MalformedPolicyDocument", 400)
		_, err = c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("p"), PolicyDocument: aws.String(tc.doc)})
		apiErr(t, err, "MalformedPolicyDocument", 400)
	}
	if n := len(must(c.ListUserPolicies(ctx, &iam.ListUserPoliciesInput{UserName: aws.String("u")}))(t).PolicyNames); n != 0 {
		t.Errorf("refused inline policies were stored: got %d", n)
	}
	if n := len(must(c.ListPolicies(ctx, &iam.ListPoliciesInput{Scope: types.PolicyScopeTypeLocal}))(t).Policies); n != 0 {
		t.Errorf("refused managed policies were stored: got %d", n)
	}
	trust := []struct {
		note string
		doc  string
	}{
		{"a trust policy without a principal", allowDoc(`"sts:AssumeRole"`, `"*"`)},
		{"a trust policy with a resource", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole","Resource":"*"}]}`},
	}
	for _, tc := range trust {
		_, err := c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("r"), AssumeRolePolicyDocument: aws.String(tc.doc)})
		if err == nil {
			t.Errorf("%s: CreateRole got success, want MalformedPolicyDocument", tc.note)
			continue
		}
		apiErr(t, err, "MalformedPolicyDocument", 400)
	}
	if n := len(must(c.ListRoles(ctx, &iam.ListRolesInput{}))(t).Roles); n != 0 {
		t.Errorf("refused roles were stored: got %d", n)
	}
}

// Inline policy size quotas per holder: user 2,048, group 5,120, role 10,240 characters
// ("Role policy size cannot exceed 10,240 characters", reference_iam-quotas.html), counted
// for all of a holder's inline policies together and without whitespace.
func TestIAMInlinePolicySizeQuotas(t *testing.T) {
	t.Parallel()
	_, c := newRootServer(t)
	ctx := ctxT(t)
	must(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("u")}))(t)
	must(c.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("g")}))(t)
	must(c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("r"), AssumeRolePolicyDocument: aws.String(ec2Trust)}))(t)
	// docOf returns a document of n resources, each 31 characters with its quotes and comma.
	docOf := func(n int) string {
		var res []string
		for i := range n {
			res = append(res, fmt.Sprintf(`"arn:aws:s3:::bucket-%05d/*"`, i))
		}
		return allowDoc(`"s3:GetObject"`, "["+strings.Join(res, ",")+"]")
	}
	put := map[string]func(name, doc string) error{
		"user": func(name, doc string) error {
			_, err := c.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("u"), PolicyName: aws.String(name), PolicyDocument: aws.String(doc)})
			return err
		},
		"group": func(name, doc string) error {
			_, err := c.PutGroupPolicy(ctx, &iam.PutGroupPolicyInput{GroupName: aws.String("g"), PolicyName: aws.String(name), PolicyDocument: aws.String(doc)})
			return err
		},
		"role": func(name, doc string) error {
			_, err := c.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("r"), PolicyName: aws.String(name), PolicyDocument: aws.String(doc)})
			return err
		},
	}
	for holder, limit := range map[string]int{"user": 2048, "group": 5120, "role": 10240} {
		// Two policies of about 45% of the quota each fit; a third does not.
		n := (limit*45/100 - 90) / 31
		if err := put[holder]("a", docOf(n)); err != nil {
			t.Fatalf("%s: the first policy (%d chars): %v", holder, len(docOf(n)), err)
		}
		if err := put[holder]("b", docOf(n)); err != nil {
			t.Fatalf("%s: the second policy: %v", holder, err)
		}
		apiErr(t, put[holder]("c", docOf(n)), "LimitExceeded", 409)
		// Replacing a policy counts its new size, not both.
		if err := put[holder]("b", docOf(n)); err != nil {
			t.Errorf("%s: replacing a policy with one of the same size: %v", holder, err)
		}
	}
}

// Root's own identity: GetUser without a name as root returns the account's root
// (https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetUser.html: "If you do not
// specify a user name, IAM determines the user name implicitly based on the Amazon Web
// Services access key ID used to sign the request"), and root's keys are listed without a name.
func TestIAMRootIdentity(t *testing.T) {
	t.Parallel()
	inst, c := newRootServer(t)
	ctx := ctxT(t)
	acct := accountID(t, c)
	u := must(c.GetUser(ctx, &iam.GetUserInput{}))(t).User
	if aws.ToString(u.Arn) != "arn:aws:iam::"+acct+":root" || aws.ToString(u.UserId) != acct {
		t.Errorf("root GetUser: got ARN %q ID %q, want the root ARN and the account ID", aws.ToString(u.Arn), aws.ToString(u.UserId))
	}
	id, _ := rootCreds(t, inst)
	ks := must(c.ListAccessKeys(ctx, &iam.ListAccessKeysInput{}))(t).AccessKeyMetadata
	if len(ks) != 1 || aws.ToString(ks[0].AccessKeyId) != id || ks[0].Status != types.StatusTypeActive {
		t.Errorf("root ListAccessKeys: got %d keys, want the root key %s", len(ks), id)
	}
}

// Conditions on IAM's own keys: iam:PolicyARN limits which policies a delegate may attach,
// aws:RequestTag and aws:TagKeys limit the tags it may set, aws:ResourceTag the users it may
// change (https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsidentityandaccessmanagementiam.html).
func TestIAMAuthorizationConditions(t *testing.T) {
	t.Parallel()
	inst, root := newRootServer(t)
	ctx := ctxT(t)
	acct := accountID(t, root)
	del, _ := newUserClient(t, inst, root, "delegate")
	doc := `{"Version":"2012-10-17","Statement":[
	 {"Effect":"Allow","Action":"iam:AttachUserPolicy","Resource":"*","Condition":{"ArnEquals":{"iam:PolicyARN":"arn:aws:iam::aws:policy/ReadOnlyAccess"}}},
	 {"Effect":"Allow","Action":["iam:CreateUser","iam:TagUser"],"Resource":"*","Condition":{"StringEquals":{"aws:RequestTag/team":"blue"},"ForAllValues:StringEquals":{"aws:TagKeys":["team"]}}},
	 {"Effect":"Allow","Action":"iam:DeleteUser","Resource":"*","Condition":{"StringEquals":{"aws:ResourceTag/team":"blue"}}}
	]}`
	must(root.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("delegate"), PolicyName: aws.String("scoped"), PolicyDocument: aws.String(doc)}))(t)
	must(root.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("target")}))(t)

	must(del.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("target"), PolicyArn: aws.String("arn:aws:iam::aws:policy/ReadOnlyAccess")}))(t)
	_, err := del.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("target"), PolicyArn: aws.String("arn:aws:iam::aws:policy/AdministratorAccess")})
	denied(t, err, "arn:aws:iam::"+acct+":user/delegate", "iam:AttachUserPolicy", "arn:aws:iam::"+acct+":user/target",
		"because no identity-based policy allows the iam:AttachUserPolicy action")

	must(del.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("blue1"), Tags: []types.Tag{tag("team", "blue")}}))(t)
	_, err = del.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("red1"), Tags: []types.Tag{tag("team", "red")}})
	apiErr(t, err, "AccessDenied", 403)
	_, err = del.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("blue2"), Tags: []types.Tag{tag("team", "blue"), tag("cost", "1")}})
	apiErr(t, err, "AccessDenied", 403)
	_, err = del.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("untagged")})
	apiErr(t, err, "AccessDenied", 403)

	must(del.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("blue1")}))(t)
	must(root.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("red2"), Tags: []types.Tag{tag("team", "red")}}))(t)
	_, err = del.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("red2")})
	apiErr(t, err, "AccessDenied", 403)
	must(root.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("red2")}))(t)
}

// IAM's exact texts for a missing or duplicate entity, as the API sends them (the same
// texts boto3, the CLI and Terraform show users).
func TestIAMEntityMessages(t *testing.T) {
	t.Parallel()
	_, c := newRootServer(t)
	ctx := ctxT(t)
	acct := accountID(t, c)
	must(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("u")}))(t)
	must(c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("r"), AssumeRolePolicyDocument: aws.String(ec2Trust)}))(t)
	must(c.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("g")}))(t)
	cases := []struct {
		note   string
		call   func() error
		code   string
		status int
		msg    string
	}{
		{"attach a missing policy", func() error {
			_, err := c.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("u"), PolicyArn: aws.String("arn:aws:iam::" + acct + ":policy/none")})
			return err
		}, "NoSuchEntity", 404, "Policy arn:aws:iam::" + acct + ":policy/none does not exist or is not attachable."},
		{"detach a policy not attached", func() error {
			_, err := c.DetachUserPolicy(ctx, &iam.DetachUserPolicyInput{UserName: aws.String("u"), PolicyArn: aws.String("arn:aws:iam::aws:policy/ReadOnlyAccess")})
			return err
		}, "NoSuchEntity", 404, "Policy arn:aws:iam::aws:policy/ReadOnlyAccess was not found."},
		{"a missing user policy", func() error {
			_, err := c.DeleteUserPolicy(ctx, &iam.DeleteUserPolicyInput{UserName: aws.String("u"), PolicyName: aws.String("x")})
			return err
		}, "NoSuchEntity", 404, "The user policy with name x cannot be found."},
		{"a missing role policy", func() error {
			_, err := c.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: aws.String("r"), PolicyName: aws.String("x")})
			return err
		}, "NoSuchEntity", 404, "The role policy with name x cannot be found."},
		{"a missing role", func() error {
			_, err := c.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("x")})
			return err
		}, "NoSuchEntity", 404, "The role with name x cannot be found."},
		{"a missing group", func() error {
			_, err := c.GetGroup(ctx, &iam.GetGroupInput{GroupName: aws.String("x")})
			return err
		}, "NoSuchEntity", 404, "The group with name x cannot be found."},
		{"a missing managed policy", func() error {
			_, err := c.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String("arn:aws:iam::" + acct + ":policy/x")})
			return err
		}, "NoSuchEntity", 404, "Policy arn:aws:iam::" + acct + ":policy/x was not found."},
		{"a missing instance profile", func() error {
			_, err := c.GetInstanceProfile(ctx, &iam.GetInstanceProfileInput{InstanceProfileName: aws.String("x")})
			return err
		}, "NoSuchEntity", 404, "Instance Profile x cannot be found."},
		{"a group name taken in another case", func() error {
			_, err := c.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("G")})
			return err
		}, "EntityAlreadyExists", 409, "Group with name G already exists."},
		{"a role name taken in another case", func() error {
			_, err := c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("R"), AssumeRolePolicyDocument: aws.String(ec2Trust)})
			return err
		}, "EntityAlreadyExists", 409, "Role with name R already exists."},
	}
	for _, tc := range cases {
		if msg := apiErr(t, tc.call(), tc.code, tc.status); msg != tc.msg {
			t.Errorf("%s: got %q, want %q", tc.note, msg, tc.msg)
		}
	}
}
