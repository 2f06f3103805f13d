package authz

import (
	"bytes"
	"testing"
)

// TestLowerASCII checks the eight-bytes-at-a-time lower-casing against a byte-at-a-time
// reference for every byte value at every position of a word and of the tail, so that no
// carry between bytes and no non-ASCII byte is mishandled.
func TestLowerASCII(t *testing.T) {
	ref := func(b []byte) []byte {
		out := bytes.Clone(b)
		for i, c := range out {
			if 'A' <= c && c <= 'Z' {
				out[i] = c + 'a' - 'A'
			}
		}
		return out
	}
	for n := 0; n <= 19; n++ {
		for pos := 0; pos < n; pos++ {
			for v := 0; v < 256; v++ {
				b := bytes.Repeat([]byte("aZ@[`{\x7f\xc1"), 3)[:n]
				b[pos] = byte(v)
				want := ref(b)
				got := bytes.Clone(b)
				lowerASCII(got)
				if !bytes.Equal(got, want) {
					t.Fatalf("lowerASCII(%q) = %q, want %q", b, got, want)
				}
			}
		}
	}
	s := []byte("S3:GetObject-IAM:ListUsers")
	lowerASCII(s)
	if string(s) != "s3:getobject-iam:listusers" {
		t.Fatalf("got %q", s)
	}
}
