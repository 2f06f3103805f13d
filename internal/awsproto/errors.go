package awsproto

import (
	"errors"
	"net/http"

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
func AppendError(b []byte, s *Service, err error, requestID string) ([]byte, *awserr.Error) {
	ae := WireError(err)
	e := encoder{b: b}
	proto := model.Query
	if s != nil {
		proto = s.Protocol
	}
	switch proto {
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
// service s's protocol renders it (see AppendError), with the wire error's status,
// Content-Type text/xml and the request ID header, and returns the wire error so the
// caller can log and count it. Anything that is not an *awserr.Error is sent as
// InternalFailure with no internal text; the caller logs the detail.
func WriteError(w http.ResponseWriter, s *Service, err error, requestID string) *awserr.Error {
	b, ae := AppendError(nil, s, err, requestID)
	s.setHeaders(w, requestID, len(b))
	w.WriteHeader(ae.Status)
	_, _ = w.Write(b)
	return ae
}
