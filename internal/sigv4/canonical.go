package sigv4

import (
	"cmp"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// The canonical request, step by step
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html#create-canonical-request):
//
//	HTTPMethod \n CanonicalURI \n CanonicalQueryString \n CanonicalHeaders \n SignedHeaders \n HashedPayload
//
// Every step here is a pure function over what the client put on the wire, appending to a
// byte slice so a verification allocates little.

const upperHex = "0123456789ABCDEF"

// unreserved reports the characters SigV4's URI encoding leaves alone: A-Z a-z 0-9 - . _ ~.
func unreserved(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' ||
		c == '-' || c == '.' || c == '_' || c == '~'
}

// appendURIEncode appends s with every byte but the unreserved ones (and '/', when
// keepSlash) percent-encoded with upper-case hex, as SigV4 requires.
func appendURIEncode(dst []byte, s string, keepSlash bool) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if unreserved(c) || c == '/' && keepSlash {
			dst = append(dst, c)
			continue
		}
		dst = append(dst, '%', upperHex[c>>4], upperHex[c&15])
	}
	return dst
}

// appendCanonicalURI appends the canonical URI of rawPath, the path exactly as the client
// sent it (still percent-encoded).
//
// Every service but S3 normalizes the path (removes "." and ".." segments and empty
// segments, as RFC 3986 does) and then URI-encodes it once more, so an encoded "%20" on the
// wire becomes "%2520" — the AWS test suite's normalize-path cases and the SDK's escaping
// both say so. S3 does neither: it signs the path as sent, because object keys may contain
// "//" and "." that are part of the name
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html,
// "Each path segment must be URI-encoded twice (except for Amazon S3 which only gets
// URI-encoded once)").
func appendCanonicalURI(dst []byte, rawPath string, s3 bool) []byte {
	if rawPath == "" {
		return append(dst, '/')
	}
	if s3 {
		return append(dst, rawPath...)
	}
	if !needsNormalizing(rawPath) {
		return appendURIEncode(dst, rawPath, true)
	}
	return appendURIEncode(dst, normalizePath(rawPath), true)
}

// needsNormalizing reports whether p has an empty, "." or ".." segment, or lacks the leading
// slash; most paths do not, and skip the allocation normalizePath makes.
func needsNormalizing(p string) bool {
	if p[0] != '/' {
		return true
	}
	for i := 0; i < len(p); i++ {
		if p[i] != '/' {
			continue
		}
		rest := p[i+1:]
		if rest == "" {
			continue // a trailing slash is kept as is
		}
		if rest[0] == '/' || rest == "." || rest == ".." ||
			strings.HasPrefix(rest, "./") || strings.HasPrefix(rest, "../") {
			return true
		}
	}
	return false
}

// normalizePath removes empty, "." and ".." segments, as botocore (the AWS CLI's and boto3's
// signer) does: the result keeps a trailing slash only when the path ended in one ("/a/b/.."
// is "/a", "/a/b/../" is "/a/"), and the root is "/". The AWS test suite's normalize-path
// cases agree; RFC 3986 alone would keep the slash after a final dot segment.
func normalizePath(p string) string {
	segs := make([]string, 0, 8)
	for seg := range strings.SplitSeq(p, "/") {
		switch seg {
		case "", ".":
		case "..":
			if len(segs) > 0 {
				segs = segs[:len(segs)-1]
			}
		default:
			segs = append(segs, seg)
		}
	}
	if len(segs) == 0 {
		return "/"
	}
	out := "/" + strings.Join(segs, "/")
	if strings.HasSuffix(p, "/") {
		out += "/"
	}
	return out
}

// queryParam is one canonical query parameter, both halves already URI-encoded.
type queryParam struct{ key, value string }

// appendCanonicalQuery appends the canonical query string of rawQuery: each parameter
// decoded (a '+' is a space, as form encoding has it) and re-encoded with SigV4's encoding,
// sorted by key and then value, joined with '&'; a parameter without '=' has an empty value.
// For a presigned request the X-Amz-Signature parameter is left out, since it cannot sign
// itself.
func appendCanonicalQuery(dst []byte, rawQuery string, presigned bool) []byte {
	if rawQuery == "" {
		return dst
	}
	var stack [16]queryParam
	params := stack[:0]
	for pair := range strings.SplitSeq(rawQuery, "&") {
		if pair == "" {
			continue
		}
		k, v, _ := strings.Cut(pair, "=")
		if presigned && k == "X-Amz-Signature" {
			continue
		}
		params = append(params, queryParam{reencode(k), reencode(v)})
	}
	slices.SortFunc(params, func(a, b queryParam) int {
		if c := cmp.Compare(a.key, b.key); c != 0 {
			return c
		}
		return cmp.Compare(a.value, b.value)
	})
	for i, p := range params {
		if i > 0 {
			dst = append(dst, '&')
		}
		dst = append(dst, p.key...)
		dst = append(dst, '=')
		dst = append(dst, p.value...)
	}
	return dst
}

// reencode decodes one query component and encodes it again the SigV4 way. A malformed
// escape ("%zz") is taken literally, so its '%' is encoded as "%25"; the signature then
// decides.
func reencode(s string) string {
	clean := true
	for i := 0; i < len(s); i++ {
		if !unreserved(s[i]) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var decoded []byte
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '+':
			decoded = append(decoded, ' ')
		case c == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]):
			decoded = append(decoded, unhex(s[i+1])<<4|unhex(s[i+2]))
			i += 2
		default:
			decoded = append(decoded, c)
		}
	}
	out := make([]byte, 0, len(decoded)*3)
	for _, c := range decoded {
		if unreserved(c) {
			out = append(out, c)
			continue
		}
		out = append(out, '%', upperHex[c>>4], upperHex[c&15])
	}
	return string(out)
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case '0' <= c && c <= '9':
		return c - '0'
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}

// appendCanonicalHeaders appends "name:value\n" for each signed header, in the order the
// client listed them (which the client sorted). A header's values (one per line it was sent
// on) are trimmed, runs of spaces collapsed, and joined with ','. A signed header the request
// lacks signs as empty, so the signature decides.
func appendCanonicalHeaders(dst []byte, r *http.Request, signed []string) []byte {
	for _, name := range signed {
		dst = append(dst, name...)
		dst = append(dst, ':')
		dst = appendHeaderValues(dst, r, name)
		dst = append(dst, '\n')
	}
	return dst
}

// appendHeaderValues appends the canonical value of the lower-case header name. Go's server
// moves Host out of the header map into r.Host, and may consume Content-Length and
// Transfer-Encoding; those are rebuilt from the request's fields.
func appendHeaderValues(dst []byte, r *http.Request, name string) []byte {
	if name == "host" {
		// Go's server moves Host out of the map; a request built by hand may keep it there.
		if vals, ok := r.Header["Host"]; ok && len(vals) > 0 {
			return appendTrimmed(dst, vals[0])
		}
		return appendTrimmed(dst, r.Host)
	}
	vals := headerValues(r.Header, name)
	if vals == nil {
		switch name {
		case "content-length":
			if r.ContentLength >= 0 && len(r.TransferEncoding) == 0 {
				return strconv.AppendInt(dst, r.ContentLength, 10)
			}
		case "transfer-encoding":
			for i, v := range r.TransferEncoding {
				if i > 0 {
					dst = append(dst, ',')
				}
				dst = appendTrimmed(dst, v)
			}
			return dst
		}
	}
	for i, v := range vals {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendTrimmed(dst, v)
	}
	return dst
}

// headerValues finds a header by its lower-case name. Go stores keys in canonical MIME form
// ("X-Amz-Date"); the key is rebuilt in a stack buffer, which a map lookup does not copy. A
// key Go could not canonicalize is stored as sent, so a miss falls back to a scan.
func headerValues(h http.Header, name string) []string {
	var buf [128]byte
	if len(name) <= len(buf) {
		key := buf[:len(name)]
		upper := true
		for i := 0; i < len(name); i++ {
			c := name[i]
			if upper && 'a' <= c && c <= 'z' {
				c -= 'a' - 'A'
			}
			key[i] = c
			upper = c == '-'
		}
		if vals, ok := h[string(key)]; ok || tokenName(name) {
			return vals // Go canonicalized every key made of token characters
		}
	}
	for k, vals := range h {
		if strings.EqualFold(k, name) {
			return vals
		}
	}
	return nil
}

// tokenName reports whether a lower-case header name holds only HTTP token characters, the
// names Go's server stores in canonical form.
func tokenName(name string) bool {
	for i := 0; i < len(name); i++ {
		c := name[i]
		if 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0 {
			continue
		}
		return false
	}
	return true
}

// appendTrimmed appends v without leading and trailing white space and with each run of
// spaces collapsed to one, as the SDK's StripExcessSpaces and the AWS test suite's
// get-header-value-trim case do.
func appendTrimmed(dst []byte, v string) []byte {
	v = strings.TrimSpace(v)
	for i := 0; i < len(v); i++ {
		if v[i] == ' ' && i > 0 && v[i-1] == ' ' {
			continue
		}
		dst = append(dst, v[i])
	}
	return dst
}
