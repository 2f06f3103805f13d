package awsproto

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"gatehouse/internal/awserr"
	"gatehouse/internal/awsproto/model"
)

// WireError is the error a client is sent for err: the *awserr.Error in err's chain, or
// InternalFailure (500, no internal text) for anything else. A wire error without a
// status gets 400, or 500 when it is a Receiver fault.
func WireError(err error) *awserr.Error {
	var ae *awserr.Error
	if !errors.As(err, &ae) || ae == nil {
		return awserr.InternalFailure()
	}
	if ae.Status == 0 {
		c := *ae
		c.Status = http.StatusBadRequest
		if c.Receiver {
			c.Status = http.StatusInternalServerError
		}
		return &c
	}
	return ae
}

// AppendError appends the error document of service s (nil: a Query service without a
// namespace) for err, and returns it with the wire error it carries:
//
//	Query:    <ErrorResponse xmlns="…"><Error><Type>Sender</Type><Code/><Message/></Error><RequestId/></ErrorResponse>
//	EC2:      <Response><Errors><Error><Code/><Message/></Error></Errors><RequestID/></Response>
//	REST-XML: <Error><Code/><Message/><RequestId/></Error>
//	JSON:     {"__type":"…","message":"…"} (awsJson1_0 and awsJson1_1; see ErrorService)
func AppendError(b []byte, s *Service, err error, requestID string) ([]byte, *awserr.Error) {
	ae := WireError(err)
	e := encoder{b: b}
	proto := model.Query
	if s != nil {
		proto = s.Protocol
	}
	switch proto {
	case model.JSON:
		// An awsJson error is a JSON object naming the error in __type, which new servers
		// SHOULD send and botocore reads the code from; SetErrorHeaders adds the same code in
		// X-Amzn-Errortype, which the Go SDK reads first (and restJson clients need)
		// (https://smithy.io/2.0/aws/protocols/aws-json-1_1-protocol.html, "Operation error
		// serialization"). botocore reads the message from "message", then "Message".
		doc, _ := json.Marshal(struct { // two strings: cannot fail
			Type    string `json:"__type"`
			Message string `json:"message,omitempty"`
		}{ae.Code, ae.Message})
		e.b = append(e.b, doc...)
	case model.EC2:
		e.b = append(e.b, xmlHeader...)
		e.b = append(e.b, "<Response><Errors><Error><Code>"...)
		e.text(ae.Code)
		e.b = append(e.b, "</Code><Message>"...)
		e.text(ae.Message)
		e.b = append(e.b, "</Message></Error></Errors><RequestID>"...)
		e.text(requestID)
		e.b = append(e.b, "</RequestID></Response>"...)
	case model.RESTXML:
		e.b = append(e.b, xmlHeader...)
		e.b = append(e.b, "<Error><Code>"...)
		e.text(ae.Code)
		e.b = append(e.b, "</Code><Message>"...)
		e.text(ae.Message)
		e.b = append(e.b, "</Message><RequestId>"...)
		e.text(requestID)
		e.b = append(e.b, "</RequestId></Error>"...)
	default:
		e.b = append(e.b, "<ErrorResponse"...)
		if s != nil && s.XMLNamespace != "" {
			e.b = append(e.b, ` xmlns="`...)
			e.text(s.XMLNamespace)
			e.b = append(e.b, '"')
		}
		e.b = append(e.b, "><Error><Type>"...)
		if ae.Receiver {
			e.b = append(e.b, "Receiver"...)
		} else {
			e.b = append(e.b, "Sender"...)
		}
		e.b = append(e.b, "</Type><Code>"...)
		e.text(ae.Code)
		e.b = append(e.b, "</Code>"...)
		// An error without a message has no Message element, as IAM's ReportNotPresent
		// (recorded against AWS in LocalStack's test_iam_credential_report snapshot).
		if ae.Message != "" {
			e.b = append(e.b, "<Message>"...)
			e.text(ae.Message)
			e.b = append(e.b, "</Message>"...)
		}
		e.b = append(e.b, "</Error><RequestId>"...)
		e.text(requestID)
		e.b = append(e.b, "</RequestId></ErrorResponse>"...)
	}
	return e.b, ae
}

// WriteError is the one place an error becomes an AWS error document: it writes err as
// service s's protocol renders it (see AppendError), with the wire error's status, the
// request ID header and the protocol's error headers (SetErrorHeaders: Content-Type
// text/xml, or JSON's), and returns the wire error so the caller can log and count it.
// Anything that is not an *awserr.Error is sent as InternalFailure with no internal text;
// the caller logs the detail.
func WriteError(w http.ResponseWriter, s *Service, err error, requestID string) *awserr.Error {
	b, ae := AppendError(nil, s, err, requestID)
	s.setHeaders(w, requestID, len(b))
	SetErrorHeaders(w.Header(), s, ae, requestID)
	w.WriteHeader(ae.Status)
	_, _ = w.Write(b)
	return ae
}

// SetErrorHeaders sets the headers that say how to read s's error document for ae: its
// Content-Type, and for the JSON protocol also the error's code in X-Amzn-Errortype and the
// request ID in X-Amzn-Requestid, as AWS's JSON services send them.
func SetErrorHeaders(h http.Header, s *Service, ae *awserr.Error, requestID string) {
	if s == nil || s.Protocol != model.JSON {
		h.Set("Content-Type", "text/xml")
		return
	}
	h.Set("Content-Type", "application/x-amz-json-"+s.JSONVersion)
	h.Set("X-Amzn-Errortype", ae.Code)
	h.Set("X-Amzn-Requestid", requestID)
}

// The error documents of awsJson requests, by the protocol version the request names.
var (
	json10 = &Service{Service: model.Service{Name: "json", Protocol: model.JSON, JSONVersion: "1.0"}}
	json11 = &Service{Service: model.Service{Name: "json", Protocol: model.JSON, JSONVersion: "1.1"}}
)

// ErrorService is the service whose error document answers a request with header h that
// was routed to routed (nil: not routed). The request's own protocol decides: an awsJson
// request (SSM, KMS, …: an X-Amz-Target header naming the operation, or a Content-Type
// of application/x-amz-json-1.0 or -1.1) is answered in JSON whatever it was routed to,
// since its client parses nothing else and none of Gatehouse's services speaks that
// protocol; any other request gets routed's document (Query, EC2 or REST-XML).
func ErrorService(routed *Service, h http.Header) *Service {
	ct, _, _ := strings.Cut(h.Get("Content-Type"), ";")
	switch strings.ToLower(strings.TrimSpace(ct)) {
	case "application/x-amz-json-1.0":
		return json10
	case "application/x-amz-json-1.1":
		return json11
	}
	if h.Get("X-Amz-Target") != "" {
		return json11 // the version only names the Content-Type; clients read either
	}
	return routed
}
