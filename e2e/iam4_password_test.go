package e2e

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
)

// ChangePassword by the user itself, through the SDK with the user's own key
// (https://docs.aws.amazon.com/IAM/latest/APIReference/API_ChangePassword.html): the old
// password must match, the account's password policy applies, PasswordResetRequired clears.
func TestIAM4ChangePassword(t *testing.T) {
	inst, root := newRootServer(t)
	ctx := ctxT(t)
	alice, _ := newUserClient(t, inst, root, "alice")
	must(root.CreateLoginProfile(ctx, &iam.CreateLoginProfileInput{UserName: aws.String("alice"), Password: aws.String("First-Pass-1"), PasswordResetRequired: true}))(t)

	// Without iam:ChangePassword the user may not.
	_, err := alice.ChangePassword(ctx, &iam.ChangePasswordInput{OldPassword: aws.String("First-Pass-1"), NewPassword: aws.String("Second-Pass-2")})
	apiErr(t, err, "AccessDenied", 403, "iam:ChangePassword")

	must(root.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("alice"), PolicyName: aws.String("own-password"),
		PolicyDocument: aws.String(allowDoc(`["iam:ChangePassword","iam:GetAccountPasswordPolicy"]`, `"arn:aws:iam::*:user/${aws:username}"`))}))(t)
	_, err = alice.ChangePassword(ctx, &iam.ChangePasswordInput{OldPassword: aws.String("Wrong-Pass-1"), NewPassword: aws.String("Second-Pass-2")})
	apiErr(t, err, "InvalidUserType", 400, "old password")
	must(root.UpdateAccountPasswordPolicy(ctx, &iam.UpdateAccountPasswordPolicyInput{MinimumPasswordLength: aws.Int32(14), AllowUsersToChangePassword: true}))(t)
	_, err = alice.ChangePassword(ctx, &iam.ChangePasswordInput{OldPassword: aws.String("First-Pass-1"), NewPassword: aws.String("Second-Pass-2")})
	apiErr(t, err, "PasswordPolicyViolation", 400)
	must(alice.ChangePassword(ctx, &iam.ChangePasswordInput{OldPassword: aws.String("First-Pass-1"), NewPassword: aws.String("Second-Pass-2-long")}))(t)
	lp := must(root.GetLoginProfile(ctx, &iam.GetLoginProfileInput{UserName: aws.String("alice")}))(t).LoginProfile
	if lp.PasswordResetRequired {
		t.Errorf("PasswordResetRequired after ChangePassword: got true, want false")
	}
	// The old password no longer works; the new one does.
	_, err = alice.ChangePassword(ctx, &iam.ChangePasswordInput{OldPassword: aws.String("First-Pass-1"), NewPassword: aws.String("Third-Pass-3-long")})
	apiErr(t, err, "InvalidUserType", 400)
	must(alice.ChangePassword(ctx, &iam.ChangePasswordInput{OldPassword: aws.String("Second-Pass-2-long"), NewPassword: aws.String("Third-Pass-3-long")}))(t)

	// The root user has no IAM password to change.
	_, err = root.ChangePassword(ctx, &iam.ChangePasswordInput{OldPassword: aws.String("x"), NewPassword: aws.String("y")})
	apiErr(t, err, "InvalidUserType", 400)
}
