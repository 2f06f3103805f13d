package e2e

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// STS behaviour that test suites written for moto's server mode rely on, found by running
// such suites against `serve --mode emulator`. Each case is what AWS does (or, where only the
// emulator is concerned, what docs/emulator.md promises).

// emuClients are IAM and STS clients signing with moto's test key for a region.
func emuClients(inst *instance, region string) (*iam.Client, *sts.Client) {
	cred := credentials.NewStaticCredentialsProvider("testing", "testing", "testing")
	i := iam.New(iam.Options{Region: region, Credentials: cred, BaseEndpoint: aws.String(inst.Endpoint),
		Retryer: aws.NopRetryer{}, HTTPClient: wholeBodyClient{}})
	s := sts.New(sts.Options{Region: region, Credentials: cred, BaseEndpoint: aws.String(inst.Endpoint),
		Retryer: aws.NopRetryer{}, HTTPClient: wholeBodyClient{}})
	return i, s
}

const trustAccountRoot = `{"Version":"2012-10-17","Statement":{"Effect":"Allow",` +
	`"Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole"}}`

// In emulator mode an account exists in every partition: a role created through cn-north-1
// is arn:aws-cn:iam::…, and assuming it by that ARN gives an aws-cn session whose
// GetCallerIdentity is the session, as on AWS China (reference-arns.html). It used to be
// refused as a role that does not exist ("Roles may not be assumed by root accounts").
func TestSTSConformancePartitionedAssumeRole(t *testing.T) {
	inst := startServer(t, "", "--mode", "emulator", "--enforce", "off")
	ctx := ctxT(t)
	for _, tc := range []struct{ region, partition string }{
		{"us-east-1", "aws"}, {"cn-north-1", "aws-cn"}, {"us-gov-west-1", "aws-us-gov"}, {"us-isob-east-1", "aws-iso-b"},
	} {
		t.Run(tc.region, func(t *testing.T) {
			ic, sc := emuClients(inst, tc.region)
			name := "role-" + tc.partition
			role := must(ic.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(name),
				AssumeRolePolicyDocument: aws.String(trustAccountRoot)}))(t).Role
			wantRole := "arn:" + tc.partition + ":iam::123456789012:role/" + name
			if aws.ToString(role.Arn) != wantRole {
				t.Fatalf("CreateRole ARN: got %s, want %s", aws.ToString(role.Arn), wantRole)
			}
			out := must(sc.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: role.Arn,
				RoleSessionName: aws.String("session-name"), DurationSeconds: aws.Int32(900)}))(t)
			wantARN := "arn:" + tc.partition + ":sts::123456789012:assumed-role/" + name + "/session-name"
			if got := aws.ToString(out.AssumedRoleUser.Arn); got != wantARN {
				t.Errorf("AssumedRoleUser.Arn: got %s, want %s", got, wantARN)
			}
			if got, want := aws.ToString(out.AssumedRoleUser.AssumedRoleId), aws.ToString(role.RoleId)+":session-name"; got != want {
				t.Errorf("AssumedRoleId: got %s, want %s", got, want)
			}
			sess := stsClient(inst, aws.ToString(out.Credentials.AccessKeyId), aws.ToString(out.Credentials.SecretAccessKey),
				aws.ToString(out.Credentials.SessionToken))
			who := must(sess.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}, func(o *sts.Options) { o.Region = tc.region }))(t)
			if aws.ToString(who.Arn) != wantARN || aws.ToString(who.UserId) != aws.ToString(out.AssumedRoleUser.AssumedRoleId) {
				t.Errorf("GetCallerIdentity with the session: got %s %s, want %s", aws.ToString(who.Arn), aws.ToString(who.UserId), wantARN)
			}
		})
	}
}

// The stand-in root may assume roles (docs/emulator.md), so a role that does not exist is
// the ordinary AssumeRole denial, which does not tell whether the role exists — not the
// "Roles may not be assumed by root accounts" that a real root's key gets whatever the role.
func TestSTSConformanceStandInRootMissingRole(t *testing.T) {
	inst := startServer(t, "", "--mode", "emulator", "--enforce", "off")
	ctx := ctxT(t)
	_, sc := emuClients(inst, "us-east-1")
	_, err := sc.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::111111111111:role/my-role"),
		RoleSessionName: aws.String("test-session-name")})
	msg := apiErr(t, err, "AccessDenied", 403, "is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::111111111111:role/my-role")
	if strings.Contains(msg, "root accounts") {
		t.Errorf("message: %q", msg)
	}
}

// signedAt sends GetCallerIdentity signed with the key as at the given time, as an SDK under
// a frozen clock (freezegun's freeze_time, which moto's own suite uses in server mode) signs.
func signedAt(t *testing.T, inst *instance, keyID, secret string, at time.Time) (int, string) {
	t.Helper()
	body := "Action=GetCallerIdentity&Version=2011-06-15"
	req, err := http.NewRequest(http.MethodPost, inst.Endpoint+"/", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	sum := sha256.Sum256([]byte(body))
	creds := aws.Credentials{AccessKeyID: keyID, SecretAccessKey: secret}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), "sts", "us-east-1", at); err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// The stand-in root's signature is not checked (docs/emulator.md), its date included: a
// suite that signs under a frozen clock in 2012 works against the emulator as against moto
// server. A key Gatehouse issued keeps SigV4's 15 minutes, as on AWS
// (reference_sigv-create-signed-request.html): "Signature expired".
func TestSTSConformanceFrozenClock(t *testing.T) {
	inst := startServer(t, "", "--mode", "emulator", "--enforce", "off")
	frozen := time.Date(2012, 1, 1, 12, 0, 0, 0, time.UTC)
	code, body := signedAt(t, inst, "testing", "testing", frozen)
	if code != 200 || !strings.Contains(body, "<Arn>arn:aws:iam::123456789012:root</Arn>") {
		t.Errorf("the test key signed in 2012: got %d %s, want 200 and the root", code, body)
	}
	keyID, secret := rootCreds(t, inst)
	code, body = signedAt(t, inst, keyID, secret, frozen)
	if code != 403 || !strings.Contains(body, "<Code>SignatureDoesNotMatch</Code>") || !strings.Contains(body, "Signature expired: 20120101T120000Z is now earlier than") {
		t.Errorf("an issued key signed in 2012: got %d %s, want 403 Signature expired", code, body)
	}
	if code, body = signedAt(t, inst, keyID, secret, time.Now()); code != 200 {
		t.Errorf("an issued key signed now: got %d %s", code, body)
	}
	// Production has no stand-in root: the test key is refused for its date, as before.
	prod := startServer(t, "", "--mode", "production")
	code, body = signedAt(t, prod, "testing", "testing", frozen)
	if code != 403 || !strings.Contains(body, "Signature expired") {
		t.Errorf("production, the test key signed in 2012: got %d %s", code, body)
	}
}

// GetAccessKeyInfo for a key Gatehouse did not issue: in emulator mode such a key is the
// root of the default account, so that is its account (moto answers the same for its test
// keys); in production it is refused, which AWS documents for keys that do not exist
// (API_GetAccessKeyInfo.html: "might return an error that the key doesn't exist").
func TestSTSConformanceAccessKeyInfoUnknownKey(t *testing.T) {
	ctx := ctxT(t)
	emu := startServer(t, "", "--mode", "emulator", "--enforce", "off")
	_, sc := emuClients(emu, "us-east-1")
	info := must(sc.GetAccessKeyInfo(ctx, &sts.GetAccessKeyInfoInput{AccessKeyId: aws.String("AKIAIOSFODNN7EXAMPLE")}))(t)
	if aws.ToString(info.Account) != "123456789012" {
		t.Errorf("emulator: GetAccessKeyInfo account %q, want 123456789012", aws.ToString(info.Account))
	}
	prod := startServer(t, "", "--mode", "production")
	keyID, secret := rootCreds(t, prod)
	_, err := stsClient(prod, keyID, secret, "").GetAccessKeyInfo(ctx, &sts.GetAccessKeyInfoInput{AccessKeyId: aws.String("AKIAIOSFODNN7EXAMPLE")})
	apiErr(t, err, "InvalidParameterValue", 400, "AKIAIOSFODNN7EXAMPLE")
}

// The root user may call GetFederationToken, which AWS allows but advises against; the
// session lasts at most an hour ("If the specified duration is longer than one hour, the
// session obtained by using root user credentials defaults to one hour") and can do what
// its session policy allows, nothing more (API_GetFederationToken.html). Gatehouse used to
// refuse it.
func TestSTSConformanceRootFederationToken(t *testing.T) {
	inst := startServer(t, "", "--mode", "production")
	ctx := ctxT(t)
	keyID, secret := rootCreds(t, inst)
	sc := stsClient(inst, keyID, secret, "")
	before := time.Now()
	out := must(sc.GetFederationToken(ctx, &sts.GetFederationTokenInput{Name: aws.String("bob"), DurationSeconds: aws.Int32(7200),
		Policy: aws.String(allowDoc(`"ec2:DescribeInstances"`, `"*"`))}))(t)
	acct := accountID(t, rootClient(t, inst))
	if got, want := aws.ToString(out.FederatedUser.Arn), "arn:aws:sts::"+acct+":federated-user/bob"; got != want {
		t.Errorf("FederatedUser.Arn: got %s, want %s", got, want)
	}
	if exp := aws.ToTime(out.Credentials.Expiration); exp.After(before.Add(time.Hour+time.Minute)) || exp.Before(before.Add(59*time.Minute)) {
		t.Errorf("Expiration %s: want an hour from %s", exp, before)
	}
	cr := out.Credentials
	fed := ec2Client(t, inst, aws.ToString(cr.AccessKeyId), aws.ToString(cr.SecretAccessKey), aws.ToString(cr.SessionToken))
	must(fed.DescribeInstances(ctx, &ec2.DescribeInstancesInput{}))(t)
	_, err := fed.StopInstances(ctx, &ec2.StopInstancesInput{InstanceIds: []string{"i-0123456789abcdef0"}})
	apiErr(t, err, "UnauthorizedOperation", 403, "federated-user/bob")
	who := must(sessionSTS(inst, cr).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}))(t)
	if aws.ToString(who.UserId) != acct+":bob" {
		t.Errorf("GetCallerIdentity UserId %s, want %s:bob", aws.ToString(who.UserId), acct)
	}
	// Without a session policy the federated user may do nothing.
	bare := must(sc.GetFederationToken(ctx, &sts.GetFederationTokenInput{Name: aws.String("carol")}))(t).Credentials
	_, err = ec2Client(t, inst, aws.ToString(bare.AccessKeyId), aws.ToString(bare.SecretAccessKey), aws.ToString(bare.SessionToken)).
		DescribeInstances(ctx, &ec2.DescribeInstancesInput{})
	apiErr(t, err, "UnauthorizedOperation", 403)
}

// AssociateIamInstanceProfile and ReplaceIamInstanceProfileAssociation name an unknown
// instance profile as RunInstances does, "iamInstanceProfile.arn"/".name" — AWS's answer to
// an association with a profile that does not exist is "Value (arn:…) for parameter
// iamInstanceProfile.arn is invalid. Invalid IAM Instance Profile ARN" — and refuse Arn and
// Name together with RunInstances' InvalidParameterCombination (moto accepts both).
func TestSTSConformanceProfileParameterNames(t *testing.T) {
	inst := startServer(t, "", "--mode", "emulator", "--enforce", "off")
	ctx := ctxT(t)
	ic, _ := emuClients(inst, "us-east-1")
	ec := ec2Client(t, inst, "testing", "testing", "")
	must(ic.CreateInstanceProfile(ctx, &iam.CreateInstanceProfileInput{InstanceProfileName: aws.String("prof")}))(t)
	run := must(ec.RunInstances(ctx, &ec2.RunInstancesInput{ImageId: aws.String("ami-12c6146b"), MinCount: aws.Int32(1), MaxCount: aws.Int32(1)}))(t)
	id := run.Instances[0].InstanceId
	missing := "arn:aws:iam::123456789012:instance-profile/missing"
	_, err := ec.AssociateIamInstanceProfile(ctx, &ec2.AssociateIamInstanceProfileInput{InstanceId: id,
		IamInstanceProfile: &ec2types.IamInstanceProfileSpecification{Arn: aws.String(missing)}})
	apiErr(t, err, "InvalidParameterValue", 400, "Value ("+missing+") for parameter iamInstanceProfile.arn is invalid. Invalid IAM Instance Profile ARN")
	_, err = ec.AssociateIamInstanceProfile(ctx, &ec2.AssociateIamInstanceProfileInput{InstanceId: id,
		IamInstanceProfile: &ec2types.IamInstanceProfileSpecification{Name: aws.String("missing")}})
	apiErr(t, err, "InvalidParameterValue", 400, "Value (missing) for parameter iamInstanceProfile.name is invalid. Invalid IAM Instance Profile name")
	_, err = ec.AssociateIamInstanceProfile(ctx, &ec2.AssociateIamInstanceProfileInput{InstanceId: id,
		IamInstanceProfile: &ec2types.IamInstanceProfileSpecification{Name: aws.String("prof"), Arn: aws.String("arn:aws:iam::123456789012:instance-profile/prof")}})
	apiErr(t, err, "InvalidParameterCombination", 400, "The parameter 'iamInstanceProfile.name' may not be used in combination with 'iamInstanceProfile.arn'")
	as := must(ec.AssociateIamInstanceProfile(ctx, &ec2.AssociateIamInstanceProfileInput{InstanceId: id,
		IamInstanceProfile: &ec2types.IamInstanceProfileSpecification{Name: aws.String("prof")}}))(t)
	_, err = ec.ReplaceIamInstanceProfileAssociation(ctx, &ec2.ReplaceIamInstanceProfileAssociationInput{
		AssociationId: as.IamInstanceProfileAssociation.AssociationId, IamInstanceProfile: &ec2types.IamInstanceProfileSpecification{Name: aws.String("missing")}})
	apiErr(t, err, "InvalidParameterValue", 400, "parameter iamInstanceProfile.name is invalid")
}
