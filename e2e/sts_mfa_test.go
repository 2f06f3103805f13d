package e2e

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// TestSTSSessionTokenWithMFA: GetSessionToken with SerialNumber and TokenCode checks the code
// against the user's enabled virtual MFA device, and the session it issues is MFA-
// authenticated — a policy that requires aws:MultiFactorAuthPresent lets the session through
// and not the user's long-term key (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_mfa_configure-api-require.html).
// A wrong code, a replayed code and someone else's device are AccessDenied.
func TestSTSSessionTokenWithMFA(t *testing.T) {
	inst, root := newRootServer(t)
	ctx := ctxT(t)
	acct := accountID(t, root)
	_, key := newUserClient(t, inst, root, "mara")
	must(root.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("mara"), PolicyName: aws.String("mfa-only"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:ListUsers","Resource":"*",` +
			`"Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"}}}]}`)}))(t)
	dev := must(root.CreateVirtualMFADevice(ctx, &iam.CreateVirtualMFADeviceInput{VirtualMFADeviceName: aws.String("mara")}))(t).VirtualMFADevice
	seed := string(dev.Base32StringSeed)
	now := time.Now()
	must(root.EnableMFADevice(ctx, &iam.EnableMFADeviceInput{UserName: aws.String("mara"), SerialNumber: dev.SerialNumber,
		AuthenticationCode1: aws.String(totpAt(t, seed, now.Add(-60*time.Second))), AuthenticationCode2: aws.String(totpAt(t, seed, now.Add(-30*time.Second)))}))(t)

	user := stsClient(inst, aws.ToString(key.AccessKeyId), aws.ToString(key.SecretAccessKey), "")
	longTerm := iamClient(t, inst, aws.ToString(key.AccessKeyId), aws.ToString(key.SecretAccessKey))
	_, err := longTerm.ListUsers(ctx, &iam.ListUsersInput{})
	apiErr(t, err, "AccessDenied", 403, "iam:ListUsers")

	_, err = user.GetSessionToken(ctx, &sts.GetSessionTokenInput{SerialNumber: dev.SerialNumber, TokenCode: aws.String(wrongCode(totpAt(t, seed, now)))})
	apiErr(t, err, "AccessDenied", 403, "invalid MFA one time pass code")
	_, err = user.GetSessionToken(ctx, &sts.GetSessionTokenInput{SerialNumber: aws.String("arn:aws:iam::" + acct + ":mfa/someone-else"), TokenCode: aws.String(totpAt(t, seed, now))})
	apiErr(t, err, "AccessDenied", 403, "serial number is valid and associated with this user")

	code := aws.String(totpAt(t, seed, now))
	out := must(user.GetSessionToken(ctx, &sts.GetSessionTokenInput{SerialNumber: dev.SerialNumber, TokenCode: code}))(t)
	sess := sessionIAM(inst, out.Credentials)
	if _, err := sess.ListUsers(ctx, &iam.ListUsersInput{}); err != nil {
		t.Fatalf("ListUsers with an MFA session: %v", err)
	}
	// A code is good once.
	_, err = user.GetSessionToken(ctx, &sts.GetSessionTokenInput{SerialNumber: dev.SerialNumber, TokenCode: code})
	apiErr(t, err, "AccessDenied", 403, "invalid MFA one time pass code")
}

// wrongCode returns a six-digit code that is not c.
func wrongCode(c string) string {
	if c == "000000" {
		return "111111"
	}
	return "000000"
}
