package server_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"gatehouse/internal/iam"
	"gatehouse/internal/seal"
	"gatehouse/internal/server"
	"gatehouse/internal/store"
)

// fixture is a server over a real SQLite file with one account.
type fixture struct {
	srv    *server.Server
	svc    *iam.Service
	keyID  string
	secret string
}

func newFixture(tb testing.TB) *fixture {
	tb.Helper()
	ctx := context.Background()
	dir := tb.TempDir()
	st, err := store.OpenSQLite(ctx, filepath.Join(dir, "gatehouse.db"), store.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	master := make([]byte, seal.KeySize)
	_, _ = rand.Read(master)
	sealer, err := seal.New(master, rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	f := &fixture{}
	svc, err := iam.New(iam.Options{Store: st, Sealer: sealer, OnChange: func(c iam.Change) {
		if f.srv != nil {
			f.srv.Invalidate(c)
		}
	}})
	if err != nil {
		tb.Fatal(err)
	}
	b, err := svc.Bootstrap(ctx, "")
	if err != nil {
		tb.Fatal(err)
	}
	f.svc, f.keyID, f.secret = svc, b.RootKeyID, b.RootKeySecret
	f.srv = server.New(server.Config{IAM: svc, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	return f
}

// signed returns a request signed as the SDK signs a Query call, and its body.
func (f *fixture) signed(tb testing.TB, keyID, secret string, params url.Values) (*http.Request, []byte) {
	tb.Helper()
	body := []byte(params.Encode())
	req := httptest.NewRequest("POST", "http://127.0.0.1:7474/", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	sum := sha256.Sum256(body)
	err := v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: keyID, SecretAccessKey: secret},
		req, hex.EncodeToString(sum[:]), "iam", "us-east-1", time.Now())
	if err != nil {
		tb.Fatal(err)
	}
	return req, body
}

func (f *fixture) do(req *http.Request, body []byte) *httptest.ResponseRecorder {
	r := req.Clone(req.Context())
	r.Body = io.NopCloser(bytes.NewReader(body))
	w := httptest.NewRecorder()
	f.srv.ServeHTTP(w, r)
	return w
}

// BenchmarkGetUser is the edge's cost of one signed GetUser as root: SigV4 with a cached
// key, decode, authorization, a SQLite read and the XML response (no network).
func BenchmarkGetUser(b *testing.B) {
	f := newFixture(b)
	create, cb := f.signed(b, f.keyID, f.secret, url.Values{"Action": {"CreateUser"}, "Version": {"2010-05-08"}, "UserName": {"reader"}})
	if w := f.do(create, cb); w.Code != 200 {
		b.Fatalf("CreateUser: %d %s", w.Code, w.Body)
	}
	req, body := f.signed(b, f.keyID, f.secret, url.Values{"Action": {"GetUser"}, "Version": {"2010-05-08"}, "UserName": {"reader"}})
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if w := f.do(req, body); w.Code != 200 {
				b.Fatalf("GetUser: %d %s", w.Code, w.Body)
			}
		}
	})
}

// BenchmarkGetUserAsUser is the same call by an IAM user whose policies are evaluated.
func BenchmarkGetUserAsUser(b *testing.B) {
	f := newFixture(b)
	for _, p := range []url.Values{
		{"Action": {"CreateUser"}, "Version": {"2010-05-08"}, "UserName": {"alice"}},
		{"Action": {"PutUserPolicy"}, "Version": {"2010-05-08"}, "UserName": {"alice"}, "PolicyName": {"self"},
			"PolicyDocument": {`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:Get*","iam:List*"],"Resource":"arn:aws:iam::*:user/${aws:username}"}]}`}},
	} {
		r, body := f.signed(b, f.keyID, f.secret, p)
		if w := f.do(r, body); w.Code != 200 {
			b.Fatalf("%s: %d %s", p.Get("Action"), w.Code, w.Body)
		}
	}
	r, body := f.signed(b, f.keyID, f.secret, url.Values{"Action": {"CreateAccessKey"}, "Version": {"2010-05-08"}, "UserName": {"alice"}})
	w := f.do(r, body)
	if w.Code != 200 {
		b.Fatalf("CreateAccessKey: %d %s", w.Code, w.Body)
	}
	id, secret := between(w.Body.String(), "<AccessKeyId>", "</AccessKeyId>"), between(w.Body.String(), "<SecretAccessKey>", "</SecretAccessKey>")
	req, rb := f.signed(b, id, secret, url.Values{"Action": {"GetUser"}, "Version": {"2010-05-08"}, "UserName": {"alice"}})
	if w := f.do(req, rb); w.Code != 200 {
		b.Fatalf("GetUser as alice: %d %s", w.Code, w.Body)
	}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if w := f.do(req, rb); w.Code != 200 {
				b.Fatalf("GetUser: %d %s", w.Code, w.Body)
			}
		}
	})
}

func between(s, a, b string) string {
	i := bytes.Index([]byte(s), []byte(a))
	if i < 0 {
		return ""
	}
	s = s[i+len(a):]
	j := bytes.Index([]byte(s), []byte(b))
	if j < 0 {
		return ""
	}
	return s[:j]
}
