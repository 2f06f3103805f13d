package awsproto_test

import (
	"bytes"
	"encoding/xml"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gatehouse/internal/awserr"
	"gatehouse/internal/awsproto"
	"gatehouse/internal/awsproto/ec2api"
	"gatehouse/internal/awsproto/iamapi"
	"gatehouse/internal/awsproto/stsapi"
)

var update = flag.Bool("update", false, "rewrite testdata/golden from the current encoder")

// golden compares got with testdata/golden/name, or rewrites it with -update. Every
// document must also be well-formed XML.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	wellFormed(t, got)
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s:\ngot  %s\nwant %s", name, got, want)
	}
}

func wellFormed(t *testing.T, doc []byte) {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(doc))
	for {
		_, err := d.Token()
		if err == io.EOF {
			return
		}
		if err != nil {
			t.Fatalf("not well-formed XML: %v\n%s", err, doc)
		}
	}
}

// The exact documents, as AWS's own responses read: pinned so a change to the encoder is a
// visible diff. Each case notes what it shows.
func TestGoldenResponses(t *testing.T) {
	u := sampleUser("alice")
	for _, c := range []struct {
		file string
		note string
		svc  *awsproto.Service
		op   string
		out  any
	}{
		{"iam_getuser.xml", "Query result wrapper, ResponseMetadata, second-precision UTC times, escaped text, tags as member", awsproto.IAM, "GetUser", &iamapi.GetUserOutput{User: u}},
		{"iam_deleteuser.xml", "an operation without output: only ResponseMetadata", awsproto.IAM, "DeleteUser", nil},
		{"iam_getuser_root.xml", "the root user: AWS leaves out UserName and Path, which the model requires", awsproto.IAM, "GetUser",
			&iamapi.GetUserOutput{User: iamapi.User{UserId: "123456789012", Arn: "arn:aws:iam::123456789012:root", CreateDate: u.CreateDate}}},
		{"iam_listusers_empty.xml", "a required list with no elements is written empty", awsproto.IAM, "ListUsers", &iamapi.ListUsersOutput{IsTruncated: ptr(false)}},
		{"iam_accountsummary.xml", "maps as entry/key/value, in key order", awsproto.IAM, "GetAccountSummary", &iamapi.GetAccountSummaryOutput{SummaryMap: map[string]int32{"Users": 3, "Groups": 1}}},
		{"sts_getcalleridentity.xml", "STS's namespace", awsproto.STS, "GetCallerIdentity", &stsapi.GetCallerIdentityOutput{Account: ptr("123456789012"), Arn: ptr("arn:aws:iam::123456789012:root"), UserId: ptr("123456789012")}},
		{"ec2_runinstances.xml", "EC2: XML declaration, requestId first, lower-case locationNames, lists as item, millisecond times", awsproto.EC2, "RunInstances", ptr(sampleReservation())},
	} {
		t.Run(c.file, func(t *testing.T) {
			golden(t, c.file, c.svc.AppendResponse(nil, c.svc.Operations[c.op], c.out, requestID))
		})
	}
}

func TestWriteError(t *testing.T) {
	for _, c := range []struct {
		file       string
		note       string
		svc        *awsproto.Service
		err        error
		status     int
		idHeader   string
		wantAbsent string
	}{
		{"iam_error.xml", "Query error document, Sender fault, status from the error", awsproto.IAM,
			fmt.Errorf("get user: %w", iamapi.NoSuchEntity("The user with name %s cannot be found.", "bob")), 404, "X-Amzn-Requestid", ""},
		{"iam_receiver_error.xml", "a server fault is Type Receiver", awsproto.IAM, iamapi.ServiceFailure("Service failure"), 500, "X-Amzn-Requestid", ""},
		{"iam_internal_failure.xml", "any other error is InternalFailure with no internal text", awsproto.IAM,
			errors.New("open /var/lib/gatehouse/db: permission denied"), 500, "X-Amzn-Requestid", "/var/lib"},
		{"ec2_error.xml", "EC2's Response/Errors/Error with RequestID", awsproto.EC2,
			ec2api.InvalidInstanceIDNotFound("The instance ID '%s' does not exist", "i-404"), 400, "", ""},
		{"s3_error.xml", "S3's REST-XML Error", awsproto.S3, awserr.New(404, "NoSuchBucket", "The specified bucket does not exist"), 404, "X-Amz-Request-Id", ""},
		{"nil_service_error.xml", "no service known yet (e.g. before routing): a Query document without namespace", nil,
			awserr.New(403, "MissingAuthenticationToken", "Missing Authentication Token"), 403, "X-Amzn-Requestid", ""},
	} {
		t.Run(c.file, func(t *testing.T) {
			w := httptest.NewRecorder()
			ae := awsproto.WriteError(w, c.svc, c.err, requestID)
			if w.Code != c.status || ae.Status != c.status {
				t.Errorf("got status %d (wire %d), want %d", w.Code, ae.Status, c.status)
			}
			if ct := w.Header().Get("Content-Type"); ct != "text/xml" {
				t.Errorf("got Content-Type %q, want text/xml", ct)
			}
			if c.idHeader != "" && w.Header().Get(c.idHeader) != requestID {
				t.Errorf("got %s %q, want %q", c.idHeader, w.Header().Get(c.idHeader), requestID)
			}
			if c.wantAbsent != "" && strings.Contains(w.Body.String(), c.wantAbsent) {
				t.Errorf("internal detail %q leaked: %s", c.wantAbsent, w.Body.String())
			}
			golden(t, c.file, w.Body.Bytes())
		})
	}
}

// A wire error without a status still gets one: 400 for a Sender, 500 for a Receiver.
func TestWireErrorDefaultsStatus(t *testing.T) {
	if got := awsproto.WireError(&awserr.Error{Code: "X"}).Status; got != 400 {
		t.Errorf("got %d, want 400", got)
	}
	if got := awsproto.WireError(&awserr.Error{Code: "X", Receiver: true}).Status; got != 500 {
		t.Errorf("got %d, want 500", got)
	}
}

// Text the XML cannot carry (control characters, invalid UTF-8) is replaced, never
// written raw; markup characters are escaped.
func TestEncodeEscapes(t *testing.T) {
	out := &iamapi.GetUserOutput{User: iamapi.User{UserName: "a<b>&\"'\x00\x1b\xff\r\n\t\U0001F600"}}
	doc := awsproto.IAM.AppendResponse(nil, awsproto.IAM.Operations["GetUser"], out, "id")
	wellFormed(t, doc)
	var parsed struct {
		Name string `xml:"GetUserResult>User>UserName"`
	}
	if err := xml.Unmarshal(doc, &parsed); err != nil {
		t.Fatal(err)
	}
	if want := "a<b>&\"'\uFFFD\uFFFD\uFFFD\r\n\t\U0001F600"; parsed.Name != want {
		t.Errorf("got %q, want %q", parsed.Name, want)
	}
}
