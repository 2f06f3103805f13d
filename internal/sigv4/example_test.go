package sigv4_test

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"gatehouse/internal/awserr"
	"gatehouse/internal/sigv4"
)

// A server reads the body once, parses, routes on the scope's service, finds the secret
// for the key ID (or answers with the dialect's unknown-key error), and verifies.
func Example() {
	const wire = "POST / HTTP/1.1\r\n" +
		"Host: example.amazonaws.com\r\n" +
		"Content-Type: application/x-www-form-urlencoded\r\n" +
		"X-Amz-Date: 20150830T123600Z\r\n" +
		"Authorization: AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, " +
		"SignedHeaders=content-type;host;x-amz-date, Signature=ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a\r\n" +
		"Content-Length: 13\r\n\r\n" +
		"Param1=value1"
	secrets := map[string]string{"AKIDEXAMPLE": "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"}

	v := sigv4.New(sigv4.Options{
		Now:       func() time.Time { return time.Date(2015, 8, 30, 12, 40, 0, 0, time.UTC) },
		RegionFor: func(service string) string { return "us-east-1" },
	})
	r, _ := http.ReadRequest(bufio.NewReader(strings.NewReader(wire)))
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	sum := sha256.Sum256(body)

	check := func() error {
		req, err := v.Parse(r)
		if err != nil {
			return err // an *awserr.Error; req.Unsigned tells an anonymous request apart
		}
		secret, ok := secrets[req.AccessKeyID]
		if !ok {
			return req.UnknownAccessKey()
		}
		if err := req.Verify(secret, hex.EncodeToString(sum[:])); err != nil {
			return err
		}
		fmt.Println("verified", req.AccessKeyID, "for", req.Service, "in", req.Region)
		return nil
	}
	if err := check(); err != nil {
		fmt.Println(err)
	}

	r.Header.Set("Content-Type", "text/plain") // a signed header changed in flight
	if e, ok := awserr.As(check()); ok {
		fmt.Println(e.Status, e.Code)
	}
	// Output:
	// verified AKIDEXAMPLE for service in us-east-1
	// 403 SignatureDoesNotMatch
}
