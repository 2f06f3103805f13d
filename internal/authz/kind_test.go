package authz

import "testing"

// TestKindOf: trust and KMS actions are recognised in any ASCII case and only so; a
// non-ASCII letter that Unicode folds to an ASCII one (ſ, K) is not the letter.
func TestKindOf(t *testing.T) {
	for _, c := range []struct {
		action string
		want   actionKind
	}{
		{"sts:AssumeRole", trustAction},
		{"STS:ASSUMEROLEWITHSAML", trustAction},
		{"sts:assumerolewithwebidentity", trustAction},
		{"sts:TagSession", trustAction},
		{"sts:SetSourceIdentity", trustAction},
		{"sts:SetContext", trustAction},
		{"sts:aſsumeRole", ordinaryAction},
		{"sts:TagSeſsion", ordinaryAction},
		{"ſts:AssumeRole", ordinaryAction},
		{"sts:GetCallerIdentity", ordinaryAction},
		{"sts:AssumeRoleX", ordinaryAction},
		{"kms:Decrypt", kmsAction},
		{"KMS:decrypt", kmsAction},
		{"kms", kmsAction},                   // no colon: the whole action is the service
		{"\u212ams:Decrypt", ordinaryAction}, // KELVIN SIGN folds to k in Unicode
		{"kmsx:Decrypt", ordinaryAction},
		{"s3:GetObject", ordinaryAction},
		{"", ordinaryAction},
	} {
		if got := kindOf(c.action); got != c.want {
			t.Errorf("kindOf(%q) = %d, want %d", c.action, got, c.want)
		}
	}
}
