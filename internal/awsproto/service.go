package awsproto

import (
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"sync"

	"gatehouse/internal/awserr"
	"gatehouse/internal/awsproto/ec2api"
	"gatehouse/internal/awsproto/iamapi"
	"gatehouse/internal/awsproto/model"
	"gatehouse/internal/awsproto/stsapi"
)

// Service is one AWS API as the edge serves it: its wire metadata and operation table.
type Service struct {
	model.Service
	Operations map[string]model.Operation
}

// The services Gatehouse speaks. S3 has no operation table here: only its error document
// is rendered by this package.
var (
	IAM = &Service{Service: iamapi.Service, Operations: iamapi.Operations}
	STS = &Service{Service: stsapi.Service, Operations: stsapi.Operations}
	EC2 = &Service{Service: ec2api.Service, Operations: ec2api.Operations}
	S3  = &Service{Service: model.Service{Name: "s3", APIVersion: "2006-03-01", Protocol: model.RESTXML,
		XMLNamespace: "http://s3.amazonaws.com/doc/2006-03-01/"}}
)

// DecodeRequest handles a Query or EC2 request's parameters (the form body merged with the
// URL query): it finds the operation named by Action, decodes its input and validates it.
// The errors are AWS's: MissingAction when there is no Action; InvalidAction for an
// operation the service does not have, or a Version other than the model's; Decode's and
// Validate's errors for the parameters; for EC2 also UnknownParameter for a parameter the
// operation does not have (the Query services ignore those, as AWS's do). A missing Version is accepted (botocore and the
// SDKs always send it; older hand-written clients sometimes do not).
func (s *Service) DecodeRequest(params url.Values) (model.Operation, model.Input, error) {
	return s.decodeRequest(params, false)
}

// DecodeRequestLenient is DecodeRequest for emulator --enforce off (iam.Options.MotoLenient):
// the members the generator marks lenient (gen lenientPatterns: IAM entity paths, path
// prefixes, PutXPolicy's policy names) are checked against what moto server accepts instead of
// the model's pattern; their lengths and every other member are checked as always.
func (s *Service) DecodeRequestLenient(params url.Values) (model.Operation, model.Input, error) {
	return s.decodeRequest(params, true)
}

func (s *Service) decodeRequest(params url.Values, lenient bool) (model.Operation, model.Input, error) {
	action := params.Get("Action")
	if action == "" {
		// https://docs.aws.amazon.com/IAM/latest/APIReference/CommonErrors.html
		return model.Operation{}, nil, awserr.New(400, "MissingAction", "The request must contain the parameter Action.")
	}
	op, ok := s.Operations[action]
	version := params.Get("Version")
	if !ok || (version != "" && version != s.APIVersion) {
		if s.Protocol == model.EC2 {
			return model.Operation{}, nil, awserr.InvalidAction("The action %s is not valid for this web service.", action)
		}
		if version == "" {
			version = s.APIVersion
		}
		return model.Operation{}, nil, awserr.InvalidAction("Could not find operation %s for version %s", action, version)
	}
	in := op.NewInput()
	if err := decode(params, in, s.Protocol == model.EC2); err != nil {
		return op, nil, err
	}
	validate := in.Validate
	if l, ok := in.(model.LenientInput); ok && lenient {
		validate = l.ValidateLenient
	}
	if err := validate(); err != nil {
		return op, nil, err
	}
	return op, in, nil
}

// AppendResponse appends the XML document AWS sends for a successful call of op with
// output out (a pointer to op's XxxOutput, or nil for an empty output):
//
//	Query: <OpResponse xmlns="…"><OpResult>…</OpResult><ResponseMetadata><RequestId>…</RequestId></ResponseMetadata></OpResponse>
//	EC2:   <?xml …?><OpResponse xmlns="…"><requestId>…</requestId>…</OpResponse>
func (s *Service) AppendResponse(b []byte, op model.Operation, out any, requestID string) []byte {
	e := encoder{b: b, ec2Time: s.Protocol == model.EC2}
	if s.Protocol == model.EC2 {
		e.b = append(e.b, xmlHeader...)
	}
	e.b = append(e.b, '<')
	e.b = append(e.b, op.Name...)
	e.b = append(e.b, `Response xmlns="`...)
	e.text(s.XMLNamespace)
	e.b = append(e.b, `">`...)
	if s.Protocol == model.EC2 {
		e.b = append(e.b, "<requestId>"...)
		e.text(requestID)
		e.b = append(e.b, "</requestId>"...)
		e.output(out)
	} else {
		if !op.EmptyOutput {
			wrapper := op.ResultWrapper
			if wrapper == "" {
				wrapper = op.Name + "Result"
			}
			e.b = append(e.b, '<')
			e.b = append(e.b, wrapper...)
			e.b = append(e.b, '>')
			e.output(out)
			e.b = append(e.b, "</"...)
			e.b = append(e.b, wrapper...)
			e.b = append(e.b, '>')
		}
		e.b = append(e.b, "<ResponseMetadata><RequestId>"...)
		e.text(requestID)
		e.b = append(e.b, "</RequestId></ResponseMetadata>"...)
	}
	e.b = append(e.b, "</"...)
	e.b = append(e.b, op.Name...)
	e.b = append(e.b, "Response>"...)
	return e.b
}

func (e *encoder) output(out any) {
	if out == nil {
		return
	}
	rv := reflect.ValueOf(out)
	for rv.Kind() == reflect.Pointer {
		if rv.IsNil() {
			return
		}
		rv = rv.Elem()
	}
	if rv.Kind() != reflect.Struct {
		panic("awsproto: output must be a struct, got " + rv.Type().String())
	}
	e.appendMembers(planFor(rv.Type()), rv)
}

const xmlHeader = `<?xml version="1.0" encoding="UTF-8"?>` + "\n"

var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

// WriteResponse writes op's successful response: status 200, Content-Type text/xml, and for
// Query services the x-amzn-RequestId header AWS sends.
func (s *Service) WriteResponse(w http.ResponseWriter, op model.Operation, out any, requestID string) error {
	bp := bufPool.Get().(*[]byte)
	b := s.AppendResponse((*bp)[:0], op, out, requestID)
	s.setHeaders(w, requestID, len(b))
	w.WriteHeader(http.StatusOK)
	_, err := w.Write(b)
	if cap(b) <= 1<<20 {
		*bp = b
		bufPool.Put(bp)
	}
	return err
}

func (s *Service) setHeaders(w http.ResponseWriter, requestID string, n int) {
	h := w.Header()
	h.Set("Content-Type", "text/xml")
	h.Set("Content-Length", strconv.Itoa(n))
	switch {
	case s == nil || s.Protocol == model.Query:
		h.Set("X-Amzn-Requestid", requestID)
	case s.Protocol == model.RESTXML:
		h.Set("X-Amz-Request-Id", requestID)
	}
}
