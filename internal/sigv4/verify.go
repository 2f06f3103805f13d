package sigv4

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
)

// payload is the hashed-payload line of the canonical request.
//
// S3 signs what X-Amz-Content-Sha256 says (a hex digest, UNSIGNED-PAYLOAD, or a streaming
// mode), and a presigned S3 URL without it signs UNSIGNED-PAYLOAD
// (https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-query-string-auth.html). Every other
// service signs the body itself: the server passes the SHA-256 of the body it read. The
// header is deliberately not honoured there, so a client cannot opt IAM or STS out of body
// integrity with UNSIGNED-PAYLOAD.
func (r *Request) payload(bodyHash string) string {
	if r.Dialect == DialectS3 {
		if r.ContentSHA256 != "" {
			return r.ContentSHA256
		}
		if r.Presigned {
			return UnsignedPayload
		}
	}
	if bodyHash == "" {
		return emptySHA256
	}
	return bodyHash
}

// CanonicalRequest returns the canonical request for the given body hash (see Verify). S3
// includes it in SignatureDoesNotMatch errors; it holds no secret.
func (r *Request) CanonicalRequest(bodyHash string) string {
	return string(append(r.canon[:r.prefixLen:r.prefixLen], r.payload(bodyHash)...))
}

// StringToSign returns the string to sign for the given body hash.
func (r *Request) StringToSign(bodyHash string) string {
	h := sha256.Sum256([]byte(r.CanonicalRequest(bodyHash)))
	return string(appendStringToSign(nil, r.amzDate, r.scope, &h))
}

// Verify recomputes the signature with secret and compares it in constant time with the one
// the client sent. bodyHash is the lower-case hex SHA-256 of the body the server read ("" for
// an empty body, or for an S3 body the server streams and checks itself). For S3 with a hex
// X-Amz-Content-Sha256 and a bodyHash, the two must agree.
func (r *Request) Verify(secret, bodyHash string) error {
	e := errs{r.Dialect}
	if r.Unsigned {
		return e.missingAuth()
	}
	r.canon = append(r.canon[:r.prefixLen], r.payload(bodyHash)...)
	canonicalHash := sha256.Sum256(r.canon)

	key := r.signingKey(secret)
	s := scratches.Get().(*scratch)
	sum := key.sign(s, appendStringToSign(s.msg[:0], r.amzDate, r.scope, &canonicalHash))
	scratches.Put(s)

	r.verified = false
	if subtle.ConstantTimeCompare(sum[:], r.sig[:]) != 1 || !r.sigOK {
		return e.signatureMismatch()
	}
	r.verified = true
	if r.Dialect == DialectS3 && bodyHash != "" && isHexSHA256(r.ContentSHA256) && bodyHash != r.ContentSHA256 {
		return e.contentSHA256Mismatch()
	}
	return nil
}

// signingKey returns the derived key, from the Verifier's cache when there is one.
func (r *Request) signingKey(secret string) *signingKey {
	date := r.amzDate[:len(dateFormat)]
	if r.keys != nil {
		return r.keys.get(secret, date, r.Region, r.Service)
	}
	return newSigningKey(deriveKey(secret, date, r.Region, r.Service))
}

// signature returns the hex signature of the request for secret; the test suite compares it
// with its .authz files.
func (r *Request) signatureFor(secret, bodyHash string) string {
	h := sha256.Sum256([]byte(r.CanonicalRequest(bodyHash)))
	sum := r.signingKey(secret).sign(&scratch{h: sha256.New()}, appendStringToSign(nil, r.amzDate, r.scope, &h))
	return hex.EncodeToString(sum[:])
}
