package sigv4

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/url"
	"testing"
	"time"
)

// TestDateHeader: without X-Amz-Date the Date header (RFC 1123) gives the time, and the
// string to sign carries it in ISO 8601 basic format. The expected signature is computed here
// by hand, independently of the package's pipeline.
func TestDateHeader(t *testing.T) {
	mac := func(key []byte, s string) []byte {
		h := hmac.New(sha256.New, key)
		h.Write([]byte(s))
		return h.Sum(nil)
	}
	creq := "GET\n/\n\ndate:Sun, 30 Aug 2015 12:36:00 GMT\nhost:example.amazonaws.com\n\ndate;host\n" + emptySHA256
	ch := sha256.Sum256([]byte(creq))
	sts := "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/sts/aws4_request\n" + hex.EncodeToString(ch[:])
	key := mac(mac(mac(mac([]byte("AWS4"+suiteSecret), "20150830"), "us-east-1"), "sts"), "aws4_request")
	sig := hex.EncodeToString(mac(key, sts))

	r := &http.Request{Method: "GET", RequestURI: "/", URL: &url.URL{Path: "/"}, Host: "example.amazonaws.com", Header: http.Header{}}
	r.Header.Set("Date", "Sun, 30 Aug 2015 12:36:00 GMT")
	r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/sts/aws4_request, SignedHeaders=date;host, Signature="+sig)
	req, err := Parse(r, suiteTime.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if got := req.CanonicalRequest(""); got != creq {
		t.Errorf("canonical request:\ngot:\n%s\nwant:\n%s", got, creq)
	}
	if got := req.StringToSign(""); got != sts {
		t.Errorf("string to sign:\ngot:\n%s\nwant:\n%s", got, sts)
	}
	if err := req.Verify(suiteSecret, ""); err != nil {
		t.Errorf("Verify: %v", err)
	}
}
