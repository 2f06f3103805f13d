package e2e

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/smithy-go"
)

// The helpers the IAM suite shares: an SDK client for an instance and a key, the root key
// the server wrote on first start, and assertions on AWS error responses.

// iamClient builds aws-sdk-go-v2's IAM client for inst, signing with the given key. Retries
// are off so that every call the test makes is exactly one request: an error is the
// server's answer, not the last of several.
func iamClient(t *testing.T, inst *instance, keyID, secret string) *iam.Client {
	t.Helper()
	return iam.New(iam.Options{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider(keyID, secret, ""),
		BaseEndpoint: aws.String(inst.Endpoint),
		Retryer:      aws.NopRetryer{},
		HTTPClient:   wholeBodyClient{},
	})
}

// wholeBodyClient reads each response body whole before the SDK sees it. Without it, about
// one loopback call in twenty fails on the client with "deserialization failed … use of closed
// network connection": after Do returns, smithy-go closes the request body while net/http's
// write loop still checks it for EOF, and the write loop then closes the connection under the
// response being read. On AWS the SDK retries that error (net.ErrClosed is retryable since
// https://github.com/aws/aws-sdk-go-v2/pull/2949, issue #2737), but this suite runs with
// retries off, so the race is closed here instead: once the body is in memory, nothing reads
// the connection again. It changes no byte the SDK parses.
type wholeBodyClient struct{}

func (wholeBodyClient) Do(r *http.Request) (*http.Response, error) {
	return (&wholeBody{next: http.DefaultTransport}).RoundTrip(r)
}

// rootCreds reads the root key from DIR/credentials, the shared-credentials file that
// `gatehouse serve` writes on first start (profile gatehouse; DESIGN.md, "Serve").
func rootCreds(t *testing.T, inst *instance) (keyID, secret string) {
	t.Helper()
	f, err := os.Open(filepath.Join(inst.DataDir, "credentials"))
	if err != nil {
		t.Fatalf("reading the root credentials: %v", err)
	}
	defer f.Close()
	section := ""
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]") {
			section = strings.TrimSpace(line[1 : len(line)-1])
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok || section != "gatehouse" {
			continue
		}
		switch strings.TrimSpace(k) {
		case "aws_access_key_id":
			keyID = strings.TrimSpace(v)
		case "aws_secret_access_key":
			secret = strings.TrimSpace(v)
		}
	}
	if keyID == "" || secret == "" {
		t.Fatalf("credentials file has no [gatehouse] key: id %q, secret set %v", keyID, secret != "")
	}
	return keyID, secret
}

// rootClient starts nothing: it is the root user's client for a running instance.
func rootClient(t *testing.T, inst *instance) *iam.Client {
	t.Helper()
	id, secret := rootCreds(t, inst)
	return iamClient(t, inst, id, secret)
}

// newRootServer starts a fresh server and returns it with root's client.
func newRootServer(t *testing.T) (*instance, *iam.Client) {
	t.Helper()
	inst := startServer(t, "")
	return inst, rootClient(t, inst)
}

// ctxT is a context bounded well under the test binary's timeout, so a hung server fails
// one test with a clear error instead of the whole package.
func ctxT(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// must fails the test on an unexpected error and returns the value:
// must(c.GetUser(ctx, in))(t).
func must[T any](v T, err error) func(*testing.T) T {
	return func(t *testing.T) T {
		t.Helper()
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		return v
	}
}

// apiErr checks that err is an AWS error response with the code and HTTP status, and that
// its message contains each of msgParts. It returns the message.
func apiErr(t *testing.T, err error, code string, status int, msgParts ...string) string {
	t.Helper()
	if err == nil {
		t.Fatalf("got success, want %s (%d)", code, status)
	}
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("got %v (%T), want an AWS API error %s", err, err, code)
	}
	if ae.ErrorCode() != code {
		t.Fatalf("error code: got %q (%s), want %q", ae.ErrorCode(), ae.ErrorMessage(), code)
	}
	var re *awshttp.ResponseError
	if !errors.As(err, &re) {
		t.Fatalf("got %v, want an HTTP response error", err)
	}
	if re.HTTPStatusCode() != status {
		t.Fatalf("%s: HTTP status: got %d, want %d", code, re.HTTPStatusCode(), status)
	}
	for _, p := range msgParts {
		if !strings.Contains(ae.ErrorMessage(), p) {
			t.Fatalf("%s message: got %q, want it to contain %q", code, ae.ErrorMessage(), p)
		}
	}
	return ae.ErrorMessage()
}

// decodeDoc URL-decodes a policy document as IAM returns it: "The policy document returned in
// this structure is URL-encoded compliant with RFC 3986"
// (https://docs.aws.amazon.com/IAM/latest/APIReference/API_PolicyVersion.html). The SDK
// leaves it encoded.
func decodeDoc(t *testing.T, s *string) string {
	t.Helper()
	if s == nil {
		t.Fatal("policy document: got nil")
	}
	d, err := url.QueryUnescape(*s)
	if err != nil {
		t.Fatalf("policy document %q is not URL-encoded: %v", *s, err)
	}
	return d
}

// allowDoc is an identity policy allowing actions on resources.
func allowDoc(actions, resources string) string {
	return fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":%s,"Resource":%s}]}`, actions, resources)
}

// ec2Trust is the trust policy of the tutorial's role_1: EC2 may assume it.
const ec2Trust = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`

// accountID returns the account of the root user's client (from GetUser's ARN).
func accountID(t *testing.T, c *iam.Client) string {
	t.Helper()
	out := must(c.GetUser(ctxT(t), &iam.GetUserInput{}))(t)
	parts := strings.Split(aws.ToString(out.User.Arn), ":")
	if len(parts) < 5 || len(parts[4]) != 12 {
		t.Fatalf("root ARN %q has no 12-digit account", aws.ToString(out.User.Arn))
	}
	return parts[4]
}

// tagMap turns tags into a map for comparison.
func tagMap(tags []types.Tag) map[string]string {
	m := make(map[string]string, len(tags))
	for _, tg := range tags {
		m[aws.ToString(tg.Key)] = aws.ToString(tg.Value)
	}
	return m
}

// tag builds one IAM tag.
func tag(k, v string) types.Tag { return types.Tag{Key: aws.String(k), Value: aws.String(v)} }
