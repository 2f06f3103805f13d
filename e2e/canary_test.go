package e2e

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
)

// recorder keeps every response body a client received, by operation order.
type recorder struct {
	mu     sync.Mutex
	bodies [][]byte
	next   http.RoundTripper
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := r.next.RoundTrip(req)
	if err != nil {
		return resp, err
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	r.bodies = append(r.bodies, b)
	r.mu.Unlock()
	resp.Body = io.NopCloser(bytes.NewReader(b))
	return resp, nil
}

func (r *recorder) count() int { r.mu.Lock(); defer r.mu.Unlock(); return len(r.bodies) }

// newIAMClient is an SDK client with retries off whose responses are read whole before the
// SDK parses them (see wholeBodyClient in iam_helpers_test.go for the client-side race on
// loopback this avoids).
func newIAMClient(endpoint, id, secret string, rt http.RoundTripper) *iam.Client {
	if _, ok := rt.(*recorder); !ok {
		rt = &wholeBody{next: rt}
	}
	return iam.New(iam.Options{
		Region:           "us-east-1",
		BaseEndpoint:     aws.String(endpoint),
		Credentials:      credentials.NewStaticCredentialsProvider(id, secret, ""),
		RetryMaxAttempts: 1,
		HTTPClient:       &http.Client{Transport: rt},
	})
}

// wholeBody reads each response body into memory before handing the response on.
type wholeBody struct{ next http.RoundTripper }

func (w *wholeBody) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := w.next.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(b))
	return resp, nil
}

// encodings are the forms a leaked secret could take in a log, a file or a response.
func encodings(secret string) map[string]string {
	return map[string]string{
		"raw":       secret,
		"base64":    base64.StdEncoding.EncodeToString([]byte(secret)),
		"base64url": base64.RawURLEncoding.EncodeToString([]byte(secret)),
		"hex":       hex.EncodeToString([]byte(secret)),
		"urlquery":  url.QueryEscape(secret),
		"urlpath":   url.PathEscape(secret),
	}
}

// TestCanarySecretsNeverLeak sends a known secret access key and password through the API,
// then searches the server's logs, every file of its data directory and every response but
// the one that issued the key: 0 hits, raw or encoded (issue 3, "A canary test").
func TestCanarySecretsNeverLeak(t *testing.T) {
	inst := startServer(t, "")
	ctx := context.Background()
	rootID, rootSecret := rootCreds(t, inst)
	rec := &recorder{next: http.DefaultTransport}
	root := newIAMClient(inst.Endpoint, rootID, rootSecret, rec)

	const password = "Canary-Passw0rd!xyzzy-7Q"
	if _, err := root.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("canary")}); err != nil {
		t.Fatal(err)
	}
	if _, err := root.CreateLoginProfile(ctx, &iam.CreateLoginProfileInput{UserName: aws.String("canary"), Password: aws.String(password)}); err != nil {
		t.Fatal(err)
	}
	issuing := rec.count()
	key, err := root.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("canary")})
	if err != nil {
		t.Fatal(err)
	}
	secret := aws.ToString(key.AccessKey.SecretAccessKey)
	keyID := aws.ToString(key.AccessKey.AccessKeyId)
	if len(secret) != 40 {
		t.Fatalf("secret length: got %d, want 40", len(secret))
	}
	_, _ = root.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("canary"), PolicyName: aws.String("self"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:GetUser","Resource":"*"}]}`)})

	// Use the key: allowed, denied, and with a wrong secret; then read everything back.
	user := newIAMClient(inst.Endpoint, keyID, secret, rec)
	if _, err := user.GetUser(ctx, &iam.GetUserInput{}); err != nil {
		t.Fatalf("GetUser with the canary key: %v", err)
	}
	if _, err := user.ListUsers(ctx, &iam.ListUsersInput{}); err == nil {
		t.Fatal("ListUsers with the canary key: want AccessDenied")
	}
	bad := newIAMClient(inst.Endpoint, keyID, secret[:39]+"x", rec)
	if _, err := bad.GetUser(ctx, &iam.GetUserInput{}); err == nil {
		t.Fatal("a wrong secret was accepted")
	}
	for _, f := range []func() error{
		func() error {
			_, err := root.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String("canary")})
			return err
		},
		func() error {
			_, err := root.GetLoginProfile(ctx, &iam.GetLoginProfileInput{UserName: aws.String("canary")})
			return err
		},
		func() error {
			_, err := root.GetAccountAuthorizationDetails(ctx, &iam.GetAccountAuthorizationDetailsInput{})
			return err
		},
		func() error {
			_, err := root.GetAccessKeyLastUsed(ctx, &iam.GetAccessKeyLastUsedInput{AccessKeyId: aws.String(keyID)})
			return err
		},
	} {
		if err := f(); err != nil {
			t.Fatal(err)
		}
	}

	// Stop the server so that its logs and files are complete.
	stopInstance(t, inst)

	var haystacks []struct{ where, text string }
	add := func(where string, b []byte) {
		haystacks = append(haystacks, struct{ where, text string }{where, string(b)})
	}
	add("logs", []byte(inst.logs.String()))
	for i, b := range rec.bodies {
		if i == issuing { // the CreateAccessKey response that issued the secret
			if !bytes.Contains(b, []byte(secret)) {
				t.Fatalf("the issuing response does not hold the secret; recorder is off by one")
			}
			continue
		}
		add(fmt.Sprintf("response %d", i), b)
	}
	err = filepath.WalkDir(inst.DataDir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		add(p, b)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for what, s := range map[string]string{"secret access key": secret, "password": password} {
		for enc, needle := range encodings(s) {
			for _, h := range haystacks {
				if strings.Contains(h.text, needle) {
					t.Errorf("the %s (%s) appears in %s", what, enc, h.where)
				}
			}
		}
	}
}

// TestMetricsCountRequestsAndDecisions checks /_gatehouse/metrics after real calls: requests
// by service, action and error code, latency histograms, and decisions by result.
func TestMetricsCountRequestsAndDecisions(t *testing.T) {
	inst := startServer(t, "")
	ctx := context.Background()
	id, secret := rootCreds(t, inst)
	c := newIAMClient(inst.Endpoint, id, secret, http.DefaultTransport)
	if _, err := c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("m")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("nobody")}); err == nil {
		t.Fatal("GetUser nobody: want NoSuchEntity")
	}
	resp, err := http.Get(inst.Endpoint + "/_gatehouse/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	for _, want := range []string{
		`gatehouse_requests_total{service="iam",action="CreateUser",code=""} 1`,
		`gatehouse_requests_total{service="iam",action="GetUser",code="NoSuchEntity"} 1`,
		`gatehouse_request_duration_seconds_count{service="iam",action="CreateUser"} 1`,
		`gatehouse_decisions_total{decision="allowed"} 2`,
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("metrics lack %q:\n%s", want, body)
		}
	}
}
