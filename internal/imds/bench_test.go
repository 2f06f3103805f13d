package imds

import (
	"net/http/httptest"
	"testing"
)

// BenchmarkCredentials is one IMDSv2 credentials request in steady state: token checked,
// instance read, cached session served as JSON.
func BenchmarkCredentials(b *testing.B) {
	e := newEnv(&testing.T{})
	h := e.svc.Handler("111122223333", testID)
	r := httptest.NewRequest("PUT", "/latest/api/token", nil)
	r.Header.Set(hdrTTL, "21600")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	tok := w.Body.String()
	req := httptest.NewRequest("GET", "/latest/meta-data/iam/security-credentials/role_1", nil)
	req.Header.Set(hdrToken, tok)
	b.ReportAllocs()
	for b.Loop() {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != 200 {
			b.Fatalf("got %d", w.Code)
		}
	}
}

// BenchmarkToken is one PUT /latest/api/token.
func BenchmarkToken(b *testing.B) {
	e := newEnv(&testing.T{})
	h := e.svc.Handler("111122223333", testID)
	r := httptest.NewRequest("PUT", "/latest/api/token", nil)
	r.Header.Set(hdrTTL, "21600")
	b.ReportAllocs()
	for b.Loop() {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
	}
}
