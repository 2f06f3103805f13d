package awsproto_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"gatehouse/internal/awserr"
	"gatehouse/internal/awsproto"
	"gatehouse/internal/awsproto/model"
)

// ErrorService answers an awsJson request in JSON whatever it was routed to, and any other
// request with the routed service's document.
func TestErrorService(t *testing.T) {
	for _, c := range []struct {
		note         string
		routed       *awsproto.Service
		header       http.Header
		wantProtocol model.Protocol
		wantVersion  string
	}{
		{"awsJson1_1 Content-Type", nil, http.Header{"Content-Type": {"application/x-amz-json-1.1"}}, model.JSON, "1.1"},
		{"awsJson1_0 Content-Type with parameters", awsproto.IAM, http.Header{"Content-Type": {"Application/X-Amz-Json-1.0; charset=utf-8"}}, model.JSON, "1.0"},
		{"X-Amz-Target alone", awsproto.S3, http.Header{"X-Amz-Target": {"AmazonSSM.GetParameter"}}, model.JSON, "1.1"},
		{"Query form stays Query", awsproto.IAM, http.Header{"Content-Type": {"application/x-www-form-urlencoded; charset=utf-8"}}, model.Query, ""},
		{"EC2 stays EC2", awsproto.EC2, http.Header{}, model.EC2, ""},
		{"S3 with a JSON object stays REST-XML", awsproto.S3, http.Header{"Content-Type": {"application/json"}}, model.RESTXML, ""},
	} {
		t.Run(c.note, func(t *testing.T) {
			got := awsproto.ErrorService(c.routed, c.header)
			if got == nil || got.Protocol != c.wantProtocol || got.JSONVersion != c.wantVersion {
				t.Errorf("got %+v, want protocol %s version %q", got, c.wantProtocol, c.wantVersion)
			}
		})
	}
	if got := awsproto.ErrorService(nil, http.Header{}); got != nil {
		t.Errorf("got %+v for an unrouted non-JSON request, want nil (Query without namespace)", got)
	}
}

// WriteError's JSON document (https://smithy.io/2.0/aws/protocols/aws-json-1_1-protocol.html,
// Operation error serialization): the code in __type and X-Amzn-Errortype, the message in
// "message", JSON-escaped; an unexpected error is InternalFailure with no internal text.
func TestWriteErrorJSON(t *testing.T) {
	svc := awsproto.ErrorService(nil, http.Header{"Content-Type": {"application/x-amz-json-1.1"}})
	for _, c := range []struct {
		note, code, body string
		err              error
		status           int
	}{
		{"client error", "InvalidAction", `{"__type":"InvalidAction","message":"Gatehouse does not serve the service \"ssm\" named in the credential scope."}`,
			awserr.InvalidAction("Gatehouse does not serve the service %q named in the credential scope.", "ssm"), 400},
		{"no message", "ReportNotPresent", `{"__type":"ReportNotPresent"}`, awserr.New(410, "ReportNotPresent", ""), 410},
		{"internal error", "InternalFailure", `{"__type":"InternalFailure","message":"We encountered an internal error. Please try again."}`,
			errors.New("open /var/lib/gatehouse/db: permission denied"), 500},
	} {
		t.Run(c.note, func(t *testing.T) {
			w := httptest.NewRecorder()
			ae := awsproto.WriteError(w, svc, c.err, requestID)
			if w.Code != c.status || ae.Code != c.code {
				t.Errorf("got %d %s, want %d %s", w.Code, ae.Code, c.status, c.code)
			}
			if got := w.Body.String(); got != c.body {
				t.Errorf("got body %s, want %s", got, c.body)
			}
			for k, want := range map[string]string{"Content-Type": "application/x-amz-json-1.1", "X-Amzn-Errortype": c.code, "X-Amzn-Requestid": requestID} {
				if got := w.Header().Get(k); got != want {
					t.Errorf("got %s %q, want %q", k, got, want)
				}
			}
		})
	}
}
