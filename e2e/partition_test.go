package e2e

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// TestProductionKeyPartition: in production a key belongs to its account's partition, so a
// request signed for a China or GovCloud region is refused as AWS's endpoints there refuse an
// aws-partition key (InvalidClientTokenId), while any aws-partition region is served.
func TestProductionKeyPartition(t *testing.T) {
	inst, _ := newRootServer(t)
	id, secret := rootCreds(t, inst)
	ctx := ctxT(t)
	for _, c := range []struct {
		region string
		ok     bool
	}{
		{"us-east-1", true},
		{"eu-west-1", true},
		{"cn-north-1", false},
		{"us-gov-west-1", false},
		{"us-iso-east-1", false},
	} {
		client := sts.New(sts.Options{Region: c.region, BaseEndpoint: aws.String(inst.Endpoint),
			Credentials: credentials.NewStaticCredentialsProvider(id, secret, ""),
			Retryer:     aws.NopRetryer{}, HTTPClient: wholeBodyClient{}})
		out, err := client.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		if c.ok {
			if err != nil || !strings.HasPrefix(*out.Arn, "arn:aws:iam::") {
				t.Errorf("%s: GetCallerIdentity = %v, %v; want the aws-partition root", c.region, out, err)
			}
			continue
		}
		apiErr(t, err, "InvalidClientTokenId", 403)
		ic := iam.New(iam.Options{Region: c.region, BaseEndpoint: aws.String(inst.Endpoint),
			Credentials: credentials.NewStaticCredentialsProvider(id, secret, ""),
			Retryer:     aws.NopRetryer{}, HTTPClient: wholeBodyClient{}})
		_, err = ic.ListUsers(ctx, &iam.ListUsersInput{})
		apiErr(t, err, "InvalidClientTokenId", 403)
	}
}
