package cli

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/smithy-go"
)

// TestOtherNodesChangesReachCaches runs two nodes on one store, as a deployment with a
// shared database does: a key deleted and a policy removed through node 1 stop working on
// node 2, whose caches had them, within the change log's poll interval.
func TestOtherNodesChangesReachCaches(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	f := serveFlags{data: dir, region: "us-east-1", mode: "production", enforce: "strict"}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	node := func() *httptest.Server {
		st, err := openState(ctx, f, logger)
		if err != nil {
			t.Fatal(err)
		}
		ts := httptest.NewServer(st.server)
		t.Cleanup(func() { ts.Close(); st.close() })
		return ts
	}
	n1, n2 := node(), node()
	rootID, rootSecret, err := readProfile(dir)
	if err != nil {
		t.Fatal(err)
	}
	client := func(ts *httptest.Server, id, secret string) *iam.Client {
		return iam.New(iam.Options{Region: "us-east-1", BaseEndpoint: aws.String(ts.URL),
			Credentials: credentials.NewStaticCredentialsProvider(id, secret, "")})
	}
	root1 := client(n1, rootID, rootSecret)
	user := aws.String("alice")
	must := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(root1.CreateUser(ctx, &iam.CreateUserInput{UserName: user}))
	must(root1.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: user, PolicyName: aws.String("get"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:GetUser","Resource":"*"}]}`)}))
	k1, err := root1.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: user})
	must(k1, err)
	k2, err := root1.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: user})
	must(k2, err)
	alice2 := client(n2, *k1.AccessKey.AccessKeyId, *k1.AccessKey.SecretAccessKey)
	alice2b := client(n2, *k2.AccessKey.AccessKeyId, *k2.AccessKey.SecretAccessKey)
	// Node 2 caches both keys and alice's policies.
	must(alice2.GetUser(ctx, &iam.GetUserInput{}))
	must(alice2b.GetUser(ctx, &iam.GetUserInput{}))

	waitFor := func(c *iam.Client, code string) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for {
			_, err := c.GetUser(ctx, &iam.GetUserInput{})
			var ae smithy.APIError
			if errors.As(err, &ae) && ae.ErrorCode() == code {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("node 2 still answers %v; want %s", err, code)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	must(root1.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{UserName: user, AccessKeyId: k1.AccessKey.AccessKeyId}))
	waitFor(alice2, "InvalidClientTokenId")
	must(root1.DeleteUserPolicy(ctx, &iam.DeleteUserPolicyInput{UserName: user, PolicyName: aws.String("get")}))
	waitFor(alice2b, "AccessDenied")
}

// readProfile reads the root key writeCredentialsFile wrote.
func readProfile(dir string) (id, secret string, err error) {
	b, err := os.ReadFile(filepath.Join(dir, credentialsFile))
	if err != nil {
		return "", "", err
	}
	for _, line := range strings.Split(string(b), "\n") {
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			continue
		}
		switch strings.TrimSpace(k) {
		case "aws_access_key_id":
			id = strings.TrimSpace(v)
		case "aws_secret_access_key":
			secret = strings.TrimSpace(v)
		}
	}
	if id == "" || secret == "" {
		return "", "", errors.New("no key in the credentials file")
	}
	return id, secret, nil
}
