package imds

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials/ec2rolecreds"
	sdkimds "github.com/aws/aws-sdk-go-v2/feature/ec2/imds"

	"gatehouse/internal/ec2"
)

// TestSDKProviderPicksUpRotation: aws-sdk-go-v2's EC2 role provider, through its IMDSv2
// client, reads the endpoint's credentials, and after the endpoint rotates them (clock
// advanced an hour) reads the new ones, with their expiry.
func TestSDKProviderPicksUpRotation(t *testing.T) {
	e := newEnv(t)
	in := instance(profileARN)
	in.Metadata.Tokens = ec2.TokensRequired // the SDK must use IMDSv2
	e.ins.set(in)
	srv := httptest.NewServer(e.svc.Handler("111122223333", testID))
	defer srv.Close()
	p := ec2rolecreds.New(func(o *ec2rolecreds.Options) {
		o.Client = sdkimds.New(sdkimds.Options{Endpoint: srv.URL})
	})
	ctx := context.Background()
	c1, err := p.Retrieve(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if c1.AccessKeyID == "" || c1.SessionToken == "" || !c1.CanExpire || !c1.Expires.Equal(e.clock.Now().Add(6*time.Hour)) {
		t.Errorf("first: got %+v, want credentials expiring in six hours", c1)
	}
	e.clock.Add(time.Hour)
	c2, err := p.Retrieve(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if c2.AccessKeyID == c1.AccessKeyID || !c2.Expires.After(c1.Expires) {
		t.Errorf("after an hour: got %s expiring %v, want new credentials after %v", c2.AccessKeyID, c2.Expires, c1.Expires)
	}
}
