package sigv4

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// The worked example of S3's documentation for signed chunked uploads
// (https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming.html): a 66,560-byte
// object of 'a's sent as a 65,536-byte chunk, a 1,024-byte chunk and the final empty chunk.
const (
	docKey       = "AKIAIOSFODNN7EXAMPLE"
	docSecret    = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	docSeed      = "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9"
	docChunk1Sig = "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648"
	docChunk2Sig = "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497"
	docFinalSig  = "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9"
)

func docChunkedRequest(t *testing.T) (*Request, string) {
	t.Helper()
	body := fmt.Sprintf("10000;chunk-signature=%s\r\n%s\r\n400;chunk-signature=%s\r\n%s\r\n0;chunk-signature=%s\r\n\r\n",
		docChunk1Sig, strings.Repeat("a", 65536), docChunk2Sig, strings.Repeat("a", 1024), docFinalSig)
	r := &http.Request{
		Method: "PUT", RequestURI: "/examplebucket/chunkObject.txt", URL: &url.URL{Path: "/examplebucket/chunkObject.txt"},
		Host: "s3.amazonaws.com", Header: http.Header{}, ContentLength: int64(len(body)),
	}
	r.Header.Set("X-Amz-Date", "20130524T000000Z")
	r.Header.Set("X-Amz-Storage-Class", "REDUCED_REDUNDANCY")
	r.Header.Set("X-Amz-Content-Sha256", StreamingPayload)
	r.Header.Set("Content-Encoding", "aws-chunked")
	r.Header.Set("X-Amz-Decoded-Content-Length", "66560")
	r.Header.Set("Content-Length", "66824")
	r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential="+docKey+"/20130524/us-east-1/s3/aws4_request, "+
		"SignedHeaders=content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class, "+
		"Signature="+docSeed)
	if len(body) != 66824 {
		t.Fatalf("example body is %d bytes, the documentation says 66824", len(body))
	}
	req, err := Parse(r, time.Date(2013, 5, 24, 0, 5, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	return req, body
}

func TestChunkReaderDocumentationExample(t *testing.T) {
	req, body := docChunkedRequest(t)
	if err := req.Verify(docSecret, ""); err != nil {
		t.Fatalf("seed request: %v", err)
	}
	cr, err := req.ChunkReader(strings.NewReader(body), docSecret)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(cr)
	if err != nil {
		t.Fatalf("reading chunks: %v", err)
	}
	if want := strings.Repeat("a", 66560); string(got) != want {
		t.Errorf("decoded %d bytes, want the 66560 'a's", len(got))
	}
}

func TestChunkReaderRejects(t *testing.T) {
	req, body := docChunkedRequest(t)
	if _, err := req.ChunkReader(strings.NewReader(body), docSecret); !isCode(err, "SignatureDoesNotMatch") {
		t.Errorf("ChunkReader before Verify: got %v, want SignatureDoesNotMatch", err)
	}
	if err := req.Verify(docSecret, ""); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		note, body, code string
	}{
		{"a byte of the first chunk changed", strings.Replace(body, "aaaa", "aaab", 1), "SignatureDoesNotMatch"},
		{"chunks swapped with their signatures still in order", strings.Replace(body, docChunk1Sig, docChunk2Sig, 1), "SignatureDoesNotMatch"},
		{"the final chunk missing", strings.TrimSuffix(body, "0;chunk-signature="+docFinalSig+"\r\n\r\n"), "IncompleteBody"},
		{"truncated inside a chunk", body[:1000], "IncompleteBody"},
		{"a size that is not hex", strings.Replace(body, "400;", "40g;", 1), "IncompleteBody"},
		{"a chunk larger than MaxChunkSize", "2000000;chunk-signature=" + docChunk1Sig + "\r\n", "IncompleteBody"},
		{"no chunk signature", strings.Replace(body, ";chunk-signature=", ";chunk-sig=", 1), "IncompleteBody"},
	} {
		cr, err := req.ChunkReader(strings.NewReader(c.body), docSecret)
		if err != nil {
			t.Fatal(err)
		}
		_, err = io.ReadAll(cr)
		if !isCode(err, c.code) {
			t.Errorf("%s: got %v, want %s", c.note, err, c.code)
		}
	}
	// Data is released only once its chunk verified: a bad first chunk yields no bytes.
	cr, _ := req.ChunkReader(strings.NewReader(strings.Replace(body, "aaaa", "aaab", 1)), docSecret)
	if n, _ := io.Copy(io.Discard, cr); n != 0 {
		t.Errorf("released %d bytes of an unverified chunk", n)
	}
	// A wrong secret fails at the first chunk.
	cr, _ = req.ChunkReader(bytes.NewReader([]byte(body)), "wrong")
	if _, err := io.ReadAll(cr); !isCode(err, "SignatureDoesNotMatch") {
		t.Errorf("wrong secret: got %v, want SignatureDoesNotMatch", err)
	}
}
