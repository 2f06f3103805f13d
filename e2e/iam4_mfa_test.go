package e2e

import (
	"bytes"
	"image/png"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/pquerna/otp"
	pqtotp "github.com/pquerna/otp/totp"
)

// totpAt computes the device's code at t as an authenticator app does (RFC 6238: SHA-1,
// six digits, 30-second steps).
func totpAt(t *testing.T, seed string, at time.Time) string {
	t.Helper()
	code, err := pqtotp.GenerateCodeCustom(seed, at, pqtotp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		t.Fatalf("TOTP code: %v", err)
	}
	return code
}

// A virtual MFA device end to end: the seed and QR code come back once, two consecutive real
// codes computed here from the seed enable it, and it must be deactivated before it or its
// user can be deleted (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_mfa_enable_virtual.html).
func TestIAM4VirtualMFA(t *testing.T) {
	_, root := newRootServer(t)
	ctx := ctxT(t)
	acct := accountID(t, root)
	must(root.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("alice")}))(t)
	dev := must(root.CreateVirtualMFADevice(ctx, &iam.CreateVirtualMFADeviceInput{VirtualMFADeviceName: aws.String("alice-phone"),
		Tags: []types.Tag{tag("team", "blue")}}))(t).VirtualMFADevice
	serial := aws.ToString(dev.SerialNumber)
	if serial != "arn:aws:iam::"+acct+":mfa/alice-phone" {
		t.Fatalf("serial: got %s", serial)
	}
	seed := string(dev.Base32StringSeed)
	if len(seed) != 64 {
		t.Fatalf("Base32StringSeed: got %d characters, want 64", len(seed))
	}
	img, err := png.Decode(bytes.NewReader(dev.QRCodePNG))
	if err != nil {
		t.Fatalf("QRCodePNG is not a PNG: %v", err)
	}
	if b := img.Bounds(); b.Dx() < 100 || b.Dx() != b.Dy() {
		t.Errorf("QR code image: got %v, want a square of at least 100 pixels", b)
	}

	_, err = root.EnableMFADevice(ctx, &iam.EnableMFADeviceInput{UserName: aws.String("alice"), SerialNumber: aws.String(serial),
		AuthenticationCode1: aws.String("123456"), AuthenticationCode2: aws.String("654321")})
	apiErr(t, err, "InvalidAuthenticationCode", 403)
	now := time.Now()
	must(root.EnableMFADevice(ctx, &iam.EnableMFADeviceInput{UserName: aws.String("alice"), SerialNumber: aws.String(serial),
		AuthenticationCode1: aws.String(totpAt(t, seed, now.Add(-30*time.Second))), AuthenticationCode2: aws.String(totpAt(t, seed, now))}))(t)

	ds := must(root.ListMFADevices(ctx, &iam.ListMFADevicesInput{UserName: aws.String("alice")}))(t).MFADevices
	if len(ds) != 1 || aws.ToString(ds[0].SerialNumber) != serial || ds[0].EnableDate == nil {
		t.Fatalf("ListMFADevices: got %+v", ds)
	}
	assigned := must(root.ListVirtualMFADevices(ctx, &iam.ListVirtualMFADevicesInput{AssignmentStatus: types.AssignmentStatusTypeAssigned}))(t).VirtualMFADevices
	if len(assigned) != 1 || assigned[0].User == nil || aws.ToString(assigned[0].User.UserName) != "alice" || len(assigned[0].Base32StringSeed) != 0 {
		t.Fatalf("ListVirtualMFADevices Assigned: got %+v", assigned)
	}
	if un := must(root.ListVirtualMFADevices(ctx, &iam.ListVirtualMFADevicesInput{AssignmentStatus: types.AssignmentStatusTypeUnassigned}))(t).VirtualMFADevices; len(un) != 0 {
		t.Fatalf("ListVirtualMFADevices Unassigned: got %d devices", len(un))
	}
	got := must(root.GetMFADevice(ctx, &iam.GetMFADeviceInput{SerialNumber: aws.String(serial), UserName: aws.String("alice")}))(t)
	if aws.ToString(got.UserName) != "alice" || got.EnableDate == nil {
		t.Fatalf("GetMFADevice: got %+v", got)
	}
	sum := must(root.GetAccountSummary(ctx, &iam.GetAccountSummaryInput{}))(t).SummaryMap
	if sum["MFADevices"] != 1 || sum["MFADevicesInUse"] != 1 {
		t.Errorf("GetAccountSummary: MFADevices %d, MFADevicesInUse %d, want 1 and 1", sum["MFADevices"], sum["MFADevicesInUse"])
	}

	// Resync with the device's next two codes.
	later := time.Now()
	must(root.ResyncMFADevice(ctx, &iam.ResyncMFADeviceInput{UserName: aws.String("alice"), SerialNumber: aws.String(serial),
		AuthenticationCode1: aws.String(totpAt(t, seed, later.Add(30*time.Second))), AuthenticationCode2: aws.String(totpAt(t, seed, later.Add(60*time.Second)))}))(t)

	must(root.TagMFADevice(ctx, &iam.TagMFADeviceInput{SerialNumber: aws.String(serial), Tags: []types.Tag{tag("owner", "alice")}}))(t)
	must(root.UntagMFADevice(ctx, &iam.UntagMFADeviceInput{SerialNumber: aws.String(serial), TagKeys: []string{"team"}}))(t)
	if tags := tagMap(must(root.ListMFADeviceTags(ctx, &iam.ListMFADeviceTagsInput{SerialNumber: aws.String(serial)}))(t).Tags); len(tags) != 1 || tags["owner"] != "alice" {
		t.Errorf("ListMFADeviceTags: got %v", tags)
	}

	_, err = root.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("alice")})
	apiErr(t, err, "DeleteConflict", 409, "MFA device")
	_, err = root.DeleteVirtualMFADevice(ctx, &iam.DeleteVirtualMFADeviceInput{SerialNumber: aws.String(serial)})
	apiErr(t, err, "DeleteConflict", 409)
	must(root.DeactivateMFADevice(ctx, &iam.DeactivateMFADeviceInput{UserName: aws.String("alice"), SerialNumber: aws.String(serial)}))(t)
	if ds := must(root.ListMFADevices(ctx, &iam.ListMFADevicesInput{UserName: aws.String("alice")}))(t).MFADevices; len(ds) != 0 {
		t.Fatalf("ListMFADevices after DeactivateMFADevice: got %d", len(ds))
	}
	must(root.DeleteVirtualMFADevice(ctx, &iam.DeleteVirtualMFADeviceInput{SerialNumber: aws.String(serial)}))(t)
	must(root.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("alice")}))(t)
	_, err = root.DeleteVirtualMFADevice(ctx, &iam.DeleteVirtualMFADeviceInput{SerialNumber: aws.String(serial)})
	apiErr(t, err, "NoSuchEntity", 404)
}

// The IAM User Guide's self-service MFA policy works as written: a user may create a device
// named after itself and enable it on its own user, and nothing else
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_examples_iam_mfa-selfmanage.html).
// MFA operations are authorized on the device's ARN (arn:aws:iam::ACCOUNT:mfa/NAME), and
// the simulator on the entity it simulates.
func TestIAM4SelfManagedMFA(t *testing.T) {
	inst, root := newRootServer(t)
	ctx := ctxT(t)
	acct := accountID(t, root)
	erin, _ := newUserClient(t, inst, root, "erin")
	must(root.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("frank")}))(t)
	self := `{"Version":"2012-10-17","Statement":[` +
		`{"Effect":"Allow","Action":["iam:CreateVirtualMFADevice","iam:DeleteVirtualMFADevice"],"Resource":"arn:aws:iam::*:mfa/${aws:username}"},` +
		`{"Effect":"Allow","Action":["iam:EnableMFADevice","iam:ListMFADevices","iam:ResyncMFADevice","iam:DeactivateMFADevice","iam:SimulatePrincipalPolicy"],"Resource":"arn:aws:iam::*:user/${aws:username}"}]}`
	must(root.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("erin"), PolicyName: aws.String("self-mfa"), PolicyDocument: aws.String(self)}))(t)

	_, err := erin.CreateVirtualMFADevice(ctx, &iam.CreateVirtualMFADeviceInput{VirtualMFADeviceName: aws.String("frank")})
	denied(t, err, "arn:aws:iam::"+acct+":user/erin", "iam:CreateVirtualMFADevice", "arn:aws:iam::"+acct+":mfa/frank",
		"because no identity-based policy allows the iam:CreateVirtualMFADevice action")
	dev := must(erin.CreateVirtualMFADevice(ctx, &iam.CreateVirtualMFADeviceInput{VirtualMFADeviceName: aws.String("erin")}))(t).VirtualMFADevice
	seed := string(dev.Base32StringSeed)
	now := time.Now()
	codes := func(at time.Time) (*string, *string) {
		return aws.String(totpAt(t, seed, at.Add(-30*time.Second))), aws.String(totpAt(t, seed, at))
	}
	c1, c2 := codes(now)
	_, err = erin.EnableMFADevice(ctx, &iam.EnableMFADeviceInput{UserName: aws.String("frank"), SerialNumber: dev.SerialNumber, AuthenticationCode1: c1, AuthenticationCode2: c2})
	apiErr(t, err, "AccessDenied", 403, "iam:EnableMFADevice")
	must(erin.EnableMFADevice(ctx, &iam.EnableMFADeviceInput{UserName: aws.String("erin"), SerialNumber: dev.SerialNumber, AuthenticationCode1: c1, AuthenticationCode2: c2}))(t)
	if ds := must(erin.ListMFADevices(ctx, &iam.ListMFADevicesInput{}))(t).MFADevices; len(ds) != 1 {
		t.Fatalf("ListMFADevices as erin: got %d devices", len(ds))
	}

	// The simulator: on erin's own ARN only.
	must(erin.SimulatePrincipalPolicy(ctx, &iam.SimulatePrincipalPolicyInput{PolicySourceArn: aws.String("arn:aws:iam::" + acct + ":user/erin"),
		ActionNames: []string{"iam:CreateVirtualMFADevice"}}))(t)
	_, err = erin.SimulatePrincipalPolicy(ctx, &iam.SimulatePrincipalPolicyInput{PolicySourceArn: aws.String("arn:aws:iam::" + acct + ":user/frank"),
		ActionNames: []string{"iam:CreateVirtualMFADevice"}})
	denied(t, err, "arn:aws:iam::"+acct+":user/erin", "iam:SimulatePrincipalPolicy", "arn:aws:iam::"+acct+":user/frank",
		"because no identity-based policy allows the iam:SimulatePrincipalPolicy action")
}
