// Trust policies that name IAM users and roles (IAM User Guide,
// reference_policies_elements_principal.html): found by the SDK suite, fixed in internal/iam.

package e2e

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// A trust policy that names an IAM role or user that does not exist is refused: "verify
// that the user or role wasn't deleted" — the error is "Invalid principal in policy"
// (https://repost.aws/knowledge-center/iam-trust-policy-error; IAM User Guide,
// reference_policies_elements_principal.html, "IAM role principals").
func TestIAMTrustPolicyUnknownPrincipal(t *testing.T) {
	_, c := newRootServer(t)
	ctx := ctxT(t)
	acct := accountID(t, c)
	ghost := "arn:aws:iam::" + acct + ":role/ghost"
	doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"` + ghost + `"},"Action":"sts:AssumeRole"}]}`
	_, err := c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("r"), AssumeRolePolicyDocument: aws.String(doc)})
	apiErr(t, err, "MalformedPolicyDocument", 400, `Invalid principal in policy: "AWS":"`+ghost+`"`)
	_, err = c.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("r")})
	apiErr(t, err, "NoSuchEntity", 404)
}

// "When you save the policy, AWS transforms the ARN to a unique principal ID … if you delete
// the role or user, then the relationship is broken … the principal ID shows up … because
// AWS can no longer map it back to an ARN" (IAM User Guide,
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html#principal-roles).
// So a role recreated under the same name is not trusted.
func TestIAMTrustPolicyDeletedPrincipalShowsUniqueID(t *testing.T) {
	_, c := newRootServer(t)
	ctx := ctxT(t)
	trusted := must(c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("trusted"), AssumeRolePolicyDocument: aws.String(ec2Trust)}))(t).Role
	doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"` + aws.ToString(trusted.Arn) + `"},"Action":"sts:AssumeRole"}]}`
	must(c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("r"), AssumeRolePolicyDocument: aws.String(doc)}))(t)
	// While the trusted role exists, the policy reads back with its ARN.
	got := decodeDoc(t, must(c.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("r")}))(t).Role.AssumeRolePolicyDocument)
	if !strings.Contains(got, aws.ToString(trusted.Arn)) {
		t.Fatalf("trust policy while trusted exists: got %s, want its ARN", got)
	}
	must(c.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String("trusted")}))(t)
	must(c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("trusted"), AssumeRolePolicyDocument: aws.String(ec2Trust)}))(t)
	got = decodeDoc(t, must(c.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("r")}))(t).Role.AssumeRolePolicyDocument)
	if !strings.Contains(got, `"`+aws.ToString(trusted.RoleId)+`"`) || strings.Contains(got, aws.ToString(trusted.Arn)) {
		t.Errorf("trust policy after the trusted role was deleted and recreated: got %s, want the old unique ID %s in place of the ARN",
			got, aws.ToString(trusted.RoleId))
	}
}

// The same holds in authorization: alice, named in role_1's trust policy, may assume it; a
// new alice created after the first was deleted may not, although her ARN is the same
// (reference_policies_elements_principal.html#principal-roles).
func TestIAMTrustPolicyRecreatedUserNotTrusted(t *testing.T) {
	s := newSTSSetup(t, "")
	ctx := ctxT(t)
	must(s.alice.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(s.roleARN), RoleSessionName: aws.String("first")}))(t)
	old := aws.ToString(must(s.root.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("alice")}))(t).User.UserId)
	keys := must(s.root.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String("alice")}))(t).AccessKeyMetadata
	for _, k := range keys {
		must(s.root.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{UserName: aws.String("alice"), AccessKeyId: k.AccessKeyId}))(t)
	}
	must(s.root.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("alice")}))(t)
	must(s.root.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("alice")}))(t)
	k := must(s.root.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("alice")}))(t).AccessKey
	alice := stsClient(s.inst, aws.ToString(k.AccessKeyId), aws.ToString(k.SecretAccessKey), "")
	_, err := alice.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(s.roleARN), RoleSessionName: aws.String("second")})
	apiErr(t, err, "AccessDenied", 403)
	got := decodeDoc(t, must(s.root.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("role_1")}))(t).Role.AssumeRolePolicyDocument)
	if !strings.Contains(got, `"`+old+`"`) || strings.Contains(got, s.aliceARN) {
		t.Errorf("trust policy after alice was recreated: got %s, want her old unique ID %s in place of her ARN", got, old)
	}
}
