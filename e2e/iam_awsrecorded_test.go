package e2e

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/smithy-go"
)

// IAM errors whose code, HTTP status and exact message were recorded against AWS itself: the
// snapshot files of LocalStack's IAM suite (tests/aws/services/iam/test_iam_*.snapshot.json)
// hold AWS's responses. Each case below is one recorded call the emulator answered differently
// before; the expected text is AWS's, with the names of this test's entities.

// recordedCase is a call and the error AWS answered it with.
type recordedCase struct {
	name   string
	call   func(ctx context.Context, c *iam.Client) error
	code   string
	status int
	msg    string
}

// wantRecorded checks err against a recorded AWS error: code, status and the whole message.
func wantRecorded(t *testing.T, err error, tc recordedCase) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s: got success, want %s (%d) %q", tc.name, tc.code, tc.status, tc.msg)
	}
	var ae smithy.APIError
	var re *awshttp.ResponseError
	if !errors.As(err, &ae) || !errors.As(err, &re) {
		t.Fatalf("%s: got %v (%T), want an AWS API error", tc.name, err, err)
	}
	if ae.ErrorCode() != tc.code || re.HTTPStatusCode() != tc.status || ae.ErrorMessage() != tc.msg {
		t.Errorf("%s:\n got  %s (%d) %q\n want %s (%d) %q", tc.name, ae.ErrorCode(), re.HTTPStatusCode(),
			ae.ErrorMessage(), tc.code, tc.status, tc.msg)
	}
}

func TestIAMAWSRecordedErrors(t *testing.T) {
	inst := startServer(t, "", "--mode", "emulator", "--enforce", "off")
	ctx := ctxT(t)
	c, _ := emuClients(inst, "us-east-1")
	const acct = "123456789012"
	must(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("rec-user")}))(t)
	must(c.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("rec-group")}))(t)

	cases := []recordedCase{
		// test_iam_groups.py::test_remove_user_from_unknown_group: with neither entity
		// present IAM names the user, so it looks the user up first.
		{"RemoveUserFromGroup, unknown user and group", func(ctx context.Context, c *iam.Client) error {
			_, err := c.RemoveUserFromGroup(ctx, &iam.RemoveUserFromGroupInput{GroupName: aws.String("non-existent-group"), UserName: aws.String("any-user")})
			return err
		}, "NoSuchEntity", 404, "The user with name any-user cannot be found."},
		{"RemoveUserFromGroup, unknown group", func(ctx context.Context, c *iam.Client) error {
			_, err := c.RemoveUserFromGroup(ctx, &iam.RemoveUserFromGroupInput{GroupName: aws.String("nonexistent-group"), UserName: aws.String("rec-user")})
			return err
		}, "NoSuchEntity", 404, "The group with name nonexistent-group cannot be found."},
		// test_iam_users.py::test_access_key_errors: an unknown key is denied, not "not found".
		{"GetAccessKeyLastUsed, unknown key", func(ctx context.Context, c *iam.Client) error {
			_, err := c.GetAccessKeyLastUsed(ctx, &iam.GetAccessKeyLastUsedInput{AccessKeyId: aws.String("AKIAIOSFODNN7EXAMPLE")})
			return err
		}, "AccessDenied", 403, "User: arn:aws:iam::" + acct + ":root is not authorized to perform iam:GetAccessKeyLastUsed on resource: access key AKIAIOSFODNN7EXAMPLE"},
	}
	for _, tc := range cases {
		wantRecorded(t, tc.call(ctx, c), tc)
	}
}
