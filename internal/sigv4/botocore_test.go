package sigv4

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestBotocore is a second, independent signer: botocore, which the AWS CLI and boto3 use.
// Unlike aws-sdk-go-v2 it normalizes the path (dot segments, repeated slashes) for every
// service but S3, so requests with such paths must verify here. testdata/botocore_sign.py
// prints the signed requests; the test is skipped where Python has no botocore.
func TestBotocore(t *testing.T) {
	if err := exec.Command("python3", "-c", "import botocore").Run(); err != nil {
		t.Skip("python3 with botocore is not available")
	}
	n := "600"
	if testing.Short() {
		n = "100"
	}
	out, err := exec.Command("python3", "testdata/botocore_sign.py", "20150830", n).Output()
	if err != nil {
		t.Fatalf("botocore_sign.py: %v", err)
	}
	type signed struct {
		Method, URL, Body, Secret, Service, Time, Token string
		Headers                                         [][2]string
		Presigned                                       bool
	}
	count, dotted := 0, 0
	for line := range strings.SplitSeq(strings.TrimSpace(string(out)), "\n") {
		var s signed
		if err := json.Unmarshal([]byte(line), &s); err != nil {
			t.Fatal(err)
		}
		u, err := url.Parse(s.URL)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := base64.StdEncoding.DecodeString(s.Body)
		var wire bytes.Buffer
		target := u.EscapedPath()
		if u.RawPath != "" {
			target = u.RawPath
		}
		if u.RawQuery != "" {
			target += "?" + u.RawQuery
		}
		wire.WriteString(s.Method + " " + target + " HTTP/1.1\r\n")
		for _, h := range s.Headers {
			wire.WriteString(h[0] + ": " + h[1] + "\r\n")
		}
		wire.WriteString("\r\n")
		wire.Write(body)
		r, err := http.ReadRequest(bufio.NewReader(&wire))
		if err != nil {
			t.Fatalf("%s: %v", line, err)
		}
		if needsNormalizing(strings.SplitN(target, "?", 2)[0]) {
			dotted++
		}
		now, _ := time.Parse(timeFormat, s.Time)
		req, err := Parse(r, now.Add(time.Minute))
		if err != nil {
			t.Fatalf("Parse: %v\n%s", err, line)
		}
		if err := req.Verify(s.Secret, sha256Hex(body)); err != nil {
			t.Fatalf("Verify: %v\ncanonical request:\n%s\n%s", err, req.CanonicalRequest(sha256Hex(body)), line)
		}
		if req.SecurityToken != s.Token {
			t.Fatalf("SecurityToken: got %q, want %q", req.SecurityToken, s.Token)
		}
		count++
	}
	t.Logf("%d botocore-signed requests verified, %d with paths that needed normalizing", count, dotted)
}
