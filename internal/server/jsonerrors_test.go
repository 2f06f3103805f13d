package server_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/smithy-go"
)

// skewedSigner signs as the SDK does, at a time off by d: the request fails authentication.
type skewedSigner struct{ d time.Duration }

func (s skewedSigner) SignHTTP(ctx context.Context, c aws.Credentials, r *http.Request, payloadHash, service, region string, t time.Time, optFns ...func(*v4.SignerOptions)) error {
	return v4.NewSigner().SignHTTP(ctx, c, r, payloadHash, service, region, t.Add(s.d), optFns...)
}

// A service Gatehouse does not serve that speaks awsJson1_1 (SSM) gets its errors as the
// JSON document its SDK parses, whether the request is refused for its service or for its
// authentication; the SDK must surface the code and message, not only the HTTP status.
func TestJSONProtocolErrors(t *testing.T) {
	f := newSTSFixture(t)
	ts := httptest.NewServer(f.srv) // listens on 127.0.0.1
	t.Cleanup(ts.Close)
	client := func(creds aws.CredentialsProvider, opts ...func(*ssm.Options)) *ssm.Client {
		cfg := aws.Config{Region: "us-east-1", Credentials: creds, RetryMaxAttempts: 1}
		return ssm.NewFromConfig(cfg, append([]func(*ssm.Options){func(o *ssm.Options) { o.BaseEndpoint = aws.String(ts.URL) }}, opts...)...)
	}
	root := credentials.NewStaticCredentialsProvider(f.rootID, f.rootSecret, "")
	for _, c := range []struct {
		note     string
		client   *ssm.Client
		status   int
		code     string
		msgStart string
	}{
		{"a signed request for a service not served", client(root), 400,
			"InvalidAction", `Gatehouse does not serve the service "ssm" named in the credential scope.`},
		{"a signature dated outside the allowed skew", client(root, func(o *ssm.Options) { o.HTTPSignerV4 = skewedSigner{-time.Hour} }), 403,
			"SignatureDoesNotMatch", "Signature expired: "},
		{"an unsigned request", client(aws.AnonymousCredentials{}), 403,
			"MissingAuthenticationToken", "Request is missing Authentication Token"},
	} {
		t.Run(c.note, func(t *testing.T) {
			_, err := c.client.GetParameter(context.Background(), &ssm.GetParameterInput{Name: aws.String("/app/db")})
			var apiErr smithy.APIError
			if !errors.As(err, &apiErr) {
				t.Fatalf("got %v, want an API error %s", err, c.code)
			}
			if apiErr.ErrorCode() != c.code || !strings.HasPrefix(apiErr.ErrorMessage(), c.msgStart) {
				t.Errorf("got %s %q, want %s %q…", apiErr.ErrorCode(), apiErr.ErrorMessage(), c.code, c.msgStart)
			}
			var re *awshttp.ResponseError
			if !errors.As(err, &re) || re.HTTPStatusCode() != c.status || re.ServiceRequestID() == "" {
				t.Errorf("got %v, want HTTP %d with a request ID", err, c.status)
			}
		})
	}
}

// The JSON error document on the wire: botocore (the AWS CLI, boto3) reads the code from
// the body's __type and the message from "message"; the Go SDK reads X-Amzn-Errortype
// first. A Query request (IAM) keeps its XML document.
func TestJSONProtocolErrorDocument(t *testing.T) {
	f := newSTSFixture(t)
	for _, c := range []struct {
		note, contentType, target string
		wantType                  string
	}{
		{"awsJson1_1 (SSM)", "application/x-amz-json-1.1", "AmazonSSM.GetParameter", "application/x-amz-json-1.1"},
		{"awsJson1_0 (DynamoDB)", "application/x-amz-json-1.0", "DynamoDB_20120810.GetItem", "application/x-amz-json-1.0"},
		{"X-Amz-Target alone", "", "AmazonSSM.GetParameter", "application/x-amz-json-1.1"},
	} {
		t.Run(c.note, func(t *testing.T) {
			body := []byte(`{"Name":"/app/db"}`)
			req := httptest.NewRequest("POST", "http://127.0.0.1:7474/", bytes.NewReader(body))
			if c.contentType != "" {
				req.Header.Set("Content-Type", c.contentType)
			}
			req.Header.Set("X-Amz-Target", c.target)
			sum := sha256.Sum256(body)
			// a wrong secret: this service is refused before its signature is checked
			if err := v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: f.rootID, SecretAccessKey: "wrong"},
				req, hex.EncodeToString(sum[:]), "ssm", "us-east-1", time.Now()); err != nil {
				t.Fatal(err)
			}
			w := f.serve(req, body)
			if w.Code != 400 {
				t.Errorf("got status %d, want 400", w.Code)
			}
			if got := w.Header().Get("Content-Type"); got != c.wantType {
				t.Errorf("got Content-Type %q, want %q", got, c.wantType)
			}
			if got := w.Header().Get("X-Amzn-Errortype"); got != "InvalidAction" {
				t.Errorf("got X-Amzn-Errortype %q, want InvalidAction", got)
			}
			if w.Header().Get("X-Amzn-Requestid") == "" {
				t.Error("got no X-Amzn-Requestid")
			}
			var doc map[string]string
			if err := json.Unmarshal(w.Body.Bytes(), &doc); err != nil {
				t.Fatalf("got body %q: %v", w.Body, err)
			}
			want := map[string]string{"__type": "InvalidAction", "message": `Gatehouse does not serve the service "ssm" named in the credential scope.`}
			if len(doc) != len(want) || doc["__type"] != want["__type"] || doc["message"] != want["message"] {
				t.Errorf("got %v, want %v", doc, want)
			}
		})
	}

	t.Run("Query keeps XML", func(t *testing.T) {
		w := f.call("iam", f.rootID, "wrong", "", url.Values{"Action": {"ListUsers"}, "Version": {"2010-05-08"}})
		if w.Code != 403 || w.Header().Get("Content-Type") != "text/xml" || w.Header().Get("X-Amzn-Errortype") != "" ||
			!strings.HasPrefix(w.Body.String(), `<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><Error><Type>Sender</Type><Code>SignatureDoesNotMatch</Code>`) {
			t.Errorf("got %d %v %s, want 403 text/xml SignatureDoesNotMatch", w.Code, w.Header(), w.Body)
		}
	})
}

// botocore, the engine of boto3 and the AWS CLI, reads the same document: the code and the
// message, not only the HTTP status.
func TestJSONProtocolErrorsBoto3(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Python")
	}
	if err := exec.Command("python3", "-c", "import boto3").Run(); err != nil {
		t.Skipf("python3 with boto3 not available: %v", err)
	}
	f := newSTSFixture(t)
	ts := httptest.NewServer(f.srv)
	t.Cleanup(ts.Close)
	const script = `
import json, sys, boto3, botocore.exceptions
endpoint, key, secret = sys.argv[1:4]
ssm = boto3.client("ssm", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id=key,
                   aws_secret_access_key=secret, config=botocore.config.Config(retries={"max_attempts": 1}))
try:
    ssm.get_parameter(Name="/app/db")
    print(json.dumps({}))
except botocore.exceptions.ClientError as e:
    print(json.dumps({"Code": e.response["Error"]["Code"], "Message": e.response["Error"]["Message"],
                      "Status": e.response["ResponseMetadata"]["HTTPStatusCode"]}))
`
	out, err := exec.Command("python3", "-c", script, ts.URL, f.rootID, f.rootSecret).Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Fatalf("boto3: %v\n%s", err, ee.Stderr)
		}
		t.Fatal(err)
	}
	var got struct {
		Code, Message string
		Status        int
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if got.Code != "InvalidAction" || got.Message != `Gatehouse does not serve the service "ssm" named in the credential scope.` || got.Status != 400 {
		t.Errorf("got %+v, want 400 InvalidAction with its message", got)
	}
}
