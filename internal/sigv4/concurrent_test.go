package sigv4

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	sdkv4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// TestConcurrentVerify runs verifications from many goroutines through one Verifier whose
// key cache is far smaller than the set of keys, so entries are replaced while others read
// them; under -race this checks the lock-free cache. Every request must verify, and a wrong
// secret must never be accepted through a cached key.
func TestConcurrentVerify(t *testing.T) {
	now := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	v := New(Options{Now: func() time.Time { return now }, KeyCacheSize: 4})
	const keys = 20
	reqs := make([]*http.Request, keys)
	for i := range reqs {
		r, _ := http.NewRequest("GET", "http://127.0.0.1:7474/?Action=GetCallerIdentity", nil)
		creds := aws.Credentials{AccessKeyID: fmt.Sprintf("AKIA%016d", i), SecretAccessKey: fmt.Sprintf("secret-%d", i)}
		if err := sdkv4.NewSigner().SignHTTP(context.Background(), creds, r, emptySHA256, "sts", "us-east-1", now); err != nil {
			t.Fatal(err)
		}
		reqs[i] = r
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := range 300 {
				i := (g*7 + n) % keys
				req, err := v.Parse(reqs[i])
				if err != nil {
					t.Error(err)
					return
				}
				if err := req.Verify(fmt.Sprintf("secret-%d", i), ""); err != nil {
					t.Errorf("key %d: %v", i, err)
					return
				}
				if err := req.Verify(fmt.Sprintf("secret-%d", (i+1)%keys), ""); !isCode(err, "SignatureDoesNotMatch") {
					t.Errorf("key %d with another key's secret: got %v", i, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if n := v.keys.len(); n > 4 {
		t.Errorf("cache holds %d keys, want at most 4", n)
	}
}

func TestRequireService(t *testing.T) {
	req := &Request{Service: "iam"}
	if err := req.RequireService("iam"); err != nil {
		t.Errorf("same service: %v", err)
	}
	e, ok := asAWS(req.RequireService("sts"))
	if !ok || e.Code != "SignatureDoesNotMatch" || e.Message != "Credential should be scoped to correct service: 'sts'. " {
		t.Errorf("got %v, want SignatureDoesNotMatch naming sts", e)
	}
}
