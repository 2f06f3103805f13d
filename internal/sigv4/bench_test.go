package sigv4

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	sdkv4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// benchRequest is an IAM GetUser call as the AWS SDK for Go sends it, signed, read back as a
// server sees it.
func benchRequest(b testing.TB) (*http.Request, string, time.Time) {
	b.Helper()
	body := "Action=GetUser&UserName=alice&Version=2010-05-08"
	now := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	r, err := http.NewRequest("POST", "http://127.0.0.1:7474/", strings.NewReader(body))
	if err != nil {
		b.Fatal(err)
	}
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.Header.Set("Amz-Sdk-Invocation-Id", "7f5c1c3e-46a5-4f0b-9b1f-1e0e3e1c2d3f")
	r.Header.Set("Amz-Sdk-Request", "attempt=1; max=3")
	creds := aws.Credentials{AccessKeyID: "AKIAIOSFODNN7EXAMPLE", SecretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}
	hash := sha256Hex([]byte(body))
	if err := sdkv4.NewSigner().SignHTTP(context.Background(), creds, r, hash, "iam", "us-east-1", now); err != nil {
		b.Fatal(err)
	}
	var wire bytes.Buffer
	if err := r.Write(&wire); err != nil {
		b.Fatal(err)
	}
	sr, err := http.ReadRequest(bufio.NewReader(&wire))
	if err != nil {
		b.Fatal(err)
	}
	return sr, hash, now
}

const benchSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"

// BenchmarkVerifyCachedKey is the steady state: the derived key is cached, so a verification
// is the canonical request's hash, the string to sign and one HMAC.
func BenchmarkVerifyCachedKey(b *testing.B) {
	r, hash, now := benchRequest(b)
	v := New(Options{Now: func() time.Time { return now }})
	req, err := v.Parse(r)
	if err != nil {
		b.Fatal(err)
	}
	if err := req.Verify(benchSecret, hash); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	defer reportCPU(b)()
	for b.Loop() {
		if err := req.Verify(benchSecret, hash); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerifyColdKey derives the signing key every time (four HMACs more).
func BenchmarkVerifyColdKey(b *testing.B) {
	r, hash, now := benchRequest(b)
	req, err := Parse(r, now) // no cache
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	defer reportCPU(b)()
	for b.Loop() {
		if err := req.Verify(benchSecret, hash); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParse extracts the credential, checks dates and scope, and builds the canonical
// request up to the payload hash.
func BenchmarkParse(b *testing.B) {
	r, _, now := benchRequest(b)
	v := New(Options{Now: func() time.Time { return now }})
	b.ReportAllocs()
	defer reportCPU(b)()
	for b.Loop() {
		if _, err := v.Parse(r); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseVerifyCachedKey is what a server pays per request.
func BenchmarkParseVerifyCachedKey(b *testing.B) {
	r, hash, now := benchRequest(b)
	v := New(Options{Now: func() time.Time { return now }})
	b.ReportAllocs()
	defer reportCPU(b)()
	for b.Loop() {
		req, err := v.Parse(r)
		if err != nil {
			b.Fatal(err)
		}
		if err := req.Verify(benchSecret, hash); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerifyCachedKeyParallel checks that the key cache's lock does not serialize
// verifications across cores.
func BenchmarkVerifyCachedKeyParallel(b *testing.B) {
	r, hash, now := benchRequest(b)
	v := New(Options{Now: func() time.Time { return now }})
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		req, err := v.Parse(r)
		if err != nil {
			b.Error(err)
			return
		}
		for pb.Next() {
			if err := req.Verify(benchSecret, hash); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkSHA256Block is the reference: one SHA-256 compression (a 55-byte message is one
// padded block). A verification with a cached key costs about ten of these, whatever the
// machine; compare the two when reading the figures.
func BenchmarkSHA256Block(b *testing.B) {
	msg := make([]byte, 55)
	defer reportCPU(b)()
	for b.Loop() {
		sha256Sink = sha256.Sum256(msg)
	}
}

var sha256Sink [sha256.Size]byte

// TestBenchRequestBlocks records how many SHA-256 blocks BenchmarkVerifyCachedKey's request
// costs, so its figure can be read against BenchmarkSHA256Block.
func TestBenchRequestBlocks(t *testing.T) {
	r, hash, now := benchRequest(t)
	req, err := Parse(r, now)
	if err != nil {
		t.Fatal(err)
	}
	blocks := func(n int) int { return (n + 9 + 63) / 64 }
	canon := len(req.CanonicalRequest(hash))
	sts := len(req.StringToSign(hash))
	// Canonical request; the inner HMAC after the cached pad state; the outer HMAC likewise.
	total := blocks(canon) + blocks(64+sts) - 1 + blocks(64+32) - 1
	t.Logf("canonical request %d bytes, string to sign %d bytes: %d SHA-256 blocks per verification", canon, sts, total)
}

// reportCPU adds a cpu-ns/op metric (see processCPU); call as defer reportCPU(b)().
func reportCPU(b *testing.B) func() {
	start := processCPU()
	return func() {
		if b.N > 0 && start > 0 {
			b.ReportMetric(float64(processCPU()-start)/float64(b.N), "cpu-ns/op")
		}
	}
}
