package sigv4

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"
)

// Fuzz targets guard the two parsers a client controls, the Authorization header and the
// presigned query, and the canonicalization steps behind them. Invariants: no panic; every
// failure is an *awserr.Error with a status; an accepted request has a host-signed, well
// formed scope; Verify then fails or succeeds cleanly.

func checkParsed(t *testing.T, r *http.Request, now time.Time) {
	t.Helper()
	v := New(Options{Now: func() time.Time { return now }, RegionFor: func(string) string { return "us-east-1" }})
	req, err := v.Parse(r)
	if err != nil {
		e, ok := asAWS(err)
		if !ok || e.Code == "" || e.Status < 400 || e.Message == "" {
			t.Fatalf("Parse error %v is not a complete *awserr.Error", err)
		}
		return
	}
	if !slices.Contains(req.SignedHeaders, "host") {
		t.Fatalf("accepted signed headers %v without host", req.SignedHeaders)
	}
	if req.Region != "us-east-1" || !validService(req.Service) || !strings.HasSuffix(req.scope, "/"+terminator) {
		t.Fatalf("accepted scope %q (region %q, service %q)", req.scope, req.Region, req.Service)
	}
	if d := req.Date.Sub(now); !req.Presigned && (d > 15*time.Minute || d < -15*time.Minute) {
		t.Fatalf("accepted a date %v from now", d)
	}
	if err := req.Verify(suiteSecret, ""); err != nil {
		if _, ok := asAWS(err); !ok {
			t.Fatalf("Verify error %v is not an *awserr.Error", err)
		}
	}
}

func FuzzParseAuthorization(f *testing.F) {
	f.Add("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b", "20150830T123600Z", "")
	f.Add("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request,SignedHeaders=host,Signature=00", "", "Sun, 30 Aug 2015 12:36:00 GMT")
	f.Add("AWS4-HMAC-SHA256 Credential=/20150830//s3/aws4_request, SignedHeaders=, Signature=", "2015-08-30", "")
	f.Add("Basic dXNlcjpwYXNz", "", "")
	f.Add("AWS AKIDEXAMPLE:frJIUN8DYpKDtOLCwo//yllqDzg=", "20150830T123600Z", "")
	f.Add("AWS4-HMAC-SHA256 Credential", "20150830T123600Z", "")
	f.Add("AWS4-ECDSA-P256-SHA256 Credential=A/20150830/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=ab", "20150830T123600Z", "")
	f.Fuzz(func(t *testing.T, authz, amzDate, date string) {
		r := &http.Request{Method: "GET", URL: &url.URL{Path: "/"}, RequestURI: "/", Host: "example.amazonaws.com", Header: http.Header{}}
		r.Header.Set("Authorization", authz)
		if amzDate != "" {
			r.Header.Set("X-Amz-Date", amzDate)
		}
		if date != "" {
			r.Header.Set("Date", date)
		}
		checkParsed(t, r, suiteTime)
	})
}

func FuzzParsePresigned(f *testing.F) {
	f.Add("/", "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20150830%2Fus-east-1%2Fservice%2Faws4_request&X-Amz-Date=20150830T123600Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host&X-Amz-Signature=00")
	f.Add("/bucket/key", "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=A%2F20150830%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20150830T123600Z&X-Amz-Expires=604801&X-Amz-SignedHeaders=host&X-Amz-Signature=00")
	f.Add("/a/./b/../c//", "X-Amz-Credential=A/20150830/us-east-1/sts/aws4_request&X-Amz-Signature=&Action=GetCallerIdentity")
	f.Add("/%zz", "X-Amz-Algorithm&X-Amz-Credential=%&a=%2&&=&X-Amz-Expires=-1")
	f.Fuzz(func(t *testing.T, path, rawQuery string) {
		if path == "" || path[0] != '/' {
			path = "/" + path
		}
		r := &http.Request{Method: "GET", URL: &url.URL{Path: path, RawQuery: rawQuery}, RequestURI: path + "?" + rawQuery, Host: "example.amazonaws.com", Header: http.Header{}}
		checkParsed(t, r, suiteTime)
	})
}

// FuzzCanonical checks the canonical URI and query steps: their output uses only the
// characters SigV4's encoding may produce, and normalization is idempotent.
func FuzzCanonical(f *testing.F) {
	f.Add("/example/../a//b/./c", "b=2&a=1&a=&c")
	f.Add("/ሴ space/%2F", "%E1%88%B4=bar&Param1=value+1&x=%zz")
	f.Fuzz(func(t *testing.T, path, rawQuery string) {
		if path != "" {
			n := normalizePath(path)
			if normalizePath(n) != n {
				t.Fatalf("normalizePath(%q) = %q, not a fixed point", path, n)
			}
			if needsNormalizing(n) {
				t.Fatalf("normalizePath(%q) = %q still needs normalizing", path, n)
			}
		}
		uri := string(appendCanonicalURI(nil, path, false))
		for i := 0; i < len(uri); i++ {
			if c := uri[i]; !unreserved(c) && c != '/' && c != '%' {
				t.Fatalf("canonical URI %q has %q", uri, c)
			}
		}
		q := string(appendCanonicalQuery(nil, rawQuery, false))
		for i := 0; i < len(q); i++ {
			if c := q[i]; !unreserved(c) && c != '%' && c != '=' && c != '&' {
				t.Fatalf("canonical query %q has %q", q, c)
			}
		}
	})
}

// FuzzParseAmzDate: the hand-written date parser agrees with time.Parse.
func FuzzParseAmzDate(f *testing.F) {
	for _, s := range []string{"20150830T123600Z", "20150431T000000Z", "20151301T000000Z", "20150830T246000Z", "2015083T123600Z", "+0150830T123600Z", "20160229T235959Z"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := parseAmzDate(s)
		want, err := time.Parse(timeFormat, s)
		wantOK := err == nil && len(s) == len(timeFormat)
		if ok != wantOK || ok && !got.Equal(want) {
			t.Fatalf("parseAmzDate(%q) = %v, %v; time.Parse: %v, %v", s, got, ok, want, err)
		}
	})
}
