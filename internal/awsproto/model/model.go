// Package model owns the runtime description of an AWS API generated from its model:
// the service's wire metadata and each operation's entry in the table the edge
// dispatches on. Generated packages (iamapi, stsapi, ec2api) fill these in; nothing here
// imports net/http, so domain packages may import the generated types freely.
package model

// Protocol is an AWS wire protocol, named as the model's metadata.protocol names it.
type Protocol string

const (
	Query   Protocol = "query"    // IAM, STS: form-encoded input, <XResponse><XResult> output
	EC2     Protocol = "ec2"      // EC2: Name.N lists, <XResponse><requestId> output
	RESTXML Protocol = "rest-xml" // S3
	// JSON is awsJson1_0 and awsJson1_1 (SSM, KMS, …): a POST naming its operation in
	// X-Amz-Target. Gatehouse serves no such service; it only answers their requests with
	// the JSON error document their clients parse (awsproto.AppendError).
	JSON Protocol = "json"
)

func (p Protocol) String() string { return string(p) }

// Service is a service's wire metadata, from the model's metadata block.
type Service struct {
	Name         string   // endpoint prefix / signing name: "iam", "sts", "ec2", "s3"
	APIVersion   string   // the Version parameter clients send: "2010-05-08"
	Protocol     Protocol //
	XMLNamespace string   // xmlns of every response and error document
	JSONVersion  string   // the JSON protocol's version, "1.0" or "1.1": Content-Type application/x-amz-json-<version>
}

// Input is an operation's decoded input: it checks itself against the model's constraints
// and reports violations as AWS does (an *awserr.Error).
type Input interface {
	Validate() error
}

// LenientInput is an input some of whose members a lenient validation (emulator
// --enforce off, as moto server accepts) relaxes; see awsproto.Service.DecodeRequestLenient.
type LenientInput interface {
	ValidateLenient() error
}

// Operation is one entry of a generated Operations table.
type Operation struct {
	Name string // the Action parameter: "CreateUser"
	// NewInput returns a fresh *XxxInput for the decoder to fill.
	NewInput func() Input
	// NewOutput returns a fresh *XxxOutput (an empty struct for empty outputs).
	NewOutput func() any
	// ResultWrapper is the element the Query protocol wraps the output in ("CreateUserResult");
	// empty for EC2 and for operations with no output.
	ResultWrapper string
	// EmptyOutput is true when the model gives the operation no output shape: the response
	// carries only its ResponseMetadata.
	EmptyOutput bool
	// Paginator is non-nil for paginated operations (paginators-1.json).
	Paginator *Paginator
}

// Paginator names an operation's pagination members (Go field names = model member names).
type Paginator struct {
	InputToken  string   // "Marker"
	OutputToken string   // "Marker"
	LimitKey    string   // "MaxItems"; empty when the operation has none
	MoreResults string   // "IsTruncated"; empty for token-only (EC2 NextToken) pagination
	ResultKeys  []string // the list members that are paged: "Users"
}
