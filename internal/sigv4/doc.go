// Package sigv4 owns the verification of AWS Signature Version 4: the Authorization header
// form, the presigned query-string form, and the chunk signatures of S3's aws-chunked
// streaming uploads.
//
// It mirrors the signer in aws-sdk-go-v2 (aws/signer/v4) as a pipeline of small pure steps,
// each testable alone: canonical URI, canonical query, canonical headers, canonical request,
// string to sign, derived signing key, signature. Verification is split in two:
//
//   - Parse extracts and validates everything that needs no secret (algorithm, credential
//     scope, signed headers, dates, expiry) and builds the canonical request up to the
//     payload hash. The caller routes on Request.Service and looks up the secret by
//     Request.AccessKeyID.
//   - Request.Verify recomputes the signature with the secret and compares it in constant
//     time. A Verifier caches derived signing keys per (secret, date, region, service) so a
//     verification with a cached key costs about a microsecond.
//
// Errors are *awserr.Error values carrying the codes, messages and statuses AWS sends, in
// the dialect of the service named in the credential scope: the Query services (IAM, STS),
// EC2, or S3 (see Dialect).
//
// References:
//   - https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv.html
//   - https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html
//   - https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-query-string-auth.html
//   - https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming.html
//
// The package uses the standard library only; aws-sdk-go-v2 appears in its tests as the
// oracle, never at run time.
package sigv4
