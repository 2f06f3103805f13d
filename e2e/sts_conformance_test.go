package e2e

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
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
