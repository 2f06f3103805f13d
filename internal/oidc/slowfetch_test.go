package oidc

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// TestSlowFailureNotRetriedByWaiters: a fetch that fails slowly (an issuer that times out)
// is not retried by the callers that waited for it: failRetry counts from when the failure
// was known, not from when the fetch began, or every queued caller would wait out a fetch
// of its own, one after another.
func TestSlowFailureNotRetriedByWaiters(t *testing.T) {
	var clock atomic.Int64
	clock.Store(1_800_000_000)
	now := func() time.Time { return time.Unix(clock.Load(), 0) }
	var fetches atomic.Int32
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fetches.Add(1)
		clock.Add(int64(2 * failRetry / time.Second)) // the issuer took its time, then failed
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer srv.Close()
	v := NewVerifier(Options{Now: now})
	p := Provider{URL: srv.URL, ClientIDs: []string{"app"}, Thumbprints: []string{CertThumbprint(srv.Certificate())}}
	tok, err := Parse(sign(t, jose.RS256, testRSA, "rsa1", map[string]any{"iss": srv.URL, "sub": "s", "aud": "app", "exp": now().Unix() + 86400}))
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if _, err := v.Verify(context.Background(), tok, p, now()); KindOf(err) != Unreachable {
			t.Fatalf("call %d: %v, want Unreachable", i, err)
		}
		if i == 0 {
			clock.Add(1) // the next callers come a second after the failure
		}
	}
	if n := fetches.Load(); n != 1 {
		t.Fatalf("the issuer was asked %d times, want 1", n)
	}
}
