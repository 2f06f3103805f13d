package sigv4

import (
	"bufio"
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"strconv"

	"gatehouse/internal/awserr"
)

// S3's aws-chunked upload with a signature per chunk
// (https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming.html). The request's
// X-Amz-Content-Sha256 is STREAMING-AWS4-HMAC-SHA256-PAYLOAD and its body is a run of
//
//	hex(size);chunk-signature=SIG\r\n DATA \r\n
//
// ending with a chunk of size 0. Each chunk's signature chains from the previous one, the
// first from the request's own signature (the seed), over
//
//	AWS4-HMAC-SHA256-PAYLOAD \n DATE \n SCOPE \n PREVIOUS-SIG \n hex(SHA256("")) \n hex(SHA256(DATA))

// MaxChunkSize bounds one chunk: a chunk must be held whole until its signature is checked,
// so a client cannot make the server buffer more than this. S3 clients send 64 KiB to 8 MiB.
const MaxChunkSize = 16 << 20

const chunkAlgorithm = "AWS4-HMAC-SHA256-PAYLOAD"

// ChunkReader returns the decoded body of an aws-chunked upload, checking every chunk's
// signature before releasing its data. Call it after Verify has accepted the request (whose
// signature seeds the chain). A bad signature reads as SignatureDoesNotMatch, a malformed or
// truncated body as IncompleteBody; both are *awserr.Error values.
func (r *Request) ChunkReader(body io.Reader, secret string) (io.Reader, error) {
	if r.ContentSHA256 != StreamingPayload {
		return nil, awserr.New(http.StatusBadRequest, "InvalidRequest", "The request is not an aws-chunked upload signed per chunk.")
	}
	if !r.verified {
		// The chain's seed is the request's signature; until Verify has accepted it, the
		// headers that carry the upload's metadata are unauthenticated.
		return nil, errs{r.Dialect}.signatureMismatch()
	}
	return &chunkReader{
		src: bufio.NewReaderSize(body, 4096),
		key: r.signingKey(secret),
		// "AWS4-HMAC-SHA256-PAYLOAD\nDATE\nSCOPE\n" is the same for every chunk.
		prefix: chunkAlgorithm + "\n" + r.amzDate + "\n" + r.scope + "\n",
		prev:   r.sig,
		errs:   errs{r.Dialect},
	}, nil
}

type chunkReader struct {
	src    *bufio.Reader
	key    *signingKey
	prefix string
	prev   [sha256.Size]byte
	errs   errs
	buf    []byte // the current verified chunk's unread data
	done   bool
	err    error
}

func (c *chunkReader) Read(p []byte) (int, error) {
	for len(c.buf) == 0 {
		if c.err != nil {
			return 0, c.err
		}
		if c.done {
			return 0, io.EOF
		}
		c.err = c.next()
	}
	n := copy(p, c.buf)
	c.buf = c.buf[n:]
	return n, nil
}

func incompleteBody() *awserr.Error {
	return awserr.New(http.StatusBadRequest, "IncompleteBody", "The request body terminated unexpectedly")
}

// next reads, checks and stages one chunk.
func (c *chunkReader) next() error {
	line, err := c.src.ReadSlice('\n')
	if err != nil || len(line) < 2 || line[len(line)-2] != '\r' {
		return incompleteBody()
	}
	line = line[:len(line)-2]
	sizeHex, ext, ok := bytes.Cut(line, []byte(";"))
	const sigPrefix = "chunk-signature="
	if !ok || !bytes.HasPrefix(ext, []byte(sigPrefix)) {
		return incompleteBody()
	}
	size, err := strconv.ParseUint(string(sizeHex), 16, 32)
	if err != nil || size > MaxChunkSize {
		return incompleteBody()
	}
	var sig [sha256.Size]byte
	if sigHex := ext[len(sigPrefix):]; len(sigHex) != 2*sha256.Size {
		return c.errs.signatureMismatch()
	} else if _, err := hex.Decode(sig[:], sigHex); err != nil {
		return c.errs.signatureMismatch()
	}
	data := make([]byte, size+2)
	if _, err := io.ReadFull(c.src, data); err != nil || data[size] != '\r' || data[size+1] != '\n' {
		return incompleteBody()
	}
	data = data[:size]

	dataHash := sha256.Sum256(data)
	msg := make([]byte, 0, len(c.prefix)+3*2*sha256.Size+3)
	msg = append(msg, c.prefix...)
	msg = hex.AppendEncode(msg, c.prev[:])
	msg = append(msg, '\n')
	msg = append(msg, emptySHA256...)
	msg = append(msg, '\n')
	msg = hex.AppendEncode(msg, dataHash[:])
	s := scratches.Get().(*scratch)
	want := c.key.sign(s, msg)
	scratches.Put(s)
	if !hmac.Equal(want[:], sig[:]) {
		return c.errs.signatureMismatch()
	}
	c.prev = sig
	if size == 0 {
		c.done = true
	}
	c.buf = data
	return nil
}
