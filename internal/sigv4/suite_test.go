package sigv4

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The AWS SigV4 test suite (testdata/aws-sig-v4-test-suite, from botocore, Apache-2.0): for
// each case a request (.req), its canonical request (.creq), string to sign (.sts),
// Authorization header (.authz) and signed request (.sreq).
const (
	suiteDir    = "testdata/aws-sig-v4-test-suite"
	suiteKey    = "AKIDEXAMPLE"
	suiteSecret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
)

// badSreq lists suite cases whose .sreq carries a wrong Authorization header; .authz holds
// the right one.
var badSreq = map[string]string{
	"get-vanilla-with-session-token/get-vanilla-with-session-token": "the .sreq's Signature is a " +
		"rotation of its security token, not a signature; .authz has the one its .creq and .sts give",
}

var suiteTime = time.Date(2015, 8, 30, 12, 36, 0, 0, time.UTC)

// TestSuite checks every case of the suite stage by stage: canonical URI and query from the
// unsigned .req, then from the signed .sreq the canonical request, the string to sign, the
// Authorization header, and that Verify accepts it (and rejects a wrong secret).
func TestSuite(t *testing.T) {
	var cases []string
	err := filepath.WalkDir(suiteDir, func(path string, d fs.DirEntry, err error) error {
		if err == nil && strings.HasSuffix(path, ".sreq") {
			cases = append(cases, strings.TrimSuffix(path, ".sreq"))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(cases) < 30 {
		t.Fatalf("found %d suite cases, want the whole suite (34)", len(cases))
	}
	for _, base := range cases {
		name, _ := filepath.Rel(suiteDir, base)
		t.Run(name, func(t *testing.T) {
			creq := readSuiteFile(t, base+".creq")
			sts := readSuiteFile(t, base+".sts")
			authz := readSuiteFile(t, base+".authz")
			creqLines := strings.Split(creq, "\n")

			// Stage 1: canonical URI and query, from the unsigned request alone.
			unsigned, _ := readSuiteRequest(t, base+".req")
			uri := string(appendCanonicalURI(nil, rawPath(unsigned), false))
			if uri != creqLines[1] {
				t.Errorf("canonical URI: got %q, want %q", uri, creqLines[1])
			}
			query := string(appendCanonicalQuery(nil, unsigned.URL.RawQuery, false))
			if query != creqLines[2] {
				t.Errorf("canonical query: got %q, want %q", query, creqLines[2])
			}

			// Stage 2 on: the signed request.
			r, body := readSuiteRequest(t, base+".sreq")
			if sent := r.Header.Get("Authorization"); sent != authz {
				if _, known := badSreq[name]; !known {
					t.Fatalf(".sreq Authorization differs from .authz:\n%s\n%s", sent, authz)
				}
				// The data is wrong, not the verifier: the signature as sent must fail,
				// and the suite's .authz must pass below.
				req, err := Parse(r, suiteTime)
				if err != nil {
					t.Fatalf("Parse: %v", err)
				}
				if err := req.Verify(suiteSecret, sha256Hex(body)); !isCode(err, "SignatureDoesNotMatch") {
					t.Errorf("Verify of the defective .sreq: got %v, want SignatureDoesNotMatch", err)
				}
				r.Header.Set("Authorization", authz)
			}
			req, err := Parse(r, suiteTime)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if req.AccessKeyID != suiteKey || req.Region != "us-east-1" || req.Service != "service" || !req.Date.Equal(suiteTime) {
				t.Errorf("scope: got %s/%s/%s at %v", req.AccessKeyID, req.Region, req.Service, req.Date)
			}
			bodyHash := sha256Hex(body)
			if got := req.CanonicalRequest(bodyHash); got != creq {
				t.Errorf("canonical request:\ngot:\n%s\nwant:\n%s", got, creq)
			}
			if got := req.StringToSign(bodyHash); got != sts {
				t.Errorf("string to sign:\ngot:\n%s\nwant:\n%s", got, sts)
			}
			gotAuthz := algorithm + " Credential=" + req.AccessKeyID + "/" + req.scope +
				", SignedHeaders=" + strings.Join(req.SignedHeaders, ";") +
				", Signature=" + req.signatureFor(suiteSecret, bodyHash)
			if gotAuthz != authz {
				t.Errorf("authorization:\ngot  %s\nwant %s", gotAuthz, authz)
			}
			if err := req.Verify(suiteSecret, bodyHash); err != nil {
				t.Errorf("Verify: %v", err)
			}
			if err := req.Verify("not-"+suiteSecret, bodyHash); !isCode(err, "SignatureDoesNotMatch") {
				t.Errorf("Verify with a wrong secret: got %v, want SignatureDoesNotMatch", err)
			}
			if strings.Contains(name, "sts") || strings.Contains(name, "session-token") {
				if req.SecurityToken == "" {
					t.Errorf("SecurityToken: got none, want the suite's token")
				}
			}
		})
	}
}

func readSuiteFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// readSuiteRequest reads a suite request as Go's server would present it. The files are
// not quite HTTP: .sreq files lack the blank line that ends the headers, lines end in "\n",
// and normalize-path/get-space has a raw space in its request line (which Go's parser
// rightly refuses). So the request line is split by hand (method, last-token protocol, and
// everything between as the target), and the rest goes through net/textproto, which folds
// continuation lines as a server does.
func readSuiteRequest(t *testing.T, path string) (*http.Request, []byte) {
	t.Helper()
	raw := readSuiteFile(t, path)
	head, body, hasBody := strings.Cut(raw, "\n\n")
	if !hasBody {
		body = ""
	}
	line, headers, _ := strings.Cut(head, "\n")
	method, rest, _ := strings.Cut(line, " ")
	target := rest[:strings.LastIndexByte(rest, ' ')]

	tp := strings.ReplaceAll(headers, "\n", "\r\n") + "\r\n\r\n"
	// A request line Go accepts lets http.ReadRequest do the header parsing.
	wire := "GET / HTTP/1.1\r\n" + tp
	parsed, err := http.ReadRequest(bufio.NewReader(strings.NewReader(wire)))
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	pathPart, rawQuery, _ := strings.Cut(target, "?")
	r := &http.Request{
		Method:        method,
		RequestURI:    target,
		URL:           &url.URL{Path: pathPart, RawPath: pathPart, RawQuery: rawQuery},
		Host:          parsed.Host,
		Header:        parsed.Header,
		ContentLength: int64(len(body)),
		Body:          io.NopCloser(bytes.NewReader([]byte(body))),
	}
	return r, []byte(body)
}

func sha256Hex(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}
