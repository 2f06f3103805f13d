package sigv4

import (
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"
)

func loadCases[T any](t *testing.T, path string) []T {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var cases []T
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cases); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return cases
}

// TestCanonicalSteps runs testdata/canonical.json: each pipeline step alone.
func TestCanonicalSteps(t *testing.T) {
	type step struct{ Note, Step, Input, Want string }
	for _, c := range loadCases[step](t, "testdata/canonical.json") {
		var got string
		switch c.Step {
		case "uri":
			got = string(appendCanonicalURI(nil, c.Input, false))
		case "uri-s3":
			got = string(appendCanonicalURI(nil, c.Input, true))
		case "query":
			got = string(appendCanonicalQuery(nil, c.Input, false))
		case "header":
			got = string(appendTrimmed(nil, c.Input))
		default:
			t.Fatalf("%s: unknown step %q", c.Note, c.Step)
		}
		if got != c.Want {
			t.Errorf("%s: %s(%q): got %q, want %q", c.Note, c.Step, c.Input, got, c.Want)
		}
	}
}

// TestParseCases runs testdata/parse.json: what Parse accepts, and AWS's code, status and
// exact message for what it refuses. The server region is us-east-1.
func TestParseCases(t *testing.T) {
	type parseCase struct {
		Note     string
		Headers  map[string]string
		Target   string
		Now      string
		Code     string
		Status   int
		Message  string
		Unsigned bool
		Token    string
	}
	for _, c := range loadCases[parseCase](t, "testdata/parse.json") {
		now := suiteTime
		if c.Now != "" {
			var err error
			if now, err = time.Parse(timeFormat, c.Now); err != nil {
				t.Fatalf("%s: now: %v", c.Note, err)
			}
		}
		target := c.Target
		if target == "" {
			target = "/"
		}
		path, rawQuery, _ := strings.Cut(target, "?")
		r := &http.Request{Method: "GET", RequestURI: target, URL: &url.URL{Path: path, RawQuery: rawQuery},
			Host: "example.amazonaws.com", Header: http.Header{}}
		for k, v := range c.Headers {
			r.Header.Set(k, v)
		}
		v := New(Options{Now: func() time.Time { return now }, RegionFor: func(string) string { return "us-east-1" }})
		req, err := v.Parse(r)
		if c.Code == "" {
			if err != nil {
				t.Errorf("%s: got %v, want success", c.Note, err)
			} else if req.SecurityToken != c.Token {
				t.Errorf("%s: SecurityToken: got %q, want %q", c.Note, req.SecurityToken, c.Token)
			}
			continue
		}
		e, ok := asAWS(err)
		if !ok {
			t.Errorf("%s: got %v, want %s", c.Note, err, c.Code)
			continue
		}
		if e.Code != c.Code || e.Status != c.Status || e.Message != c.Message {
			t.Errorf("%s:\ngot  %s %d %q\nwant %s %d %q", c.Note, e.Code, e.Status, e.Message, c.Code, c.Status, c.Message)
		}
		if c.Unsigned && (req == nil || !req.Unsigned) {
			t.Errorf("%s: got request %+v, want one marked Unsigned", c.Note, req)
		}
	}
}

// TestKeyCache: a hit returns the same key; a different secret, day, region or service a
// different one; the table never grows past its bound.
func TestKeyCache(t *testing.T) {
	c := newKeyCache(8)
	a := c.get("secret", "20150830", "us-east-1", "iam")
	if c.get("secret", "20150830", "us-east-1", "iam") != a {
		t.Errorf("second lookup derived the key again")
	}
	for _, other := range [][4]string{
		{"secret2", "20150830", "us-east-1", "iam"}, {"secret", "20150831", "us-east-1", "iam"},
		{"secret", "20150830", "us-east-2", "iam"}, {"secret", "20150830", "us-east-1", "sts"},
	} {
		k := c.get(other[0], other[1], other[2], other[3])
		if string(k.inner) == string(a.inner) {
			t.Errorf("%v shares the key of secret/20150830/us-east-1/iam", other)
		}
	}
	for i := range 1000 {
		c.get("s", "20150830", "r", "svc"+string(rune('a'+i%26))+string(rune('a'+i/26%26)))
	}
	if n := c.len(); n > 8 {
		t.Errorf("cache holds %d keys, want at most 8", n)
	}
}
