package iam

import (
	"regexp"
	"strings"
	"testing"
)

var roleNameRE = regexp.MustCompile(`^[\w+=,.@-]{1,64}$`)

func FuzzServiceLinkedRoleName(f *testing.F) {
	for _, s := range []string{"autoscaling.amazonaws.com", "new-service.amazonaws.com", "x.y.amazonaws.com", ".amazonaws.com", "sts", "-.amazonaws.com"} {
		f.Add(s, "")
		f.Add(s, "suffix")
	}
	f.Fuzz(func(t *testing.T, service, suffix string) {
		path, name, ok := ServiceLinkedRoleName(service, suffix)
		if !ok {
			return
		}
		if path != "/aws-service-role/"+service+"/" || !strings.HasPrefix(name, "AWSServiceRoleFor") || len(name) > 64 {
			t.Fatalf("%q %q: got path %q name %q", service, suffix, path, name)
		}
		if roleNameRE.MatchString(service) && roleNameRE.MatchString(suffix+"x") && !roleNameRE.MatchString(name) {
			t.Fatalf("%q %q: name %q is not a role name", service, suffix, name)
		}
	})
}
