package sigv4

import (
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"gatehouse/internal/awserr"
)

// Request is a signed request as Parse understood it: everything a server needs to route it
// and find the secret, and the canonical request up to the payload hash. A Request is used by
// one goroutine; Verify reuses its buffer.
type Request struct {
	// AccessKeyID, Region and Service come from the credential scope
	// (AKID/DATE/REGION/SERVICE/aws4_request). The server routes on Service.
	AccessKeyID string
	Region      string
	Service     string
	// Date is the signing time: X-Amz-Date, else the Date header (header form), or the
	// X-Amz-Date query parameter (presigned form).
	Date time.Time
	// SignedHeaders lists the lower-case names the client signed, as it listed them.
	SignedHeaders []string
	// SecurityToken is X-Amz-Security-Token (header, or query for presigned URLs), "" when
	// absent. The server checks it: a temporary key is valid only with its token, and a
	// long-term key never has one.
	SecurityToken string
	// ContentSHA256 is X-Amz-Content-Sha256 (header, or query for presigned URLs), "" when
	// absent. Only S3 honours it; see Verify.
	ContentSHA256 string
	// Presigned is the query-string form; Expires is its X-Amz-Expires (for Query services
	// without one, the allowed clock skew).
	Presigned bool
	Expires   time.Duration
	// Unsigned marks a request with neither an Authorization header nor presigned query
	// parameters. Parse returns such a request together with the dialect's
	// missing-authentication error, so a caller that serves anonymous requests (S3 with a
	// public bucket policy) can tell this case apart; nothing else in it is set.
	Unsigned bool
	// Dialect is the error family of Service.
	Dialect Dialect

	amzDate   string // the request time as signed, ISO 8601 basic format
	scope     string // DATE/REGION/SERVICE/aws4_request
	signature string // hex as sent
	sig       [32]byte
	sigOK     bool   // signature is 64 hex digits; otherwise it can match nothing
	verified  bool   // Verify accepted the signature; the chunk chain may start
	canon     []byte // canonical request through the signed-headers line and its '\n'
	prefixLen int
	keys      *keyCache
}

// Options configures a Verifier. The zero value is usable; withDefaults fills it.
type Options struct {
	// Now is the clock; time.Now by default.
	Now func() time.Time
	// RegionFor returns the region requests for a service must be signed for, or "" to accept
	// any region (the caller may then check Request.Region). Nil accepts any region. IAM is
	// a global service signed for us-east-1 on AWS, but SDKs pointed at a custom endpoint
	// sign with their configured region, so the choice belongs to the server.
	RegionFor func(service string) string
	// MaxSkew is how far a header-signed request's time may be from Now; 15 minutes, as AWS
	// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html).
	MaxSkew time.Duration
	// KeyCacheSize bounds the derived-key cache (entries); 4096 by default.
	KeyCacheSize int
	// Dialect is used for errors found before the credential scope names the service.
	Dialect Dialect
}

func (o Options) withDefaults() Options {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.MaxSkew <= 0 {
		o.MaxSkew = 15 * time.Minute
	}
	if o.KeyCacheSize <= 0 {
		o.KeyCacheSize = 4096
	}
	return o
}

// Verifier parses and verifies SigV4 requests, caching derived signing keys. It is safe for
// concurrent use.
type Verifier struct {
	opts Options
	keys *keyCache
}

// New returns a Verifier with its own key cache.
func New(o Options) *Verifier {
	o = o.withDefaults()
	return &Verifier{opts: o, keys: newKeyCache(o.KeyCacheSize)}
}

// Parse is Verifier.Parse with default options, the clock stopped at now, and no key cache.
func Parse(r *http.Request, now time.Time) (*Request, error) {
	v := &Verifier{opts: Options{Now: func() time.Time { return now }}.withDefaults()}
	return v.Parse(r)
}

const maxExpires = 7 * 24 * time.Hour // presigned URLs live at most a week

// Names of the presigned form's query parameters
// (https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-query-string-auth.html).
const (
	qAlgorithm     = "X-Amz-Algorithm"
	qCredential    = "X-Amz-Credential"
	qDate          = "X-Amz-Date"
	qSignedHeaders = "X-Amz-SignedHeaders"
	qSignature     = "X-Amz-Signature"
	qExpires       = "X-Amz-Expires"
	qSecurityToken = "X-Amz-Security-Token"
	qContentSHA256 = "X-Amz-Content-Sha256"
)

// Parse extracts and checks everything that needs no secret: the algorithm, the credential
// scope (its date against the request's day, its region against Options.RegionFor, its
// terminator), the signed headers (host must be one), the date's format and skew, a presigned
// URL's expiry; and it builds the canonical request up to the payload hash. The error is an
// *awserr.Error in the dialect of the scope's service.
func (v *Verifier) Parse(r *http.Request) (*Request, error) {
	authz, hasHeader := r.Header["Authorization"]
	presigned := hasPresignParams(r.URL.RawQuery)
	switch {
	case hasHeader && presigned:
		e := errs{v.opts.Dialect}
		return nil, e.incomplete(false, "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, "+
			"Signature query string parameter or the Authorization header should be specified")
	case hasHeader:
		return v.parseHeader(r, authz[0])
	case presigned:
		return v.parsePresigned(r)
	}
	return &Request{Unsigned: true, Dialect: v.opts.Dialect}, errs{v.opts.Dialect}.missingAuth()
}

func hasPresignParams(rawQuery string) bool {
	return strings.Contains(rawQuery, "X-Amz-") &&
		(queryHas(rawQuery, qAlgorithm) || queryHas(rawQuery, qCredential) || queryHas(rawQuery, qSignature))
}

// queryHas and queryValue look one parameter up in a raw query without building a map.
func queryHas(rawQuery, name string) bool {
	_, ok := queryValue(rawQuery, name)
	return ok
}

func queryValue(rawQuery, name string) (string, bool) {
	for pair := range strings.SplitSeq(rawQuery, "&") {
		k, v, _ := strings.Cut(pair, "=")
		if k != name {
			continue
		}
		if d, err := url.QueryUnescape(v); err == nil {
			return d, true
		}
		return v, true
	}
	return "", false
}

// authParams are the parts of the Authorization header after the algorithm.
type authParams struct {
	credential, signedHeaders, signature          string
	hasCredential, hasSignedHeaders, hasSignature bool
}

// parseAuthorization splits "AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…".
// The messages are IAM's and STS's.
func parseAuthorization(value string) (alg string, p authParams, msg string) {
	alg, rest, _ := strings.Cut(strings.TrimLeft(value, " "), " ")
	for part := range strings.SplitSeq(rest, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		k, val, ok := strings.Cut(part, "=")
		if !ok {
			return alg, p, fmt.Sprintf("'%s' not a valid key=value pair (missing equal-sign) in Authorization header: '%s'.", part, value)
		}
		switch k {
		case "Credential":
			p.credential, p.hasCredential = val, true
		case "SignedHeaders":
			p.signedHeaders, p.hasSignedHeaders = val, true
		case "Signature":
			p.signature, p.hasSignature = val, true
		}
	}
	return alg, p, ""
}

// missingParts is AWS's message for an Authorization header without some of its parts, e.g.
// "Authorization header requires 'Credential' parameter. … Authorization=Basic …".
func missingParts(p authParams, hasDate bool, value string) string {
	var b strings.Builder
	if !p.hasCredential {
		b.WriteString("Authorization header requires 'Credential' parameter. ")
	}
	if !p.hasSignature {
		b.WriteString("Authorization header requires 'Signature' parameter. ")
	}
	if !p.hasSignedHeaders {
		b.WriteString("Authorization header requires 'SignedHeaders' parameter. ")
	}
	if !hasDate {
		b.WriteString("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. ")
	}
	if b.Len() == 0 {
		return ""
	}
	b.WriteString("Authorization=")
	b.WriteString(value)
	return b.String()
}

func (v *Verifier) parseHeader(r *http.Request, value string) (*Request, error) {
	alg, p, msg := parseAuthorization(value)
	req := &Request{Dialect: v.opts.Dialect}
	if p.hasCredential {
		req.scopeDialect(p.credential)
	}
	e := errs{req.Dialect}
	amzDate, hasAmzDate := firstHeader(r.Header, "X-Amz-Date")
	httpDate, hasHTTPDate := firstHeader(r.Header, "Date")
	hasDate := hasAmzDate || hasHTTPDate
	if alg != algorithm && !strings.HasPrefix(alg, "AWS4-") {
		// Another scheme altogether (SigV2's "AWS key:sig", "Basic …"): AWS lists what a
		// SigV4 header lacks.
		return nil, e.incomplete(false, missingParts(authParams{}, hasDate, value))
	}
	if msg != "" {
		return nil, e.incomplete(false, msg)
	}
	if m := missingParts(p, hasDate, value); m != "" {
		if e.d == DialectS3 {
			if !hasDate {
				return nil, awserr.New(http.StatusForbidden, "AccessDenied", "AWS authentication requires a valid Date or x-amz-date header")
			}
			return nil, e.malformed(false, "the authorization header requires three components: Credential, SignedHeaders, and Signature.")
		}
		return nil, e.incomplete(false, m)
	}
	if alg != algorithm {
		return nil, e.incomplete(false, fmt.Sprintf("Unsupported AWS 'algorithm': '%s'.", alg))
	}

	// X-Amz-Date wins over Date; the string to sign carries the time in ISO 8601 basic
	// format whichever header held it.
	var date time.Time
	if hasAmzDate {
		t, ok := parseAmzDate(amzDate)
		if !ok {
			return nil, e.badDate(false, amzDate)
		}
		date = t
	} else {
		t, err := http.ParseTime(httpDate)
		if err != nil {
			var ok bool
			if t, ok = parseAmzDate(httpDate); !ok {
				return nil, e.badDate(false, httpDate)
			}
		}
		date = t.UTC()
		amzDate = date.Format(timeFormat)
	}
	req.Date, req.amzDate = date, amzDate
	req.signature = p.signature

	if err := v.parseScope(req, p.credential, false); err != nil {
		return nil, err
	}
	if err := req.parseSignedHeaders(p.signedHeaders, false); err != nil {
		return nil, err
	}
	now := v.opts.Now()
	if d := now.Sub(date); d > v.opts.MaxSkew || d < -v.opts.MaxSkew {
		return nil, e.skewed(date, now, v.opts.MaxSkew)
	}
	req.SecurityToken, _ = firstHeader(r.Header, "X-Amz-Security-Token")
	if req.Dialect == DialectS3 {
		sha, ok := firstHeader(r.Header, "X-Amz-Content-Sha256")
		if !ok {
			return nil, missingContentSHA256()
		}
		if !validContentSHA256(sha) {
			return nil, e.invalidContentSHA256()
		}
		req.ContentSHA256 = sha
		if err := req.checkAmzHeadersSigned(r); err != nil {
			return nil, err
		}
	} else {
		req.ContentSHA256, _ = firstHeader(r.Header, "X-Amz-Content-Sha256")
	}
	req.decodeSignature()
	req.buildCanonical(r, false)
	req.keys = v.keys
	return req, nil
}

func (v *Verifier) parsePresigned(r *http.Request) (*Request, error) {
	raw := r.URL.RawQuery
	req := &Request{Dialect: v.opts.Dialect, Presigned: true}
	cred, hasCred := queryValue(raw, qCredential)
	if hasCred {
		req.scopeDialect(cred)
	}
	e := errs{req.Dialect}
	alg, hasAlg := queryValue(raw, qAlgorithm)
	sig, hasSig := queryValue(raw, qSignature)
	signed, hasSigned := queryValue(raw, qSignedHeaders)
	amzDate, hasDate := queryValue(raw, qDate)
	expires, hasExpires := queryValue(raw, qExpires)
	if e.d == DialectS3 {
		if !hasAlg || !hasCred || !hasSig || !hasSigned || !hasDate || !hasExpires {
			return nil, e.malformed(true, "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, "+
				"X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.")
		}
		if alg != algorithm {
			return nil, e.malformed(true, `X-Amz-Algorithm only supports "AWS4-HMAC-SHA256"`)
		}
	} else {
		for _, m := range []struct {
			name string
			ok   bool
		}{{qAlgorithm, hasAlg}, {qCredential, hasCred}, {qSignature, hasSig}, {qSignedHeaders, hasSigned}, {qDate, hasDate}} {
			if !m.ok {
				return nil, e.incomplete(true, fmt.Sprintf("AWS query-string parameters must include '%s'. Re-examine the query-string parameters.", m.name))
			}
		}
		if alg != algorithm {
			return nil, e.incomplete(true, fmt.Sprintf("Unsupported AWS 'algorithm': '%s'.", alg))
		}
	}
	date, ok := parseAmzDate(amzDate)
	if !ok {
		return nil, e.badDate(true, amzDate)
	}
	req.Date, req.amzDate, req.signature = date, amzDate, sig

	// X-Amz-Expires: whole seconds, at most a week. The Query services do not require it
	// and then allow the usual skew.
	req.Expires = v.opts.MaxSkew
	if hasExpires {
		n, err := strconv.ParseInt(expires, 10, 64)
		switch {
		case err != nil:
			return nil, e.incomplete(true, "X-Amz-Expires should be a number")
		case n < 0:
			return nil, e.incomplete(true, "X-Amz-Expires must be non-negative")
		case n > int64(maxExpires/time.Second):
			return nil, e.incomplete(true, "X-Amz-Expires must be less than a week (in seconds) that is; 604800")
		}
		req.Expires = time.Duration(n) * time.Second
	}
	if err := v.parseScope(req, cred, true); err != nil {
		return nil, err
	}
	if err := req.parseSignedHeaders(signed, true); err != nil {
		return nil, err
	}
	now := v.opts.Now()
	if date.Sub(now) > v.opts.MaxSkew {
		return nil, e.notYetValid(date, now, v.opts.MaxSkew)
	}
	if now.After(date.Add(req.Expires)) {
		return nil, e.expired()
	}
	req.SecurityToken, _ = queryValue(raw, qSecurityToken)
	if req.SecurityToken == "" {
		req.SecurityToken, _ = firstHeader(r.Header, "X-Amz-Security-Token")
	}
	sha, ok := queryValue(raw, qContentSHA256)
	if !ok {
		sha, ok = firstHeader(r.Header, "X-Amz-Content-Sha256")
	}
	if ok && req.Dialect == DialectS3 && !validContentSHA256(sha) {
		return nil, e.invalidContentSHA256()
	}
	req.ContentSHA256 = sha
	if req.Dialect == DialectS3 {
		if err := req.checkAmzHeadersSigned(r); err != nil {
			return nil, err
		}
	}
	req.decodeSignature()
	req.buildCanonical(r, true)
	req.keys = v.keys
	return req, nil
}

// parseAmzDate parses ISO 8601 basic format, 20150830T123600Z, exactly (time.Parse with
// timeFormat accepts the same strings, at several times the cost).
func parseAmzDate(s string) (time.Time, bool) {
	if len(s) != len(timeFormat) || s[8] != 'T' || s[15] != 'Z' {
		return time.Time{}, false
	}
	num := func(i, j int) (int, bool) {
		n := 0
		for ; i < j; i++ {
			c := s[i]
			if c < '0' || c > '9' {
				return 0, false
			}
			n = n*10 + int(c-'0')
		}
		return n, true
	}
	y, ok1 := num(0, 4)
	mo, ok2 := num(4, 6)
	d, ok3 := num(6, 8)
	h, ok4 := num(9, 11)
	mi, ok5 := num(11, 13)
	sec, ok6 := num(13, 15)
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) || mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || sec > 59 {
		return time.Time{}, false
	}
	t := time.Date(y, time.Month(mo), d, h, mi, sec, 0, time.UTC)
	if t.Day() != d { // 31 April and the like roll over; refuse them
		return time.Time{}, false
	}
	return t, true
}

func firstHeader(h http.Header, key string) (string, bool) {
	if vals := h[key]; len(vals) > 0 {
		return vals[0], true
	}
	return "", false
}

// scopeDialect sets the dialect from a credential's service, when it has one, so even a
// malformed request for S3 gets S3's errors.
func (req *Request) scopeDialect(cred string) {
	if parts, ok := splitCredential(cred); ok {
		req.Dialect = DialectFor(parts[3])
	}
}

// splitCredential splits AKID/DATE/REGION/SERVICE/TERMINATOR without allocating.
func splitCredential(cred string) (parts [5]string, ok bool) {
	rest := cred
	for i := range 4 {
		var found bool
		parts[i], rest, found = strings.Cut(rest, "/")
		if !found {
			return parts, false
		}
	}
	parts[4] = rest
	return parts, !strings.Contains(rest, "/")
}

// parseScope checks the credential AKID/DATE/REGION/SERVICE/aws4_request against the request.
func (v *Verifier) parseScope(req *Request, cred string, presigned bool) error {
	e := errs{req.Dialect}
	parts, ok := splitCredential(cred)
	if !ok {
		return e.incomplete(presigned, fmt.Sprintf("Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '%s'", cred))
	}
	akid, day, region, service, term := parts[0], parts[1], parts[2], parts[3], parts[4]
	if term != terminator {
		return e.scopeMismatch(presigned,
			fmt.Sprintf("Credential should be scoped with a valid terminator: 'aws4_request', not '%s'. ", term),
			fmt.Sprintf("Incorrect terminal %q. This endpoint uses \"aws4_request\".", term))
	}
	if want := req.amzDate[:len(dateFormat)]; day != want {
		return e.scopeMismatch(presigned,
			fmt.Sprintf("Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '%s' != '%s', from '%s'.", day, want, req.amzDate),
			fmt.Sprintf("Invalid credential date %q. This date is not the same as X-Amz-Date: %q.", day, want))
	}
	if !validService(service) {
		return e.scopeMismatch(presigned,
			fmt.Sprintf("Credential should be scoped to correct service: '%s'. ", service),
			fmt.Sprintf("Incorrect service %q.", service))
	}
	if v.opts.RegionFor != nil {
		if want := v.opts.RegionFor(service); want != "" && region != want {
			return e.scopeMismatch(presigned,
				fmt.Sprintf("Credential should be scoped to a valid region, not '%s'. ", region),
				fmt.Sprintf("the region '%s' is wrong; expecting '%s'", region, want))
		}
	}
	req.AccessKeyID, req.Region, req.Service = akid, region, service
	req.scope = cred[len(akid)+1:]
	return nil
}

// validService accepts service names as AWS spells them in scopes: lower-case letters,
// digits and '-'.
func validService(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// parseSignedHeaders splits "host;x-amz-date" and insists on host: a signature that does
// not cover the host could be replayed against another endpoint.
func (req *Request) parseSignedHeaders(list string, presigned bool) error {
	e := errs{req.Dialect}
	hasHost := false
	n := strings.Count(list, ";") + 1
	req.SignedHeaders = make([]string, 0, n)
	for name := range strings.SplitSeq(list, ";") {
		if name == "" || strings.ToLower(name) != name {
			return e.incomplete(presigned, fmt.Sprintf("Signed headers must be lower-case names separated by ';', got '%s'.", list))
		}
		if name == "host" {
			hasHost = true
		}
		req.SignedHeaders = append(req.SignedHeaders, name)
	}
	if !hasHost {
		return e.incomplete(presigned, "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.")
	}
	return nil
}

// checkAmzHeadersSigned enforces S3's rule that every x-amz-* header present is signed
// (https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html).
func (req *Request) checkAmzHeadersSigned(r *http.Request) error {
	for k := range r.Header {
		if len(k) < 6 || !strings.EqualFold(k[:6], "x-amz-") {
			continue
		}
		lk := strings.ToLower(k)
		signed := false
		for _, s := range req.SignedHeaders {
			if s == lk {
				signed = true
				break
			}
		}
		if !signed {
			return awserr.New(http.StatusForbidden, "AccessDenied", "There were headers present in the request which were not signed")
		}
	}
	return nil
}

// validContentSHA256 accepts what S3 accepts in X-Amz-Content-Sha256: a lower-case hex
// SHA-256 or one of the named payload modes.
func validContentSHA256(v string) bool {
	switch v {
	case UnsignedPayload, StreamingPayload,
		"STREAMING-UNSIGNED-PAYLOAD-TRAILER", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER",
		"STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD", "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER":
		return true
	}
	return isHexSHA256(v)
}

func isHexSHA256(v string) bool {
	if len(v) != 64 {
		return false
	}
	for i := 0; i < len(v); i++ {
		if c := v[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// rawPath is the request path exactly as the client sent it: the request line's target
// (origin form), else the URL's escaped path.
func rawPath(r *http.Request) string {
	if u := r.RequestURI; u != "" && u[0] == '/' {
		if i := strings.IndexByte(u, '?'); i >= 0 {
			return u[:i]
		}
		return u
	}
	return r.URL.EscapedPath()
}

// buildCanonical writes the canonical request through the signed-headers line.
func (req *Request) buildCanonical(r *http.Request, presigned bool) {
	buf := make([]byte, 0, 512)
	buf = append(buf, r.Method...)
	buf = append(buf, '\n')
	buf = appendCanonicalURI(buf, rawPath(r), req.Dialect == DialectS3)
	buf = append(buf, '\n')
	buf = appendCanonicalQuery(buf, r.URL.RawQuery, presigned)
	buf = append(buf, '\n')
	buf = appendCanonicalHeaders(buf, r, req.SignedHeaders)
	buf = append(buf, '\n')
	for i, h := range req.SignedHeaders {
		if i > 0 {
			buf = append(buf, ';')
		}
		buf = append(buf, h...)
	}
	buf = append(buf, '\n')
	req.canon, req.prefixLen = buf, len(buf)
}

func (req *Request) decodeSignature() {
	if len(req.signature) == 2*len(req.sig) {
		_, err := hex.Decode(req.sig[:], []byte(req.signature))
		req.sigOK = err == nil
	}
}
