package simulate_test

import (
	"testing"

	"gatehouse/internal/simulate"
)

// FuzzRun: whatever the input, Decode and Run return an answer or an error, never a panic, and an
// answer is one of the three decisions with a message exactly when it denies. The doc cases seed it.
func FuzzRun(f *testing.F) {
	for _, cases := range loadDocCases(f) {
		for _, c := range cases {
			f.Add([]byte(c.Input))
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		in, err := simulate.Decode(data)
		if err != nil {
			return
		}
		out, err := simulate.Run(in)
		if err != nil {
			return
		}
		switch out.Decision {
		case "allowed":
			if out.Message != nil || out.DeniedBy != nil {
				t.Fatalf("allowed with a denial: %+v", out)
			}
		case "explicitDeny", "implicitDeny":
			if out.Message == nil || out.DeniedBy == nil {
				t.Fatalf("%s without deniedBy or message: %+v", out.Decision, out)
			}
		default:
			t.Fatalf("decision %q", out.Decision)
		}
	})
}
