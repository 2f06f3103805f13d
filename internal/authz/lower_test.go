package authz

import (
	"bytes"
	"testing"
)

// TestLowerASCII checks the eight-bytes-at-a-time lower-casing against a byte-at-a-time
// reference for every byte value at every position of a word and of the tail, so that no
// carry between bytes and no non-ASCII byte is mishandled.
func TestLowerASCII(t *testing.T) {
	ref := func(b []byte) ([]byte, int) {
		out := bytes.Clone(b)
		for i, c := range out {
			if 'A' <= c && c <= 'Z' {
				out[i] = c + 'a' - 'A'
			}
		}
		return out, bytes.IndexByte(b, ':')
	}
	for n := 0; n <= 19; n++ {
		for pos := 0; pos < n; pos++ {
			for v := 0; v < 256; v++ {
				b := bytes.Repeat([]byte("aZ@[`{\x7f\xc1;9"), 2)[:n]
				b[pos] = byte(v)
				want, wantColon := ref(b)
				got := bytes.Clone(b)
				colon := lowerASCII(got)
				if !bytes.Equal(got, want) || colon != wantColon {
					t.Fatalf("lowerASCII(%q) = %q, %d; want %q, %d", b, got, colon, want, wantColon)
				}
			}
		}
	}
	s := []byte("S3:GetObject-IAM:ListUsers")
	if colon := lowerASCII(s); string(s) != "s3:getobject-iam:listusers" || colon != 2 {
		t.Fatalf("got %q, %d", s, colon)
	}
	// Two colons in one word, and one past a word boundary: the first is reported.
	for _, c := range []struct {
		s    string
		want int
	}{{"a::b", 1}, {"abcdefg::", 7}, {"abcdefgh:", 8}, {"\x00:\x01:", 1}, {"", -1}, {"ABCDEFGHIJ", -1}} {
		if got := lowerASCII([]byte(c.s)); got != c.want {
			t.Errorf("lowerASCII(%q) colon = %d, want %d", c.s, got, c.want)
		}
	}
}
