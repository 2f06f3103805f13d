package server

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
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"gatehouse/internal/iam"
	"gatehouse/internal/seal"
	"gatehouse/internal/store"
	"gatehouse/internal/sts"
)

// BenchmarkAuthenticate isolates what the target is about: parsing and verifying a
// request signed with a long-term key versus one signed with session credentials (the same
// GetCallerIdentity, the same signer), single-threaded, with the calling thread's CPU time
// per operation beside wall time. The difference is the session's cost.
func BenchmarkAuthenticate(b *testing.B) {
	ctx := context.Background()
	st, err := store.OpenSQLite(ctx, filepath.Join(b.TempDir(), "gatehouse.db"), store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	master := make([]byte, seal.KeySize)
	_, _ = rand.Read(master)
	sealer, _ := seal.New(master, rand.Reader)
	svc, err := iam.New(iam.Options{Store: st, Sealer: sealer})
	if err != nil {
		b.Fatal(err)
	}
	boot, err := svc.Bootstrap(ctx, "")
	if err != nil {
		b.Fatal(err)
	}
	keyring, err := seal.NewKeyring(rand.Reader, time.Now)
	if err != nil {
		b.Fatal(err)
	}
	stsSvc, _ := sts.New(sts.Options{Keyring: keyring, Rand: rand.Reader})
	s := New(Config{IAM: svc, STS: stsSvc, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})

	get := url.Values{"Action": {"GetSessionToken"}, "Version": {"2011-06-15"}}
	w := serveSigned(b, s, boot.RootKeyID, boot.RootKeySecret, "", get)
	body := w.Body.String()
	sessID, sessSecret, sessToken := cut(body, "AccessKeyId"), cut(body, "SecretAccessKey"), cut(body, "SessionToken")
	if sessToken == "" {
		b.Fatalf("GetSessionToken: %d %s", w.Code, body)
	}
	who := url.Values{"Action": {"GetCallerIdentity"}, "Version": {"2011-06-15"}}
	for _, bc := range []struct{ name, id, secret, token string }{
		{"long-term", boot.RootKeyID, boot.RootKeySecret, ""},
		{"session", sessID, sessSecret, sessToken},
	} {
		b.Run(bc.name, func(b *testing.B) {
			req, reqBody := signed(b, bc.id, bc.secret, bc.token, who)
			c := &call{r: req, body: reqBody}
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			b.ReportAllocs()
			start, n := threadCPU(), 0
			for b.Loop() {
				sreq, err := s.verifier.Parse(req)
				if err != nil {
					b.Fatal(err)
				}
				c.service = serviceFor(sreq.Service)
				if _, err := s.authenticate(c, sreq); err != nil {
					b.Fatal(err)
				}
				n++
			}
			b.ReportMetric(float64(threadCPU()-start)/float64(n), "cpu-ns/op")
		})
	}
}

func threadCPU() time.Duration {
	var ru syscall.Rusage
	const rusageThread = 1 // RUSAGE_THREAD (Linux)
	if err := syscall.Getrusage(rusageThread, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func signed(tb testing.TB, keyID, secret, token string, params url.Values) (*http.Request, []byte) {
	tb.Helper()
	body := []byte(params.Encode())
	req := httptest.NewRequest("POST", "http://127.0.0.1:7474/", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	sum := sha256.Sum256(body)
	err := v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: keyID, SecretAccessKey: secret, SessionToken: token},
		req, hex.EncodeToString(sum[:]), "sts", "us-east-1", time.Now())
	if err != nil {
		tb.Fatal(err)
	}
	return req, body
}

func serveSigned(tb testing.TB, s *Server, keyID, secret, token string, params url.Values) *httptest.ResponseRecorder {
	req, body := signed(tb, keyID, secret, token, params)
	req.Body = io.NopCloser(bytes.NewReader(body))
	w := httptest.NewRecorder()
	s.ServeHTTP(w, req)
	return w
}

func cut(s, elem string) string {
	_, rest, ok := strings.Cut(s, "<"+elem+">")
	if !ok {
		return ""
	}
	v, _, _ := strings.Cut(rest, "</"+elem+">")
	return v
}
