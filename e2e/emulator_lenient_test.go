package e2e

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// moto's own IAM tests create roles whose trust policy is not a policy at all
// (tests/test_iam/test_iam.py, test_create_role_and_instance_profile:
// AssumeRolePolicyDocument="some policy"); moto server's create_role stores it without
// looking. `--enforce off` does the same, only for CreateRole, and whatever later reads the
// document copes: it is returned URL-encoded, lists and the authorization details show it,
// the simulator and STS treat it as granting nothing.
const notAPolicy = "some policy"

// A trust policy naming a user that does not exist: AWS refuses it ("Invalid principal in
// policy"), moto never looks principals up.
const ghostTrust = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:user/ghost"},"Action":"sts:AssumeRole"}]}`

func TestEmulatorLenientTrustOff(t *testing.T) {
	inst := startServer(t, "", "--mode", "emulator", "--enforce", "off")
	ctx := ctxT(t)
	c := iamClient(t, inst, "testing", "testing")

	created := must(c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("my-role"),
		AssumeRolePolicyDocument: aws.String(notAPolicy), Path: aws.String("/my-path/")}))(t)
	// Stored verbatim, returned URL-encoded (RFC 3986) as IAM returns every document.
	if got := aws.ToString(created.Role.AssumeRolePolicyDocument); got != "some%20policy" {
		t.Errorf("CreateRole document: got %q, want %q", got, "some%20policy")
	}
	roleARN := aws.ToString(created.Role.Arn)
	got := must(c.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("my-role")}))(t)
	if d := decodeDoc(t, got.Role.AssumeRolePolicyDocument); d != notAPolicy {
		t.Errorf("GetRole document: got %q, want %q", d, notAPolicy)
	}
	roles := must(c.ListRoles(ctx, &iam.ListRolesInput{}))(t)
	if len(roles.Roles) != 1 || decodeDoc(t, roles.Roles[0].AssumeRolePolicyDocument) != notAPolicy {
		t.Errorf("ListRoles: got %+v", roles.Roles)
	}
	details := must(c.GetAccountAuthorizationDetails(ctx, &iam.GetAccountAuthorizationDetailsInput{}))(t)
	if len(details.RoleDetailList) != 1 || decodeDoc(t, details.RoleDetailList[0].AssumeRolePolicyDocument) != notAPolicy {
		t.Errorf("GetAccountAuthorizationDetails roles: got %+v", details.RoleDetailList)
	}
	// The role is usable as moto's test uses it.
	must(c.CreateInstanceProfile(ctx, &iam.CreateInstanceProfileInput{InstanceProfileName: aws.String("my-profile")}))(t)
	must(c.AddRoleToInstanceProfile(ctx, &iam.AddRoleToInstanceProfileInput{InstanceProfileName: aws.String("my-profile"), RoleName: aws.String("my-role")}))(t)
	prof := must(c.GetInstanceProfile(ctx, &iam.GetInstanceProfileInput{InstanceProfileName: aws.String("my-profile")}))(t)
	if len(prof.InstanceProfile.Roles) != 1 || decodeDoc(t, prof.InstanceProfile.Roles[0].AssumeRolePolicyDocument) != notAPolicy {
		t.Errorf("GetInstanceProfile roles: got %+v", prof.InstanceProfile.Roles)
	}

	// A principal that does not exist: CreateRole and UpdateAssumeRolePolicy take it, as moto.
	must(c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("ghost-role"), AssumeRolePolicyDocument: aws.String(ghostTrust)}))(t)
	must(c.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String("my-role"), PolicyDocument: aws.String(ghostTrust)}))(t)
	// moto's update_assume_role_policy validates the document (IAMTrustPolicyDocumentValidator):
	// something that is not JSON stays refused.
	_, err := c.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String("ghost-role"), PolicyDocument: aws.String(notAPolicy)})
	apiErr(t, err, "MalformedPolicyDocument", 400)
	// ... and so are identity policies (moto's IAMPolicyDocumentValidator).
	_, err = c.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("my-role"), PolicyName: aws.String("p"), PolicyDocument: aws.String(notAPolicy)})
	apiErr(t, err, "MalformedPolicyDocument", 400)
	// A role whose trust policy is "some policy", for STS and the simulator.
	must(c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("opaque"), AssumeRolePolicyDocument: aws.String(notAPolicy)}))(t)
	opaqueARN := strings.Replace(roleARN, "/my-path/my-role", "/opaque", 1)

	// A user allowed sts:AssumeRole everywhere: the opaque trust policy still grants nothing.
	must(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("app")}))(t)
	must(c.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("app"), PolicyName: aws.String("assume"),
		PolicyDocument: aws.String(allowDoc(`"sts:AssumeRole"`, `"*"`))}))(t)
	key := must(c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("app")}))(t).AccessKey
	sim := must(c.SimulatePrincipalPolicy(ctx, &iam.SimulatePrincipalPolicyInput{
		PolicySourceArn: aws.String("arn:aws:iam::123456789012:user/app"),
		ActionNames:     []string{"sts:AssumeRole"}, ResourceArns: []string{opaqueARN}}))(t)
	if len(sim.EvaluationResults) != 1 || sim.EvaluationResults[0].EvalDecision != "implicitDeny" {
		t.Errorf("SimulatePrincipalPolicy: got %+v, want one implicitDeny", sim.EvaluationResults)
	}
	app := stsClient(inst, aws.ToString(key.AccessKeyId), aws.ToString(key.SecretAccessKey), "")
	// Off evaluates and records, never enforces: the would-be denial is let through.
	must(app.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(opaqueARN), RoleSessionName: aws.String("sess")}))(t)

	// After a reset-auth window of 0 requests everything is enforced: AccessDenied, not a 500.
	resp, err := http.Post(inst.Endpoint+"/moto-api/reset-auth", "", strings.NewReader("0"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	_, err = app.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(opaqueARN), RoleSessionName: aws.String("sess")})
	apiErr(t, err, "AccessDenied", 403, "is not authorized to perform: sts:AssumeRole on resource: "+opaqueARN)

	// The same data reopened under strict: reads work, the role still grants nothing.
	stopInstance(t, inst)
	strict := startServer(t, inst.DataDir, "--mode", "emulator")
	app = stsClient(strict, aws.ToString(key.AccessKeyId), aws.ToString(key.SecretAccessKey), "")
	_, err = app.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(opaqueARN), RoleSessionName: aws.String("sess")})
	apiErr(t, err, "AccessDenied", 403)
	sc := iamClient(t, strict, "testing", "testing")
	got = must(sc.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("opaque")}))(t)
	if d := decodeDoc(t, got.Role.AssumeRolePolicyDocument); d != notAPolicy {
		t.Errorf("strict GetRole document: got %q", d)
	}
	must(sc.GetAccountAuthorizationDetails(ctx, &iam.GetAccountAuthorizationDetailsInput{}))(t)
	// Strict itself refuses it, as AWS does.
	_, err = sc.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("again"), AssumeRolePolicyDocument: aws.String(notAPolicy)})
	apiErr(t, err, "MalformedPolicyDocument", 400)
}

// soft, strict and production keep AWS's validation.
func TestEmulatorLenientTrustOtherLevels(t *testing.T) {
	for _, mode := range [][]string{
		{"--mode", "emulator", "--enforce", "soft"},
		{"--mode", "emulator", "--enforce", "strict"},
		{"--mode", "production"},
	} {
		t.Run(strings.Join(mode, " "), func(t *testing.T) {
			inst := startServer(t, "", mode...)
			ctx := ctxT(t)
			c := rootClient(t, inst)
			_, err := c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("r"), AssumeRolePolicyDocument: aws.String(notAPolicy)})
			apiErr(t, err, "MalformedPolicyDocument", 400, "This policy contains invalid Json")
			acct := accountID(t, c)
			ghost := strings.ReplaceAll(ghostTrust, "123456789012", acct)
			_, err = c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("r"), AssumeRolePolicyDocument: aws.String(ghost)})
			apiErr(t, err, "MalformedPolicyDocument", 400, "Invalid principal in policy")
		})
	}
}

// The rest of what `--enforce off` accepts as moto server does and AWS refuses
// (docs/emulator.md, "What --enforce off accepts that AWS refuses"), each as moto's own
// tests (tests/test_iam/) send it: accepted under off, AWS's error under strict.
func TestEmulatorLenientMoto(t *testing.T) {
	const mfaSerial = "arn:aws:iam::123456789012:mfa/d"
	cert := "-----BEGIN CERTIFICATE-----\nMIIBpzCCARACCQCY5yOdxCTrGjANBgkqhkiG9w0BAQsFADAXMRUwEwYDVQQKDAxt\n-----END CERTIFICATE-----\n"
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListBucket","Resource":"*"}]}`
	type env struct {
		c   *iam.Client
		key string // an access key of my-user
	}
	cases := []struct {
		name      string
		call      func(ctx context.Context, e env) error
		strictErr string
	}{
		{"CreateRole Path=my-path", func(ctx context.Context, e env) error {
			out, err := e.c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("r"), Path: aws.String("my-path"), AssumeRolePolicyDocument: aws.String(trust)})
			if err == nil && (aws.ToString(out.Role.Path) != "my-path" || aws.ToString(out.Role.Arn) != "arn:aws:iam::123456789012:role/my-path/r") {
				t.Errorf("CreateRole: path %q, ARN %q", aws.ToString(out.Role.Path), aws.ToString(out.Role.Arn))
			}
			return err
		}, "ValidationError"},
		{"CreateUser Path=myUser", func(ctx context.Context, e env) error {
			_, err := e.c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("my-user-1"), Path: aws.String("myUser")})
			return err
		}, "ValidationError"},
		{"ListUsers PathPrefix=my", func(ctx context.Context, e env) error {
			out, err := e.c.ListUsers(ctx, &iam.ListUsersInput{PathPrefix: aws.String("my")})
			if err == nil && (len(out.Users) != 1 || aws.ToString(out.Users[0].Path) != "myUser") {
				t.Errorf("ListUsers my: %+v", out.Users)
			}
			return err
		}, "ValidationError"},
		{"CreateGroup Path=some/location", func(ctx context.Context, e env) error {
			out, err := e.c.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("my-other-group"), Path: aws.String("some/location")})
			if err == nil && aws.ToString(out.Group.Arn) != "arn:aws:iam::123456789012:group/some/location/my-other-group" {
				t.Errorf("CreateGroup: ARN %q", aws.ToString(out.Group.Arn))
			}
			return err
		}, "ValidationError"},
		{"CreateInstanceProfile Path=my-path", func(ctx context.Context, e env) error {
			_, err := e.c.CreateInstanceProfile(ctx, &iam.CreateInstanceProfileInput{InstanceProfileName: aws.String("my-profile"), Path: aws.String("my-path")})
			return err
		}, "ValidationError"},
		{"CreatePolicy Path=my-path, GetPolicy by its ARN", func(ctx context.Context, e env) error {
			out, err := e.c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("p"), Path: aws.String("my-path"), PolicyDocument: aws.String(doc)})
			if err != nil {
				return err
			}
			_, err = e.c.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: out.Policy.Arn})
			return err
		}, "ValidationError"},
		{"PutRolePolicy PolicyName=test policy", func(ctx context.Context, e env) error {
			_, err := e.c.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("base"), PolicyName: aws.String("test policy"), PolicyDocument: aws.String(doc)})
			return err
		}, "ValidationError"},
		{"CreateLoginProfile Password=my-pass", func(ctx context.Context, e env) error {
			_, err := e.c.CreateLoginProfile(ctx, &iam.CreateLoginProfileInput{UserName: aws.String("my-user"), Password: aws.String("my-pass")})
			return err
		}, "PasswordPolicyViolation"},
		{"UploadSSHPublicKey of a certificate", func(ctx context.Context, e env) error {
			out, err := e.c.UploadSSHPublicKey(ctx, &iam.UploadSSHPublicKeyInput{UserName: aws.String("my-user"), SSHPublicKeyBody: aws.String(cert)})
			if err == nil && aws.ToString(out.SSHPublicKey.SSHPublicKeyBody) != cert {
				t.Errorf("UploadSSHPublicKey body: %q", aws.ToString(out.SSHPublicKey.SSHPublicKeyBody))
			}
			return err
		}, "UnrecognizedPublicKeyEncoding"},
		{"CreateSAMLProvider metadata a*1024", func(ctx context.Context, e env) error {
			_, err := e.c.CreateSAMLProvider(ctx, &iam.CreateSAMLProviderInput{Name: aws.String("TestSAMLProvider"), SAMLMetadataDocument: aws.String(strings.Repeat("a", 1024))})
			return err
		}, "InvalidInput"},
		{"DeleteAccessKey of my-user's key without UserName", func(ctx context.Context, e env) error {
			_, err := e.c.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{AccessKeyId: aws.String(e.key)})
			return err
		}, "NoSuchEntity"},
		{"EnableMFADevice with made-up codes", func(ctx context.Context, e env) error {
			_, err := e.c.EnableMFADevice(ctx, &iam.EnableMFADeviceInput{UserName: aws.String("my-user"), SerialNumber: aws.String(mfaSerial),
				AuthenticationCode1: aws.String("234567"), AuthenticationCode2: aws.String("987654")})
			return err
		}, "InvalidAuthenticationCode"},
	}
	for _, enforce := range []string{"off", "strict"} {
		t.Run(enforce, func(t *testing.T) {
			inst := startServer(t, "", "--mode", "emulator", "--enforce", enforce)
			ctx := ctxT(t)
			c := iamClient(t, inst, "testing", "testing")
			must(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("my-user")}))(t)
			must(c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("base"), AssumeRolePolicyDocument: aws.String(trust)}))(t)
			must(c.CreateVirtualMFADevice(ctx, &iam.CreateVirtualMFADeviceInput{VirtualMFADeviceName: aws.String("d")}))(t)
			key := must(c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("my-user")}))(t).AccessKey
			e := env{c: c, key: aws.ToString(key.AccessKeyId)}
			for _, tc := range cases {
				err := tc.call(ctx, e)
				if enforce == "off" {
					if err != nil {
						t.Errorf("%s: %v", tc.name, err)
					}
					continue
				}
				if err == nil {
					t.Errorf("%s: accepted under strict, want %s", tc.name, tc.strictErr)
					continue
				}
				status := map[string]int{"NoSuchEntity": 404, "InvalidAuthenticationCode": 403}[tc.strictErr]
				if status == 0 {
					status = 400
				}
				t.Run(tc.name, func(t *testing.T) { apiErr(t, err, tc.strictErr, status) })
			}
			if enforce != "off" {
				return
			}
			// What off accepted reads back under strict: listings, the whole account, the
			// entities by name and by ARN.
			stopInstance(t, inst)
			strict := startServer(t, inst.DataDir, "--mode", "emulator")
			sc := iamClient(t, strict, "testing", "testing")
			if l := must(sc.ListUsers(ctx, &iam.ListUsersInput{}))(t); len(l.Users) != 2 {
				t.Errorf("strict ListUsers: %+v", l.Users)
			}
			if r := must(sc.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("r")}))(t); aws.ToString(r.Role.Path) != "my-path" {
				t.Errorf("strict GetRole: path %q", aws.ToString(r.Role.Path))
			}
			must(sc.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String("arn:aws:iam::123456789012:policy/my-path/p")}))(t)
			must(sc.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: aws.String("base"), PolicyName: aws.String("test policy")}))(t)
			must(sc.DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{RoleName: aws.String("base"), PolicyName: aws.String("test policy")}))(t)
			must(sc.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String("base")}))(t)
			keys := must(sc.ListSSHPublicKeys(ctx, &iam.ListSSHPublicKeysInput{UserName: aws.String("my-user")}))(t).SSHPublicKeys
			if len(keys) != 1 {
				t.Fatalf("strict ListSSHPublicKeys: %+v", keys)
			}
			got := must(sc.GetSSHPublicKey(ctx, &iam.GetSSHPublicKeyInput{UserName: aws.String("my-user"), SSHPublicKeyId: keys[0].SSHPublicKeyId, Encoding: "PEM"}))(t)
			if aws.ToString(got.SSHPublicKey.SSHPublicKeyBody) != cert {
				t.Errorf("strict GetSSHPublicKey: %q", aws.ToString(got.SSHPublicKey.SSHPublicKeyBody))
			}
			must(sc.GetSAMLProvider(ctx, &iam.GetSAMLProviderInput{SAMLProviderArn: aws.String("arn:aws:iam::123456789012:saml-provider/TestSAMLProvider")}))(t)
			must(sc.GetAccountAuthorizationDetails(ctx, &iam.GetAccountAuthorizationDetailsInput{}))(t)
			must(sc.GenerateCredentialReport(ctx, &iam.GenerateCredentialReportInput{}))(t)
		})
	}
}

// withHeader adds a request header to every call of an SDK client.
func withHeader(name, value string) func(*iam.Options) {
	return func(o *iam.Options) {
		o.APIOptions = append(o.APIOptions, smithyhttp.AddHeaderValue(name, value))
	}
}

func stsHeader(name, value string) func(*sts.Options) {
	return func(o *sts.Options) {
		o.APIOptions = append(o.APIOptions, smithyhttp.AddHeaderValue(name, value))
	}
}

// moto server picks the account from the x-moto-account-id header before the access key
// (moto/core/responses.py, get_current_account; docs "Multi-Account support"). In emulator
// mode the stand-in root follows it; keys Gatehouse issued keep their identity; production
// ignores it.
func TestEmulatorMotoAccountHeader(t *testing.T) {
	inst := startServer(t, "", "--mode", "emulator")
	ctx := ctxT(t)
	other := iam.New(iam.Options{Region: "us-east-1", BaseEndpoint: aws.String(inst.Endpoint), Retryer: aws.NopRetryer{},
		HTTPClient: wholeBodyClient{}, Credentials: credentials.NewStaticCredentialsProvider("testing", "testing", "")},
		withHeader("x-moto-account-id", "111111111111"))
	u := must(other.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("u1")}))(t)
	if got := aws.ToString(u.User.Arn); got != "arn:aws:iam::111111111111:user/u1" {
		t.Errorf("CreateUser with the header: ARN %q", got)
	}
	id := must(stsClient(inst, "testing", "testing", "").GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}, stsHeader("X-Moto-Account-Id", "111111111111")))(t)
	if aws.ToString(id.Account) != "111111111111" || aws.ToString(id.Arn) != "arn:aws:iam::111111111111:root" {
		t.Errorf("GetCallerIdentity with the header: %s %s", aws.ToString(id.Account), aws.ToString(id.Arn))
	}
	// The header beats a 12-digit key ID, as moto's order has it.
	beat := iamClient(t, inst, "222222222222", "x")
	listed := must(beat.ListUsers(ctx, &iam.ListUsersInput{}, withHeader("x-moto-account-id", "111111111111")))(t)
	if len(listed.Users) != 1 || aws.ToString(listed.Users[0].UserName) != "u1" {
		t.Errorf("ListUsers in 111111111111: got %+v", listed.Users)
	}
	// Without it the default account has no such user.
	plain := iamClient(t, inst, "testing", "testing")
	if l := must(plain.ListUsers(ctx, &iam.ListUsersInput{}))(t); len(l.Users) != 0 {
		t.Errorf("ListUsers in the default account: got %+v", l.Users)
	}
	// A key Gatehouse issued keeps its identity, header or not.
	k := must(other.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("u1")}))(t).AccessKey
	issued := stsClient(inst, aws.ToString(k.AccessKeyId), aws.ToString(k.SecretAccessKey), "")
	who := must(issued.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}, stsHeader("x-moto-account-id", "333333333333")))(t)
	if aws.ToString(who.Arn) != "arn:aws:iam::111111111111:user/u1" {
		t.Errorf("issued key with the header: got %s", aws.ToString(who.Arn))
	}
	rootID, rootSecret := rootCreds(t, inst)
	if a := must(iamClient(t, inst, rootID, rootSecret).GetUser(ctx, &iam.GetUserInput{}, withHeader("x-moto-account-id", "111111111111")))(t); aws.ToString(a.User.Arn) != "arn:aws:iam::123456789012:root" {
		t.Errorf("the root key with the header: got %s", aws.ToString(a.User.Arn))
	}
	// An account Gatehouse cannot hold is refused, not quietly replaced by another.
	_, err := plain.ListUsers(ctx, &iam.ListUsersInput{}, withHeader("x-moto-account-id", "acct-1"))
	apiErr(t, err, "ValidationError", 400, "12-digit")

	// Production ignores the header: an unknown key stays unknown, the root stays itself.
	prod := startServer(t, "", "--mode", "production")
	_, err = iamClient(t, prod, "testing", "testing").ListUsers(ctx, &iam.ListUsersInput{}, withHeader("x-moto-account-id", "111111111111"))
	apiErr(t, err, "InvalidClientTokenId", 403)
	pc := rootClient(t, prod)
	acct := accountID(t, pc)
	if a := must(pc.GetUser(ctx, &iam.GetUserInput{}, withHeader("x-moto-account-id", "111111111111")))(t); !strings.Contains(aws.ToString(a.User.Arn), acct) {
		t.Errorf("production root with the header: got %s, want account %s", aws.ToString(a.User.Arn), acct)
	}
}
