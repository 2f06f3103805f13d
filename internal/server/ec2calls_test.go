package server_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"gatehouse/internal/awsproto/iamapi"
	"gatehouse/internal/ec2"
	"gatehouse/internal/iam"
	"gatehouse/internal/seal"
	"gatehouse/internal/server"
	"gatehouse/internal/store"
	"gatehouse/internal/sts"
)

type ec2Fixture struct {
	srv  *server.Server
	iam  *iam.Service
	acct iam.Account
	keys map[string][2]string // user → key ID, secret; "" is root
}

func newEC2Fixture(t *testing.T) *ec2Fixture { return buildEC2Fixture(t, false) }

// buildEC2Fixture serves IAM and EC2 over one SQLite store; withSTS adds STS (so EC2 denials
// carry encoded messages) and a second account whose root key is "other-root".
func buildEC2Fixture(t *testing.T, withSTS bool) *ec2Fixture {
	t.Helper()
	ctx := context.Background()
	st, err := store.OpenSQLite(ctx, filepath.Join(t.TempDir(), "g.db"), store.Options{UnsafeNoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	master := make([]byte, seal.KeySize)
	_, _ = rand.Read(master)
	sealer, err := seal.New(master, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	f := &ec2Fixture{keys: map[string][2]string{}}
	svc, err := iam.New(iam.Options{Store: st, Sealer: sealer, OnChange: func(c iam.Change) {
		if f.srv != nil {
			f.srv.Invalidate(c)
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	b, err := svc.Bootstrap(ctx, "111122223333")
	if err != nil {
		t.Fatal(err)
	}
	e, err := ec2.New(ec2.Options{Store: st})
	if err != nil {
		t.Fatal(err)
	}
	f.iam, f.acct = svc, iam.Account{ID: b.Account}
	f.keys[""] = [2]string{b.RootKeyID, b.RootKeySecret}
	cfg := server.Config{IAM: svc, EC2: e, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if withSTS {
		other, err := svc.Bootstrap(ctx, "444455556666")
		if err != nil {
			t.Fatal(err)
		}
		f.keys["other-root"] = [2]string{other.RootKeyID, other.RootKeySecret}
		keyring, err := seal.NewKeyring(rand.Reader, time.Now)
		if err != nil {
			t.Fatal(err)
		}
		if cfg.STS, err = sts.New(sts.Options{Keyring: keyring, Rand: rand.Reader}); err != nil {
			t.Fatal(err)
		}
	}
	f.srv = server.New(cfg)
	return f
}

func (f *ec2Fixture) user(t *testing.T, name, doc string) {
	t.Helper()
	ctx := context.Background()
	if _, err := f.iam.CreateUser(ctx, f.acct, &iamapi.CreateUserInput{UserName: &name}); err != nil {
		t.Fatal(err)
	}
	pn := "p"
	if _, err := f.iam.PutUserPolicy(ctx, f.acct, &iamapi.PutUserPolicyInput{UserName: &name, PolicyName: &pn, PolicyDocument: &doc}); err != nil {
		t.Fatal(err)
	}
	k, err := f.iam.CreateAccessKey(ctx, f.acct, &iamapi.CreateAccessKeyInput{UserName: &name})
	if err != nil {
		t.Fatal(err)
	}
	f.keys[name] = [2]string{k.AccessKey.AccessKeyId, k.AccessKey.SecretAccessKey}
}

func (f *ec2Fixture) call(t *testing.T, as string, params url.Values) *httptest.ResponseRecorder {
	t.Helper()
	params.Set("Version", "2016-11-15")
	body := []byte(params.Encode())
	req := httptest.NewRequest("POST", "http://127.0.0.1:7474/", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	sum := sha256.Sum256(body)
	k := f.keys[as]
	if err := v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: k[0], SecretAccessKey: k[1]},
		req, hex.EncodeToString(sum[:]), "ec2", "us-east-1", time.Now()); err != nil {
		t.Fatal(err)
	}
	req.Body = io.NopCloser(bytes.NewReader(body))
	w := httptest.NewRecorder()
	f.srv.ServeHTTP(w, req)
	return w
}

func TestEC2Calls(t *testing.T) {
	b, err := os.ReadFile("testdata/ec2calls.json")
	if err != nil {
		t.Fatal(err)
	}
	var cases []struct {
		Note, As, Code string
		Params         map[string]string
		Status         int
		Contains       []string
		Count          map[string]int
	}
	if err := json.Unmarshal(b, &cases); err != nil {
		t.Fatal(err)
	}
	f := newEC2Fixture(t)
	f.user(t, "instancesOnly", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ec2:RunInstances","Resource":"arn:aws:ec2:*:*:instance/*"}]}`)
	f.user(t, "ec2All", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ec2:*","Resource":"*"}]}`)
	for _, tc := range cases {
		t.Run(tc.Note, func(t *testing.T) {
			params := url.Values{}
			for k, v := range tc.Params {
				params.Set(k, v)
			}
			w := f.call(t, tc.As, params)
			body := w.Body.String()
			if w.Code != tc.Status {
				t.Fatalf("got %d, want %d:\n%s", w.Code, tc.Status, body)
			}
			if tc.Code != "" && !strings.Contains(body, "<Code>"+tc.Code+"</Code>") {
				t.Errorf("want code %s in:\n%s", tc.Code, body)
			}
			for _, c := range tc.Contains {
				if !strings.Contains(body, c) {
					t.Errorf("want %q in:\n%s", c, body)
				}
			}
			for s, n := range tc.Count {
				if got := strings.Count(body, s); got != n {
					t.Errorf("%q appears %d times, want %d", s, got, n)
				}
			}
		})
	}
}
