package iam

import (
	"strings"
	"testing"
)

// FuzzParseIAMARN checks that an ARN the parser accepts formats back to itself, so keys and
// lookups built from its parts name the same entity.
func FuzzParseIAMARN(f *testing.F) {
	for _, s := range []string{
		"arn:aws:iam::123456789012:user/bob",
		"arn:aws:iam::123456789012:user/division_abc/subdivision_xyz/bob",
		"arn:aws:iam::aws:policy/service-role/AmazonEC2RoleforSSM",
		"arn:aws:iam::123456789012:root",
		"arn:aws-cn:iam::123456789012:instance-profile/web/ip",
		"arn:aws:sts::123456789012:assumed-role/role_1/i-0123",
		"arn:aws:iam::123456789012:user/",
		"arn:aws:iam:us-east-1:123456789012:user/bob",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, ok := parseIAMARN(s)
		if ok {
			if got := arnOf(p.Partition, p.Account, p.Resource, p.Path, p.Name); got != s {
				t.Fatalf("parse(%q) formats as %q", s, got)
			}
			if p.Name != "" && (strings.Contains(p.Name, "/") || !strings.HasPrefix(p.Path, "/") || !strings.HasSuffix(p.Path, "/")) {
				t.Fatalf("parse(%q): path %q name %q", s, p.Path, p.Name)
			}
		}
		parsePrincipalARN(s) // must not panic
	})
}

// FuzzMarker checks that any marker is either refused with InvalidInput or resumes inside
// the account, and that the markers the pager issues are accepted.
func FuzzMarker(f *testing.F) {
	base := keysFor(testAccount).base()
	pg := pager{op: "ListUsers", max: 10}
	f.Add(pg.marker(base + "user-path// bob"))
	f.Add("garbage")
	f.Add("")
	f.Fuzz(func(t *testing.T, m string) {
		p, err := newPager("ListUsers", base, &m, nil)
		if err != nil {
			wantErr(t, err, "ValidationError", "Invalid Marker.")
			return
		}
		if p.after != "" && !strings.HasPrefix(p.after, base) {
			t.Fatalf("marker %q resumes outside the account at %q", m, p.after)
		}
		if p.after != "" {
			again, err := newPager("ListUsers", base, ptr(p.marker(p.after)), nil)
			if err != nil || again.after != p.after {
				t.Fatalf("re-issued marker: got %q, %v", again.after, err)
			}
		}
	})
}
