package server

import (
	"net/url"
	"strings"
	"testing"
)

// The encoded message leaves emulator mode's decision log as it was: in soft mode an EC2
// would-be denial is recorded and allowed, with no message built; in strict mode the
// response carries the encoded message and the record keeps AWS's plain sentence.
func TestEncodedMessageAndDecisionLog(t *testing.T) {
	run := url.Values{"Action": {"RunInstances"}, "ImageId": {"ami-0123456789abcdef0"}, "MinCount": {"1"}, "MaxCount": {"1"}}
	for _, tc := range []struct {
		enforce    Enforce
		wantStatus int
	}{{Soft, 200}, {Strict, 403}} {
		t.Run(tc.enforce.String(), func(t *testing.T) {
			f := newEmuFixture(t, "emulator", tc.enforce)
			id, secret := f.user("viewer", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ec2:Describe*","Resource":"*"}]}`)
			w := f.call("ec2", "us-east-1", id, secret, "", run)
			if w.Code != tc.wantStatus {
				t.Fatalf("RunInstances: got %d %s, want %d", w.Code, w.Body, tc.wantStatus)
			}
			if encoded := strings.Contains(w.Body.String(), "Encoded authorization failure message: "); encoded != (tc.enforce == Strict) {
				t.Errorf("encoded message in the response: %v, want %v:\n%s", encoded, tc.enforce == Strict, w.Body)
			}
			recs := f.decisions(t, "denied=true")
			if len(recs) == 0 {
				t.Fatal("no denial recorded")
			}
			d := recs[0]
			if d.Action != "ec2:RunInstances" || d.Decision != "implicitDeny" || d.Enforced != (tc.enforce == Strict) ||
				!strings.HasSuffix(d.Message, "because no identity-based policy allows the ec2:RunInstances action") {
				t.Errorf("the denial: got %+v", d)
			}
		})
	}
}
