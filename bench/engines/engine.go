package engines

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Decision is an engine's answer, with the names of IAM's SimulatePrincipalPolicy. Each
// engine here can tell an explicit denial from an implicit one (Cedar by a forbid
// policy among the reasons, OPA by a separate deny rule), so agreement is checked on all
// three values.
type Decision uint8

const (
	ImplicitDeny Decision = iota
	Allowed
	ExplicitDeny
)

func (d Decision) String() string {
	switch d {
	case ImplicitDeny:
		return "implicitDeny"
	case Allowed:
		return "allowed"
	case ExplicitDeny:
		return "explicitDeny"
	}
	return "Decision(?)"
}

// Engine is one policy engine loaded with a corpus's policies and requests.
type Engine interface {
	Name() string
	// Decider returns a decider for one goroutine (it may hold reusable scratch space).
	Decider() Decider
}

// Decider decides the corpus's requests, each prepared in the engine's own input form
// when the engine was built: a benchmark times only the decision.
type Decider interface {
	Decide(i int) (Decision, error)
}

// Disagreement is a request on which the engines did not give the same decision.
type Disagreement struct {
	Index     int
	Request   Request
	Decisions map[string]Decision
	Errors    map[string]error
}

// String describes the request and each engine's answer, engines in name order.
func (d Disagreement) String(c *Corpus) string {
	r := d.Request
	var b strings.Builder
	fmt.Fprintf(&b, "request %d: principal=%s action=%s resource=%s aws:SourceIp=%q aws:SecureTransport=%q team=%q:",
		d.Index, c.Principals[r.Principal].ARN, r.Action, r.Resource, r.SourceIP, r.Secure, c.Principals[r.Principal].Team)
	for _, name := range slices.Sorted(maps.Keys(d.Decisions)) {
		fmt.Fprintf(&b, " %s=%s", name, d.Decisions[name])
	}
	for _, name := range slices.Sorted(maps.Keys(d.Errors)) {
		fmt.Fprintf(&b, " %s error: %v", name, d.Errors[name])
	}
	return b.String()
}

// Tally counts the decisions of the first engine over the corpus.
type Tally [3]int

// Agree decides every request of c with every engine and returns the requests on which
// they disagree (or on which one failed), and the first engine's decision counts.
func Agree(c *Corpus, engines ...Engine) ([]Disagreement, Tally) {
	deciders := make([]Decider, len(engines))
	for i, e := range engines {
		deciders[i] = e.Decider()
	}
	var out []Disagreement
	var tally Tally
	for i, r := range c.Requests {
		d := Disagreement{Index: i, Request: r, Decisions: map[string]Decision{}, Errors: map[string]error{}}
		bad := false
		var first Decision
		for j, dec := range deciders {
			got, err := dec.Decide(i)
			if err != nil {
				d.Errors[engines[j].Name()] = err
				bad = true
				continue
			}
			d.Decisions[engines[j].Name()] = got
			if j == 0 {
				first = got
				tally[got]++
			} else if got != first {
				bad = true
			}
		}
		if bad {
			out = append(out, d)
		}
	}
	return out, tally
}
