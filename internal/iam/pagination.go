package iam

import (
	"encoding/base64"
	"strings"

	"gatehouse/internal/awserr"
	"gatehouse/internal/kv"
)

// Pagination follows IAM's Marker/MaxItems/IsTruncated contract
// (https://docs.aws.amazon.com/IAM/latest/APIReference/API_ListUsers.html): MaxItems defaults
// to 100; when more results remain, IsTruncated is true and Marker is what the next call
// passes. A marker is opaque: the operation it belongs to and the last key returned, which
// the next call resumes after. It names the account's own keys only, and a marker another
// operation or account issued is refused.

// pager is one page request.
type pager struct {
	op    string // the operation the marker belongs to
	after string // resume after this key ("" = from the start)
	max   int
}

// newPager checks a marker and a MaxItems for op in the account whose keys start with base.
func newPager(op, base string, marker *string, maxItems *int32) (pager, error) {
	p := pager{op: op, max: defaultMaxItems}
	if maxItems != nil && *maxItems > 0 {
		p.max = int(*maxItems)
	}
	if marker == nil || *marker == "" {
		return p, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(*marker)
	s := string(b)
	if err != nil || !strings.HasPrefix(s, op+"|") || !strings.HasPrefix(s[len(op)+1:], base) {
		// ValidationError, as recorded against AWS for ListVirtualMFADevices with a made-up
		// marker (LocalStack's test_list_virtual_mfa_devices).
		return p, awserr.ValidationError("Invalid Marker.")
	}
	p.after = s[len(op)+1:]
	return p, nil
}

// marker returns the marker that resumes after key.
func (p pager) marker(key string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(p.op + "|" + key))
}

// list returns up to p.max pairs under prefix after the marker, whether more remain, and the
// next marker when they do.
func (p pager) list(tx kv.Tx, prefix string) (ps []kv.Pair, truncated bool, next string, err error) {
	after := p.after
	if after != "" && after < prefix {
		after = ""
	}
	ps, err = tx.List(prefix, after, p.max+1)
	if err != nil {
		return nil, false, "", err
	}
	if len(ps) > p.max {
		ps = ps[:p.max]
		return ps, true, p.marker(ps[len(ps)-1].Key), nil
	}
	return ps, false, "", nil
}

// page cuts an in-memory, sorted list of n items, each with a sort key, at the marker.
// It is for the few lists that are not one key range (the AWS managed policies merged with
// the account's own, tags): start is the first index after the marker.
func (p pager) window(n int, keyAt func(i int) string) (start, end int, truncated bool, next string) {
	start = 0
	if p.after != "" {
		for start < n && keyAt(start) <= p.after {
			start++
		}
	}
	end = start + p.max
	if end >= n {
		return start, n, false, ""
	}
	return start, end, true, p.marker(keyAt(end - 1))
}
