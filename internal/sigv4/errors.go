package sigv4

import (
	"fmt"
	"net/http"
	"time"

	"gatehouse/internal/awserr"
)

// Dialect is the family of error codes a service uses for authentication failures. AWS's
// front ends differ: the Query services (IAM, STS) answer a bad signature with
// SignatureDoesNotMatch, EC2 with AuthFailure, S3 with its own REST codes.
type Dialect uint8

const (
	// DialectQuery is IAM's and STS's (https://docs.aws.amazon.com/IAM/latest/APIReference/CommonErrors.html).
	DialectQuery Dialect = iota
	// DialectEC2 is EC2's (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html).
	DialectEC2
	// DialectS3 is S3's (https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html).
	DialectS3
)

func (d Dialect) String() string {
	switch d {
	case DialectQuery:
		return "query"
	case DialectEC2:
		return "ec2"
	case DialectS3:
		return "s3"
	}
	return fmt.Sprintf("Dialect(%d)", uint8(d))
}

// DialectFor returns the dialect of the service named in a credential scope.
func DialectFor(service string) Dialect {
	switch service {
	case "s3":
		return DialectS3
	case "ec2":
		return DialectEC2
	}
	return DialectQuery
}

// Messages AWS sends, verbatim. The Query texts are those IAM and STS return; S3's are from
// its error-response reference.
const (
	msgSignatureQuery = "The request signature we calculated does not match the signature you provided. " +
		"Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
	msgSignatureS3    = "The request signature we calculated does not match the signature you provided. Check your key and signing method."
	msgAuthFailureEC2 = "AWS was not able to validate the provided access credentials"
	msgMissingToken   = "Request is missing Authentication Token"
)

// InvalidClientTokenId is the error the server returns when Request.AccessKeyID names no
// key it knows (Query dialect). Use Request.UnknownAccessKey to get the caller's dialect.
func InvalidClientTokenId() *awserr.Error {
	return awserr.New(http.StatusForbidden, "InvalidClientTokenId", "The security token included in the request is invalid.")
}

// ExpiredToken is the error for a session token (X-Amz-Security-Token) past its expiry.
func ExpiredToken() *awserr.Error {
	return awserr.New(http.StatusForbidden, "ExpiredToken", "The security token included in the request is expired")
}

// MissingAuthenticationToken is the Query services' answer to an unsigned request that needs
// a signature.
func MissingAuthenticationToken() *awserr.Error {
	return awserr.New(http.StatusForbidden, "MissingAuthenticationToken", msgMissingToken)
}

// UnknownAccessKey returns the error for an access key ID the server does not know, in the
// dialect of the request's service: InvalidClientTokenId (IAM, STS), AuthFailure (EC2),
// InvalidAccessKeyId (S3).
func (r *Request) UnknownAccessKey() *awserr.Error {
	switch r.Dialect {
	case DialectS3:
		return awserr.New(http.StatusForbidden, "InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records.")
	case DialectEC2:
		return awserr.New(http.StatusUnauthorized, "AuthFailure", msgAuthFailureEC2)
	}
	return InvalidClientTokenId()
}

// RequireService checks the scope's service against the one an endpoint serves, for a
// server that routes by something other than the scope (Gatehouse routes by the scope, so
// there every served service is by construction the right one).
func (r *Request) RequireService(service string) error {
	if r.Service == service {
		return nil
	}
	return errs{r.Dialect}.scopeMismatch(r.Presigned,
		fmt.Sprintf("Credential should be scoped to correct service: '%s'. ", service),
		fmt.Sprintf("Incorrect service %q. This endpoint belongs to %q.", r.Service, service))
}

// errs builds the dialect's error for each failure the verifier detects.
type errs struct{ d Dialect }

func (e errs) signatureMismatch() *awserr.Error {
	switch e.d {
	case DialectS3:
		return awserr.New(http.StatusForbidden, "SignatureDoesNotMatch", msgSignatureS3)
	case DialectEC2:
		return awserr.New(http.StatusUnauthorized, "AuthFailure", msgAuthFailureEC2)
	}
	return awserr.New(http.StatusForbidden, "SignatureDoesNotMatch", msgSignatureQuery)
}

// scopeMismatch is a credential scope that names the wrong region, service, date or
// terminator. The Query services report these as SignatureDoesNotMatch with a specific text
// (note AWS's trailing space after the sentence); S3 reports a malformed header or query.
func (e errs) scopeMismatch(presigned bool, queryMsg, s3Msg string) *awserr.Error {
	if e.d == DialectS3 {
		return e.malformed(presigned, s3Msg)
	}
	return awserr.New(http.StatusForbidden, "SignatureDoesNotMatch", "%s", queryMsg)
}

// incomplete is a signature that cannot be parsed.
func (e errs) incomplete(presigned bool, msg string) *awserr.Error {
	if e.d == DialectS3 {
		return e.malformed(presigned, msg)
	}
	return awserr.New(http.StatusBadRequest, "IncompleteSignature", "%s", msg)
}

func (e errs) malformed(presigned bool, msg string) *awserr.Error {
	if presigned {
		return awserr.New(http.StatusBadRequest, "AuthorizationQueryParametersError", "%s", msg)
	}
	return awserr.New(http.StatusBadRequest, "AuthorizationHeaderMalformed", "The authorization header is malformed; %s", msg)
}

func (e errs) missingAuth() *awserr.Error {
	if e.d == DialectS3 {
		return awserr.New(http.StatusForbidden, "AccessDenied", "Access Denied")
	}
	return MissingAuthenticationToken()
}

// skewed is a header-signed request whose date is more than the allowed skew from now.
// Texts as IAM and STS send them, e.g.
// "Signature expired: 20160609T184512Z is now earlier than 20160610T013008Z (20160610T014508Z - 15 min.)".
func (e errs) skewed(date, now time.Time, skew time.Duration) *awserr.Error {
	switch e.d {
	case DialectS3:
		return awserr.New(http.StatusForbidden, "RequestTimeTooSkewed", "The difference between the request time and the current time is too large.")
	case DialectEC2:
		return awserr.New(http.StatusBadRequest, "RequestExpired", "Request has expired.")
	}
	mins := int(skew / time.Minute)
	if date.Before(now) {
		return awserr.New(http.StatusForbidden, "SignatureDoesNotMatch",
			"Signature expired: %s is now earlier than %s (%s - %d min.)",
			date.Format(timeFormat), now.Add(-skew).Format(timeFormat), now.Format(timeFormat), mins)
	}
	return awserr.New(http.StatusForbidden, "SignatureDoesNotMatch",
		"Signature not yet current: %s is still later than %s (%s + %d min.)",
		date.Format(timeFormat), now.Add(skew).Format(timeFormat), now.Format(timeFormat), mins)
}

// expired is a presigned request past X-Amz-Expires.
func (e errs) expired() *awserr.Error {
	if e.d == DialectS3 {
		return awserr.New(http.StatusForbidden, "AccessDenied", "Request has expired")
	}
	return awserr.New(http.StatusBadRequest, "RequestExpired", "Request has expired.")
}

// notYetValid is a presigned request dated further in the future than the allowed skew.
func (e errs) notYetValid(date, now time.Time, skew time.Duration) *awserr.Error {
	if e.d == DialectS3 {
		return awserr.New(http.StatusForbidden, "AccessDenied", "Request is not valid yet")
	}
	return e.skewed(date, now, skew)
}

// contentSHA256Mismatch is a body whose SHA-256 differs from X-Amz-Content-Sha256. S3 names
// it; for the other services the signature simply does not cover the body sent.
func (e errs) contentSHA256Mismatch() *awserr.Error {
	if e.d == DialectS3 {
		return awserr.New(http.StatusBadRequest, "XAmzContentSHA256Mismatch", "The provided 'x-amz-content-sha256' header does not match what was computed.")
	}
	return e.signatureMismatch()
}

func (e errs) invalidContentSHA256() *awserr.Error {
	return awserr.New(http.StatusBadRequest, "InvalidArgument",
		"x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, "+
			"STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER, "+
			"STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD, STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER or a valid sha256 value.")
}

// badDate is a request time not in ISO 8601 basic format (20150830T123600Z).
func (e errs) badDate(presigned bool, v string) *awserr.Error {
	if e.d == DialectS3 {
		if presigned {
			return e.malformed(true, `X-Amz-Date must be in the ISO8601 Long Format "yyyyMMdd'T'HHmmss'Z'"`)
		}
		return awserr.New(http.StatusForbidden, "AccessDenied", "AWS authentication requires a valid Date or x-amz-date header")
	}
	return awserr.New(http.StatusBadRequest, "IncompleteSignature",
		"Date must be in ISO-8601 'basic format'. Got '%s'. See http://en.wikipedia.org/wiki/ISO_8601", v)
}

func missingContentSHA256() *awserr.Error {
	return awserr.New(http.StatusBadRequest, "InvalidRequest", "Missing required header for this request: x-amz-content-sha256")
}
