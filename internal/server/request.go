package server

import (
	"encoding/hex"
	"io"
	"math/rand/v2"
	"net/http"

	"gatehouse/internal/awserr"
)

// maxQueryBody bounds a Query-protocol request body. IAM's largest parameters are policy
// documents (at most 131,072 characters for a managed policy version); a form-encoded body
// is at most three times its text, so 1 MiB leaves room and stops abuse early.
const maxQueryBody = 1 << 20

// readBody reads the whole body once, bounded; the server hashes it for SigV4 and decodes
// the form from the same bytes.
func readBody(r *http.Request, limit int64) ([]byte, error) {
	if r.Body == nil || r.Body == http.NoBody {
		return nil, nil
	}
	if r.ContentLength > limit {
		return nil, errTooLarge
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	if err != nil {
		return nil, awserr.New(400, "IncompleteBody", "The request body could not be read.")
	}
	if int64(len(b)) > limit {
		return nil, errTooLarge
	}
	return b, nil
}

var errTooLarge = awserr.New(http.StatusRequestEntityTooLarge, "RequestEntityTooLarge", "Request body is too large.")

// newRequestID returns a UUID-shaped request ID as AWS sends in x-amzn-RequestId. It is not a
// secret, so a fast, goroutine-safe PRNG is enough.
func newRequestID() string {
	var b [16]byte
	a, c := rand.Uint64(), rand.Uint64()
	for i := 0; i < 8; i++ {
		b[i] = byte(a >> (8 * i))
		b[8+i] = byte(c >> (8 * i))
	}
	b[6] = b[6]&0x0f | 0x40 // version 4
	b[8] = b[8]&0x3f | 0x80 // RFC 4122 variant
	var s [36]byte
	hex.Encode(s[0:8], b[0:4])
	s[8] = '-'
	hex.Encode(s[9:13], b[4:6])
	s[13] = '-'
	hex.Encode(s[14:18], b[6:8])
	s[18] = '-'
	hex.Encode(s[19:23], b[8:10])
	s[23] = '-'
	hex.Encode(s[24:36], b[10:16])
	return string(s[:])
}
