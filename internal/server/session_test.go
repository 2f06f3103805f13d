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
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"gatehouse/internal/iam"
	"gatehouse/internal/seal"
	"gatehouse/internal/server"
	"gatehouse/internal/store"
	"gatehouse/internal/sts"
)

// stsClock is the session service's clock; tests move it to expire sessions while SigV4
// keeps the real time the SDK signer uses.
type stsClock struct {
	mu sync.Mutex
	d  time.Duration
}

func (c *stsClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return time.Now().Add(c.d) }
func (c *stsClock) advance(d time.Duration) {
	c.mu.Lock()
	c.d += d
	c.mu.Unlock()
}

// stsFixture is a server with STS over a real SQLite file: root, user alice with a key, and
// role_1 that trusts alice and may read users.
type stsFixture struct {
	tb                    testing.TB
	srv                   *server.Server
	clock                 *stsClock
	rootID, rootSecret    string
	aliceID, aliceSecret  string
	account, roleARN      string
	sessID, sessSecret    string
	sessToken             string
	sessionBody, userBody []byte
}

func newSTSFixture(tb testing.TB) *stsFixture {
	tb.Helper()
	ctx := context.Background()
	st, err := store.OpenSQLite(ctx, filepath.Join(tb.TempDir(), "gatehouse.db"), store.Options{})
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
	f := &stsFixture{tb: tb, clock: &stsClock{}}
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
	f.rootID, f.rootSecret, f.account = b.RootKeyID, b.RootKeySecret, b.Account
	keyring, err := seal.Maintain(ctx, st, sealer, rand.Reader, f.clock.now, seal.Rotation{Every: 24 * time.Hour, MaxTokenLifetime: sts.MaxTokenLifetime})
	if err != nil {
		tb.Fatal(err)
	}
	stsSvc, err := sts.New(sts.Options{Keyring: keyring, Now: f.clock.now, Rand: rand.Reader})
	if err != nil {
		tb.Fatal(err)
	}
	f.srv = server.New(server.Config{IAM: svc, STS: stsSvc, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})

	aliceARN := "arn:aws:iam::" + f.account + ":user/alice"
	f.roleARN = "arn:aws:iam::" + f.account + ":role/role_1"
	for _, p := range []url.Values{
		{"Action": {"CreateUser"}, "UserName": {"alice"}},
		{"Action": {"CreateRole"}, "RoleName": {"role_1"}, "AssumeRolePolicyDocument": {`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"` + aliceARN + `"},"Action":"sts:AssumeRole"}]}`}},
		{"Action": {"PutRolePolicy"}, "RoleName": {"role_1"}, "PolicyName": {"read"}, "PolicyDocument": {`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:Get*","iam:List*"],"Resource":"*"}]}`}},
	} {
		p.Set("Version", "2010-05-08")
		if w := f.call("iam", f.rootID, f.rootSecret, "", p); w.Code != 200 {
			tb.Fatalf("%s: %d %s", p.Get("Action"), w.Code, w.Body)
		}
	}
	w := f.call("iam", f.rootID, f.rootSecret, "", url.Values{"Action": {"CreateAccessKey"}, "Version": {"2010-05-08"}, "UserName": {"alice"}})
	f.aliceID, f.aliceSecret = between(w.Body.String(), "<AccessKeyId>", "</AccessKeyId>"), between(w.Body.String(), "<SecretAccessKey>", "</SecretAccessKey>")
	w = f.call("sts", f.aliceID, f.aliceSecret, "", f.assumeParams())
	if w.Code != 200 {
		tb.Fatalf("AssumeRole: %d %s", w.Code, w.Body)
	}
	f.sessID = between(w.Body.String(), "<AccessKeyId>", "</AccessKeyId>")
	f.sessSecret = between(w.Body.String(), "<SecretAccessKey>", "</SecretAccessKey>")
	f.sessToken = between(w.Body.String(), "<SessionToken>", "</SessionToken>")
	return f
}

func (f *stsFixture) assumeParams() url.Values {
	return url.Values{"Action": {"AssumeRole"}, "Version": {"2011-06-15"}, "RoleArn": {f.roleARN}, "RoleSessionName": {"bench"}}
}

// signedReq signs a Query call for service as the SDK does.
func signedReq(tb testing.TB, service, keyID, secret, token string, params url.Values) (*http.Request, []byte) {
	tb.Helper()
	body := []byte(params.Encode())
	req := httptest.NewRequest("POST", "http://127.0.0.1:7474/", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	sum := sha256.Sum256(body)
	err := v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: keyID, SecretAccessKey: secret, SessionToken: token},
		req, hex.EncodeToString(sum[:]), service, "us-east-1", time.Now())
	if err != nil {
		tb.Fatal(err)
	}
	return req, body
}

func (f *stsFixture) serve(req *http.Request, body []byte) *httptest.ResponseRecorder {
	r := req.Clone(req.Context())
	r.Body = io.NopCloser(bytes.NewReader(body))
	w := httptest.NewRecorder()
	f.srv.ServeHTTP(w, r)
	return w
}

func (f *stsFixture) call(service, keyID, secret, token string, params url.Values) *httptest.ResponseRecorder {
	req, body := signedReq(f.tb, service, keyID, secret, token, params)
	return f.serve(req, body)
}

var callerIdentity = url.Values{"Action": {"GetCallerIdentity"}, "Version": {"2011-06-15"}}

// Authentication of temporary credentials at the edge, including what the SDK cannot be
// made to send against a live server: an expired session.
func TestSessionAuthentication(t *testing.T) {
	f := newSTSFixture(t)
	listUsers := url.Values{"Action": {"ListUsers"}, "Version": {"2010-05-08"}}
	otherTok := between(f.call("sts", f.aliceID, f.aliceSecret, "", f.assumeParams()).Body.String(), "<SessionToken>", "</SessionToken>")
	tests := []struct {
		note, service, keyID, secret, token string
		params                              url.Values
		wantStatus                          int
		wantCode                            string
	}{
		{"the session reads its caller identity", "sts", f.sessID, f.sessSecret, f.sessToken, callerIdentity, 200, ""},
		{"the session lists users, as its role allows", "iam", f.sessID, f.sessSecret, f.sessToken, listUsers, 200, ""},
		{"a temporary key without its token", "sts", f.sessID, f.sessSecret, "", callerIdentity, 403, "InvalidClientTokenId"},
		{"another session's token", "sts", f.sessID, f.sessSecret, otherTok, callerIdentity, 403, "InvalidClientTokenId"},
		{"a long-term key with a token", "sts", f.aliceID, f.aliceSecret, f.sessToken, callerIdentity, 403, "InvalidClientTokenId"},
		{"the wrong secret", "sts", f.sessID, f.aliceSecret, f.sessToken, callerIdentity, 403, "SignatureDoesNotMatch"},
	}
	for _, tc := range tests {
		w := f.call(tc.service, tc.keyID, tc.secret, tc.token, tc.params)
		if w.Code != tc.wantStatus || (tc.wantCode != "" && !strings.Contains(w.Body.String(), "<Code>"+tc.wantCode+"</Code>")) {
			t.Errorf("%s: got %d %s, want %d %s", tc.note, w.Code, w.Body, tc.wantStatus, tc.wantCode)
		}
	}
	if w := f.call("sts", f.sessID, f.sessSecret, f.sessToken, callerIdentity); !strings.Contains(w.Body.String(), "<Arn>arn:aws:sts::"+f.account+":assumed-role/role_1/bench</Arn>") {
		t.Errorf("GetCallerIdentity of the session: %s", w.Body)
	}
	f.clock.advance(time.Hour)
	w := f.call("sts", f.sessID, f.sessSecret, f.sessToken, callerIdentity)
	if w.Code != 403 || !strings.Contains(w.Body.String(), "<Code>ExpiredToken</Code><Message>The security token included in the request is expired</Message>") {
		t.Errorf("an expired session: got %d %s, want 403 ExpiredToken", w.Code, w.Body)
	}
}

// processCPU is the CPU time the whole process has used: parallel benchmarks report it per
// operation (cpu-ns/op) beside wall time, since a loaded machine inflates wall time only.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func parallelCPU(b *testing.B, f func()) {
	b.ReportAllocs()
	b.ResetTimer()
	start := processCPU()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			f()
		}
	})
	b.ReportMetric(float64(processCPU()-start)/float64(b.N), "cpu-ns/op")
}

// BenchmarkAssumeRoleServer is one signed AssumeRole through ServeHTTP: SigV4, decode, the
// trust and identity decision, sealing the session, the XML response.
func BenchmarkAssumeRoleServer(b *testing.B) {
	f := newSTSFixture(b)
	req, body := signedReq(b, "sts", f.aliceID, f.aliceSecret, "", f.assumeParams())
	parallelCPU(b, func() {
		if w := f.serve(req, body); w.Code != 200 {
			b.Fatalf("AssumeRole: %d %s", w.Code, w.Body)
		}
	})
}

// BenchmarkCallerIdentity compares one GetCallerIdentity signed with a long-term key and
// with session credentials: the difference is what opening the session token costs.
func BenchmarkCallerIdentity(b *testing.B) {
	f := newSTSFixture(b)
	for _, bc := range []struct{ name, id, secret, token string }{
		{"long-term", f.aliceID, f.aliceSecret, ""},
		{"session", f.sessID, f.sessSecret, f.sessToken},
	} {
		b.Run(bc.name, func(b *testing.B) {
			req, body := signedReq(b, "sts", bc.id, bc.secret, bc.token, callerIdentity)
			parallelCPU(b, func() {
				if w := f.serve(req, body); w.Code != 200 {
					b.Fatalf("GetCallerIdentity: %d %s", w.Code, w.Body)
				}
			})
		})
	}
}
