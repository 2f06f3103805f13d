package iam

import "testing"

// TestTrustActionAllowed: an Action of a trust policy passes when, read as the policy
// engine reads actions (case-insensitive, only * and ? wildcards), it names a way to assume
// the role or a session attribute.
func TestTrustActionAllowed(t *testing.T) {
	for _, c := range []struct {
		action string
		ok     bool
	}{
		{"sts:assumerole", true},
		{"sts:assumerolewithwebidentity", true},
		{"sts:*", true},
		{"sts:assume*", true},
		{"sts:assumerol?", true},
		{"*", true},
		{"sts:tagsession", true},
		{"sts:assume[r]ole", false}, // '[' is no wildcard in IAM
		{"sts:getcalleridentity", false},
		{"s3:getobject", false},
		{"sts:assumerole ", false},
	} {
		if got := trustActionAllowed(c.action); got != c.ok {
			t.Errorf("trustActionAllowed(%q) = %v, want %v", c.action, got, c.ok)
		}
	}
}
