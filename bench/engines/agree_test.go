package engines

import (
	"testing"
)

// testOptions sizes the corpus a test or benchmark runs: small under -short.
func testOptions(short bool) Options {
	if short {
		return Options{Seed: 1, Users: 4, RoleStatements: 200, Requests: 150}
	}
	return Options{Seed: 1, Users: 16, RoleStatements: 1000, Requests: 256}
}

func loadAll(t testing.TB, c *Corpus) []Engine {
	t.Helper()
	ours, err := NewOurs(c)
	if err != nil {
		t.Fatal(err)
	}
	ced, err := NewCedar(c)
	if err != nil {
		t.Fatal(err)
	}
	opa, err := NewOPA(c)
	if err != nil {
		t.Fatal(err)
	}
	return []Engine{ours, ced, opa}
}

// TestAgreement decides every request of a seeded corpus with all three engines and
// fails on any request where they differ.
func TestAgreement(t *testing.T) {
	c := Generate(testOptions(testing.Short()))
	bad, tally := Agree(c, loadAll(t, c)...)
	for i, d := range bad {
		if i == 20 {
			t.Errorf("… and %d more", len(bad)-20)
			break
		}
		t.Error(d.String(c))
	}
	t.Logf("%d requests: %d allowed, %d explicitDeny, %d implicitDeny", len(c.Requests), tally[Allowed], tally[ExplicitDeny], tally[ImplicitDeny])
}
