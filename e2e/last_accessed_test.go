package e2e

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/iam"
)

// TestServiceLastAccessedAcrossServices: every authorized request feeds IAM's service last
// accessed data, not only IAM's own — here an EC2 call by a user shows up under "ec2"
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_last-accessed.html).
func TestServiceLastAccessedAcrossServices(t *testing.T) {
	inst, root := newRootServer(t)
	ctx := ctxT(t)
	acct := accountID(t, root)
	_, key := newUserClient(t, inst, root, "dana")
	must(root.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("dana"), PolicyName: aws.String("ec2-read"),
		PolicyDocument: aws.String(allowDoc(`["ec2:DescribeInstances","sts:GetCallerIdentity"]`, `"*"`))}))(t)
	c := ec2Client(t, inst, aws.ToString(key.AccessKeyId), aws.ToString(key.SecretAccessKey), "")
	must(c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{}))(t)

	job := must(root.GenerateServiceLastAccessedDetails(ctx, &iam.GenerateServiceLastAccessedDetailsInput{
		Arn: aws.String("arn:aws:iam::" + acct + ":user/dana")}))(t)
	det := must(root.GetServiceLastAccessedDetails(ctx, &iam.GetServiceLastAccessedDetailsInput{JobId: job.JobId}))(t)
	seen := map[string]bool{}
	for _, s := range det.ServicesLastAccessed {
		seen[aws.ToString(s.ServiceNamespace)] = s.LastAuthenticated != nil
	}
	if !seen["ec2"] {
		t.Fatalf("ec2 not recorded as accessed: %+v", seen)
	}
	if seen["sts"] {
		t.Fatalf("sts recorded as accessed though dana never called it: %+v", seen)
	}
}
