package e2e

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
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
		// test_iam_roles.py::test_role_managed_policy_errors: a PolicyArn that is no ARN.
		{"AttachRolePolicy, a policy name for an ARN", func(ctx context.Context, c *iam.Client) error {
			_, err := c.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String("rec-role"), PolicyArn: aws.String("longpolicynamebutnoarn")})
			return err
		}, "ValidationError", 400, "ARN longpolicynamebutnoarn is not valid."},
		// test_iam_roles.py::test_update_assume_role_policy_errors.
		{"UpdateAssumeRolePolicy, not JSON", func(ctx context.Context, c *iam.Client) error {
			_, err := c.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String("rec-role"), PolicyDocument: aws.String("not valid json")})
			return err
		}, "MalformedPolicyDocument", 400, "This policy contains invalid Json"},
		{"UpdateAssumeRolePolicy, an STS action that assumes nothing", func(ctx context.Context, c *iam.Client) error {
			_, err := c.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String("rec-role"),
				PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:InvalidAction"}]}`)})
			return err
		}, "MalformedPolicyDocument", 400, "AssumeRole policy may only specify STS AssumeRole actions."},
		{"UpdateAssumeRolePolicy, a Resource", func(ctx context.Context, c *iam.Client) error {
			_, err := c.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String("rec-role"),
				PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole","Resource":"arn:aws:s3:::example_bucket"}]}`)})
			return err
		}, "MalformedPolicyDocument", 400, "Has prohibited field Resource"},
		// test_iam_policies.py::test_policy_version_errors and test_list_entities_for_policy_errors.
		{"SetDefaultPolicyVersion, unknown policy", func(ctx context.Context, c *iam.Client) error {
			_, err := c.SetDefaultPolicyVersion(ctx, &iam.SetDefaultPolicyVersionInput{PolicyArn: aws.String("arn:aws:iam::" + acct + ":policy/TestNonExistingPolicy"), VersionId: aws.String("v1")})
			return err
		}, "NoSuchEntity", 404, "Policy arn:aws:iam::" + acct + ":policy/TestNonExistingPolicy version v1 does not exist or is not attachable."},
		{"ListEntitiesForPolicy, unknown policy", func(ctx context.Context, c *iam.Client) error {
			_, err := c.ListEntitiesForPolicy(ctx, &iam.ListEntitiesForPolicyInput{PolicyArn: aws.String("arn:aws:iam::" + acct + ":policy/NonExistentPolicy")})
			return err
		}, "NoSuchEntity", 404, "Policy arn:aws:iam::" + acct + ":policy/NonExistentPolicy does not exist or is not attachable."},
		// test_iam_policies.py::test_policy_tag_create_errors: a policy's duplicate-key message
		// is shorter than a role's (test_iam_roles.py::test_role_tag_errors).
		{"CreatePolicy, a repeated tag key", func(ctx context.Context, c *iam.Client) error {
			_, err := c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("dup-tags"), PolicyDocument: aws.String(allowDoc(`"iam:ListUsers"`, `"*"`)),
				Tags: []types.Tag{tag("0", ""), tag("0", "")}})
			return err
		}, "InvalidInput", 400, "Duplicate tag keys found."},
		{"CreateRole, tag keys that differ in case", func(ctx context.Context, c *iam.Client) error {
			_, err := c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("dup-tags"), AssumeRolePolicyDocument: aws.String(recordedTrust),
				Tags: []types.Tag{tag("mykey", "val1"), tag("MyKey", "val2")}})
			return err
		}, "InvalidInput", 400, "Duplicate tag keys found. Please note that Tag keys are case insensitive."},
		// test_iam_roles.py::test_role_tag_errors, test_iam_policies.py::test_policy_version_errors:
		// IAM's validation errors quote no value, and a bad element of a list of strings is
		// a violation of the whole list.
		{"TagRole, a tag key with a character outside the pattern", func(ctx context.Context, c *iam.Client) error {
			_, err := c.TagRole(ctx, &iam.TagRoleInput{RoleName: aws.String("rec-role"), Tags: []types.Tag{tag("invalid!key", "value")}})
			return err
		}, "ValidationError", 400, "1 validation error detected: Value at 'tags.1.member.key' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+"},
		{"UntagRole, a tag key of 129 characters", func(ctx context.Context, c *iam.Client) error {
			_, err := c.UntagRole(ctx, &iam.UntagRoleInput{RoleName: aws.String("rec-role"), TagKeys: []string{strings.Repeat("k", 129)}})
			return err
		}, "ValidationError", 400, "1 validation error detected: Value at 'tagKeys' failed to satisfy constraint: Member must satisfy constraint: [Member must have length less than or equal to 128, " +
			"Member must have length greater than or equal to 1, Member must satisfy regular expression pattern: [\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+, Member must not be null]"},
		{"SetDefaultPolicyVersion, a version ID of the wrong form", func(ctx context.Context, c *iam.Client) error {
			_, err := c.SetDefaultPolicyVersion(ctx, &iam.SetDefaultPolicyVersionInput{PolicyArn: aws.String("arn:aws:iam::" + acct + ":policy/p"), VersionId: aws.String("wrong_version_id")})
			return err
		}, "ValidationError", 400, "1 validation error detected: Value at 'versionId' failed to satisfy constraint: Member must satisfy regular expression pattern: v[1-9][0-9]*(\\.[A-Za-z0-9-]*)?"},
		// test_iam_mfa.py::test_virtual_mfa_device_errors and test_list_virtual_mfa_devices.
		{"CreateVirtualMFADevice, a name in use", func(ctx context.Context, c *iam.Client) error {
			_, err := c.CreateVirtualMFADevice(ctx, &iam.CreateVirtualMFADeviceInput{VirtualMFADeviceName: aws.String("rec-mfa")})
			return err
		}, "EntityAlreadyExists", 409, "MFA device already exists."},
		{"DeleteVirtualMFADevice, unknown serial number", func(ctx context.Context, c *iam.Client) error {
			_, err := c.DeleteVirtualMFADevice(ctx, &iam.DeleteVirtualMFADeviceInput{SerialNumber: aws.String("arn:aws:iam::" + acct + ":mfa/nonexistent-device")})
			return err
		}, "NoSuchEntity", 404, "MFA Device with serial number arn:aws:iam::" + acct + ":mfa/nonexistent-device does not exist."},
		{"ListVirtualMFADevices, a made-up marker", func(ctx context.Context, c *iam.Client) error {
			_, err := c.ListVirtualMFADevices(ctx, &iam.ListVirtualMFADevicesInput{Marker: aws.String("invalid-marker-value")})
			return err
		}, "ValidationError", 400, "Invalid Marker."},
		// test_iam_oidc.py.
		{"CreateOpenIDConnectProvider, six thumbprints", func(ctx context.Context, c *iam.Client) error {
			_, err := c.CreateOpenIDConnectProvider(ctx, &iam.CreateOpenIDConnectProviderInput{Url: aws.String("https://oidc-thumbs.example.com"),
				ThumbprintList: []string{strings.Repeat("a", 40), strings.Repeat("b", 40), strings.Repeat("c", 40), strings.Repeat("d", 40), strings.Repeat("e", 40), strings.Repeat("f", 40)}})
			return err
		}, "InvalidInput", 400, "Thumbprint list must contain fewer than 5 entries."},
		{"CreateOpenIDConnectProvider, a client ID and a thumbprint too long", func(ctx context.Context, c *iam.Client) error {
			_, err := c.CreateOpenIDConnectProvider(ctx, &iam.CreateOpenIDConnectProviderInput{Url: aws.String("https://oidc-long.example.com"),
				ThumbprintList: []string{strings.Repeat("b", 41)}, ClientIDList: []string{strings.Repeat("b", 256)}})
			return err
		}, "ValidationError", 400, "2 validation errors detected: Value at 'clientIDList' failed to satisfy constraint: Member must satisfy constraint: [Member must have length less than or equal to 255, Member must have length greater than or equal to 1]; " +
			"Value at 'thumbprintList' failed to satisfy constraint: Member must satisfy constraint: [Member must have length less than or equal to 40, Member must have length greater than or equal to 40]"},
		{"CreateOpenIDConnectProvider, a URL, a client ID and a thumbprint too long: IAM's order", func(ctx context.Context, c *iam.Client) error {
			_, err := c.CreateOpenIDConnectProvider(ctx, &iam.CreateOpenIDConnectProviderInput{Url: aws.String(strings.Repeat("b", 256)),
				ThumbprintList: []string{strings.Repeat("b", 41)}, ClientIDList: []string{strings.Repeat("b", 256)}})
			return err
		}, "ValidationError", 400, "3 validation errors detected: Value at 'clientIDList' failed to satisfy constraint: Member must satisfy constraint: [Member must have length less than or equal to 255, Member must have length greater than or equal to 1]; " +
			"Value at 'thumbprintList' failed to satisfy constraint: Member must satisfy constraint: [Member must have length less than or equal to 40, Member must have length greater than or equal to 40]; " +
			"Value at 'url' failed to satisfy constraint: Member must have length less than or equal to 255"},
		// test_iam_account_password_policy.py::test_update_account_password_policy_validation_errors.
		{"UpdateAccountPasswordPolicy, three numbers out of range: IAM's order", func(ctx context.Context, c *iam.Client) error {
			_, err := c.UpdateAccountPasswordPolicy(ctx, &iam.UpdateAccountPasswordPolicyInput{MaxPasswordAge: aws.Int32(1096), MinimumPasswordLength: aws.Int32(129), PasswordReusePrevention: aws.Int32(25)})
			return err
		}, "ValidationError", 400, "3 validation errors detected: Value at 'minimumPasswordLength' failed to satisfy constraint: Member must have value less than or equal to 128; " +
			"Value at 'passwordReusePrevention' failed to satisfy constraint: Member must have value less than or equal to 24; " +
			"Value at 'maxPasswordAge' failed to satisfy constraint: Member must have value less than or equal to 1095"},
		{"DeleteOpenIDConnectProvider, a provider that does not exist", func(ctx context.Context, c *iam.Client) error {
			_, err := c.DeleteOpenIDConnectProvider(ctx, &iam.DeleteOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String("arn:aws:iam::" + acct + ":oidc-provider/gone.example.com")})
			return err
		}, "NoSuchEntity", 404, "OpenId connect Provider arn:aws:iam::" + acct + ":oidc-provider/gone.example.com cannot be found."},
		// test_iam_credential_report.py::test_get_credential_report_before_generated: no message.
		{"GetCredentialReport before any was generated", func(ctx context.Context, c *iam.Client) error {
			_, err := c.GetCredentialReport(ctx, &iam.GetCredentialReportInput{})
			return err
		}, "ReportNotPresent", 410, ""},
		// test_iam_instance_profiles.py::test_role_instance_profile_operations_errors.
		{"RemoveRoleFromInstanceProfile, a role the profile does not hold", func(ctx context.Context, c *iam.Client) error {
			_, err := c.RemoveRoleFromInstanceProfile(ctx, &iam.RemoveRoleFromInstanceProfileInput{InstanceProfileName: aws.String("rec-profile"), RoleName: aws.String("rec-role")})
			return err
		}, "NoSuchEntity", 404, "Role rec-role in Instance Profile rec-profile cannot be found."},
	}
	must(c.CreateInstanceProfile(ctx, &iam.CreateInstanceProfileInput{InstanceProfileName: aws.String("rec-profile")}))(t)
	must(c.CreateVirtualMFADevice(ctx, &iam.CreateVirtualMFADeviceInput{VirtualMFADeviceName: aws.String("rec-mfa")}))(t)
	must(c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("rec-role"), AssumeRolePolicyDocument: aws.String(recordedTrust)}))(t)
	for _, tc := range cases {
		wantRecorded(t, tc.call(ctx, c), tc)
	}
	// Trust policies that grant session tags, source identity or any STS action by wildcard
	// are still accepted.
	for _, action := range []string{`"sts:AssumeRole"`, `["sts:AssumeRole","sts:TagSession","sts:SetSourceIdentity"]`, `"sts:*"`, `"*"`, `"sts:AssumeRoleWith*"`} {
		doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":` + action + `}]}`
		must(c.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String("rec-role"), PolicyDocument: aws.String(doc)}))(t)
	}
}

const recordedTrust = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`

// Response shapes recorded against AWS in test_iam_roles.py: CreateRole's role has neither
// Description nor MaxSessionDuration (GetRole has both), UpdateRoleDescription's has no
// MaxSessionDuration or RoleLastUsed, and a permissions boundary's type is "Policy".
func TestIAMAWSRecordedRoleShapes(t *testing.T) {
	inst := startServer(t, "", "--mode", "emulator", "--enforce", "off")
	ctx := ctxT(t)
	c, _ := emuClients(inst, "us-east-1")
	pol := must(c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("boundary"),
		PolicyDocument: aws.String(allowDoc(`"s3:ListBucket"`, `"*"`))}))(t).Policy
	created := must(c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("r"), AssumeRolePolicyDocument: aws.String(recordedTrust),
		Description: aws.String("Role with permissions boundary"), PermissionsBoundary: pol.Arn}))(t).Role
	if created.Description != nil || created.MaxSessionDuration != nil || created.RoleLastUsed != nil {
		t.Errorf("CreateRole: got Description %v MaxSessionDuration %v RoleLastUsed %v, want none", created.Description, created.MaxSessionDuration, created.RoleLastUsed)
	}
	if created.PermissionsBoundary == nil || string(created.PermissionsBoundary.PermissionsBoundaryType) != "Policy" {
		t.Errorf("CreateRole: PermissionsBoundary %+v, want type Policy", created.PermissionsBoundary)
	}
	got := must(c.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("r")}))(t).Role
	if aws.ToString(got.Description) != "Role with permissions boundary" || aws.ToInt32(got.MaxSessionDuration) != 3600 || got.RoleLastUsed == nil {
		t.Errorf("GetRole: Description %q MaxSessionDuration %v RoleLastUsed %v", aws.ToString(got.Description), got.MaxSessionDuration, got.RoleLastUsed)
	}
	if got.PermissionsBoundary == nil || string(got.PermissionsBoundary.PermissionsBoundaryType) != "Policy" {
		t.Errorf("GetRole: PermissionsBoundary %+v, want type Policy", got.PermissionsBoundary)
	}
	// An instance profile's role has no MaxSessionDuration, in GetInstanceProfile as in
	// ListInstanceProfiles (test_iam_instance_profiles.py).
	must(c.CreateInstanceProfile(ctx, &iam.CreateInstanceProfileInput{InstanceProfileName: aws.String("p")}))(t)
	must(c.AddRoleToInstanceProfile(ctx, &iam.AddRoleToInstanceProfileInput{InstanceProfileName: aws.String("p"), RoleName: aws.String("r")}))(t)
	ip := must(c.GetInstanceProfile(ctx, &iam.GetInstanceProfileInput{InstanceProfileName: aws.String("p")}))(t).InstanceProfile
	if len(ip.Roles) != 1 || ip.Roles[0].MaxSessionDuration != nil || aws.ToString(ip.Roles[0].RoleName) != "r" {
		t.Errorf("GetInstanceProfile: roles %+v, want r without MaxSessionDuration", ip.Roles)
	}
	listed := must(c.ListInstanceProfiles(ctx, &iam.ListInstanceProfilesInput{}))(t).InstanceProfiles
	if len(listed) != 1 || len(listed[0].Roles) != 1 || listed[0].Roles[0].MaxSessionDuration != nil {
		t.Errorf("ListInstanceProfiles: got %+v, want p holding r without MaxSessionDuration", listed)
	}
	// ListVirtualMFADevices shows no seed and no QR code, not even empty ones (test_iam_mfa.py).
	must(c.CreateVirtualMFADevice(ctx, &iam.CreateVirtualMFADeviceInput{VirtualMFADeviceName: aws.String("phone")}))(t)
	for _, d := range must(c.ListVirtualMFADevices(ctx, &iam.ListVirtualMFADevicesInput{}))(t).VirtualMFADevices {
		if d.Base32StringSeed != nil || d.QRCodePNG != nil {
			t.Errorf("ListVirtualMFADevices %s: seed %q, QR code of %d bytes; want neither", aws.ToString(d.SerialNumber), d.Base32StringSeed, len(d.QRCodePNG))
		}
	}
	// A password policy set without HardExpiry shows none (test_iam_account_password_policy.py).
	must(c.UpdateAccountPasswordPolicy(ctx, &iam.UpdateAccountPasswordPolicyInput{}))(t)
	if pp := must(c.GetAccountPasswordPolicy(ctx, &iam.GetAccountPasswordPolicyInput{}))(t).PasswordPolicy; pp.HardExpiry != nil || aws.ToInt32(pp.MinimumPasswordLength) != 6 {
		t.Errorf("GetAccountPasswordPolicy after an empty update: HardExpiry %v MinimumPasswordLength %v, want no HardExpiry and 6", pp.HardExpiry, pp.MinimumPasswordLength)
	}
	upd := must(c.UpdateRoleDescription(ctx, &iam.UpdateRoleDescriptionInput{RoleName: aws.String("r"), Description: aws.String("d2")}))(t).Role
	if aws.ToString(upd.Description) != "d2" || upd.MaxSessionDuration != nil || upd.RoleLastUsed != nil {
		t.Errorf("UpdateRoleDescription: Description %q MaxSessionDuration %v RoleLastUsed %v, want d2 and neither", aws.ToString(upd.Description), upd.MaxSessionDuration, upd.RoleLastUsed)
	}
}

// Managed policies as recorded against AWS in test_iam_policies.py: a new customer managed
// policy is on the first page of an unfiltered ListPolicies; its tag keys are case-sensitive
// ("a" and "A" are two tags, untagging "a" leaves "A"); ListPolicyTags lists shorter keys
// first.
func TestIAMAWSRecordedPolicies(t *testing.T) {
	inst := startServer(t, "", "--mode", "emulator", "--enforce", "off")
	ctx := ctxT(t)
	c, _ := emuClients(inst, "us-east-1")
	doc := aws.String(allowDoc(`"iam:ListUsers"`, `"*"`))
	p := must(c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("test-policy"), PolicyDocument: doc,
		Tags: []types.Tag{tag("abc", "first"), tag("b", "second"), tag("z", "third"), tag("a", "fourth"), tag("A", "upper")}}))(t).Policy
	page := must(c.ListPolicies(ctx, &iam.ListPoliciesInput{}))(t).Policies
	if len(page) == 0 || aws.ToString(page[0].Arn) != aws.ToString(p.Arn) {
		t.Errorf("ListPolicies: the first page does not start with the account's policy %s", aws.ToString(p.Arn))
	}
	keys := func() []string {
		var ks []string
		for _, tg := range must(c.ListPolicyTags(ctx, &iam.ListPolicyTagsInput{PolicyArn: p.Arn}))(t).Tags {
			ks = append(ks, aws.ToString(tg.Key))
		}
		return ks
	}
	if got, want := strings.Join(keys(), ","), "A,a,b,z,abc"; got != want {
		t.Errorf("ListPolicyTags: got keys %s, want %s", got, want)
	}
	must(c.UntagPolicy(ctx, &iam.UntagPolicyInput{PolicyArn: p.Arn, TagKeys: []string{"a"}}))(t)
	if got, want := strings.Join(keys(), ","), "A,b,z,abc"; got != want {
		t.Errorf("ListPolicyTags after untagging a: got keys %s, want %s", got, want)
	}
}
