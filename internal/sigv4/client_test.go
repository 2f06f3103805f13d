package sigv4

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// TestSDKClients puts the real aws-sdk-go-v2 clients (the whole middleware stack: retries'
// amz-sdk-* headers, payload hashing, endpoint resolution, the signer) in front of an HTTP
// server on loopback that verifies with this package, as Gatehouse's edge will. Every call
// must verify; with a different secret on the server, every call must fail with the code
// the SDK then reports.
func TestSDKClients(t *testing.T) {
	const akid, secret, token = "ASIAGATEHOUSETEST000", "gatehouse/test/secret/0123456789abcdefghij", "session-token"
	var mu sync.Mutex
	var serverSecret string
	var seen []string
	v := New(Options{RegionFor: func(service string) string { return "eu-west-1" }})

	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		sum := sha256.Sum256(body)
		err := func() error {
			req, err := v.Parse(r)
			if err != nil {
				return err
			}
			mu.Lock()
			want := serverSecret
			seen = append(seen, req.Service)
			mu.Unlock()
			if req.AccessKeyID != akid {
				return req.UnknownAccessKey()
			}
			if req.SecurityToken != token {
				return fmt.Errorf("security token %q did not come through", req.SecurityToken)
			}
			return req.Verify(want, hex.EncodeToString(sum[:]))
		}()
		if err != nil {
			e, ok := asAWS(err)
			if !ok {
				t.Errorf("server: %v", err)
				w.WriteHeader(500)
				return
			}
			w.Header().Set("Content-Type", "text/xml")
			w.WriteHeader(e.Status)
			if strings.Contains(r.Header.Get("Authorization"), "/ec2/") {
				fmt.Fprintf(w, `<Response><Errors><Error><Code>%s</Code><Message>%s</Message></Error></Errors><RequestID>1</RequestID></Response>`, e.Code, e.Message)
				return
			}
			fmt.Fprintf(w, `<ErrorResponse><Error><Type>Sender</Type><Code>%s</Code><Message>%s</Message></Error><RequestId>1</RequestId></ErrorResponse>`, e.Code, e.Message)
			return
		}
		w.Header().Set("Content-Type", "text/xml")
		switch {
		case strings.Contains(string(body), "GetCallerIdentity"):
			fmt.Fprint(w, `<GetCallerIdentityResponse><GetCallerIdentityResult><Account>123456789012</Account><Arn>arn:aws:iam::123456789012:user/alice</Arn><UserId>AIDAEXAMPLE</UserId></GetCallerIdentityResult></GetCallerIdentityResponse>`)
		case strings.Contains(string(body), "ListUsers"):
			fmt.Fprint(w, `<ListUsersResponse><ListUsersResult><Users/><IsTruncated>false</IsTruncated></ListUsersResult></ListUsersResponse>`)
		default:
			fmt.Fprint(w, `<DescribeRegionsResponse><regionInfo/></DescribeRegionsResponse>`)
		}
	}))
	defer srv.Close()

	creds := credentials.NewStaticCredentialsProvider(akid, secret, token)
	cfg := aws.Config{Region: "eu-west-1", Credentials: creds, BaseEndpoint: aws.String(srv.URL), RetryMaxAttempts: 1}
	calls := map[string]func(context.Context) error{
		"sts GetCallerIdentity": func(ctx context.Context) error {
			_, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
			return err
		},
		"iam ListUsers": func(ctx context.Context) error {
			_, err := iam.NewFromConfig(cfg).ListUsers(ctx, &iam.ListUsersInput{PathPrefix: aws.String("/division_abc/subdivision_xyz/")})
			return err
		},
		"ec2 DescribeRegions": func(ctx context.Context) error {
			_, err := ec2.NewFromConfig(cfg).DescribeRegions(ctx, &ec2.DescribeRegionsInput{RegionNames: []string{"eu-west-1", "us-east-1"}})
			return err
		},
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for name, call := range calls {
		mu.Lock()
		serverSecret = secret
		mu.Unlock()
		if err := call(ctx); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		mu.Lock()
		serverSecret = "another-secret"
		mu.Unlock()
		err := call(ctx)
		wantCode := "SignatureDoesNotMatch"
		if strings.HasPrefix(name, "ec2") {
			wantCode = "AuthFailure"
		}
		if err == nil || !strings.Contains(err.Error(), wantCode) {
			t.Errorf("%s with the wrong secret: got %v, want %s", name, err, wantCode)
		}
	}
	if len(seen) != 2*len(calls) {
		t.Errorf("server saw %d signed requests (%v), want %d", len(seen), seen, 2*len(calls))
	}
}
