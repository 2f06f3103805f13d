// Package policy owns the IAM policy language: the JSON grammar of a policy document
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html),
// parsed strictly for writes (with IAM's MalformedPolicyDocument messages) or leniently
// for documents already stored, and compiled into a form that matches actions, resources
// and conditions without allocating. Condition operators live in policy/condition,
// wildcard matching and policy variables in policy/wildcard. Deciding a request across
// policies is internal/authz's job, not this package's.
package policy

import (
	"strconv"

	"gatehouse/internal/policy/condition"
)

// Kind is what a document is attached as; strict parsing rules differ by kind.
type Kind uint8

const (
	Identity Kind = iota // attached to a user, group or role (also permissions boundaries and session policies)
	Resource             // attached to a resource (bucket policy, key policy, …); needs Principal
	Trust                // a role's AssumeRolePolicyDocument; needs Principal, no Resource
	SCP                  // an AWS Organizations service control policy
	RCP                  // an AWS Organizations resource control policy
)

func (k Kind) String() string {
	switch k {
	case Identity:
		return "identity"
	case Resource:
		return "resource"
	case Trust:
		return "trust"
	case SCP:
		return "scp"
	case RCP:
		return "rcp"
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}

// ParseKind reads the names String returns.
func ParseKind(s string) (Kind, bool) {
	for k := Identity; k <= RCP; k++ {
		if k.String() == s {
			return k, true
		}
	}
	return 0, false
}

// Version is the policy language version
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_version.html).
type Version uint8

const (
	// Version2008 is "2008-10-17", and also what a document without Version gets.
	// Policy variables are plain text in it.
	Version2008 Version = iota
	Version2012         // "2012-10-17"
)

func (v Version) String() string {
	if v == Version2012 {
		return "2012-10-17"
	}
	return "2008-10-17"
}

// Effect is a statement's Allow or Deny.
type Effect uint8

const (
	Allow Effect = iota + 1
	Deny
)

func (e Effect) String() string {
	switch e {
	case Allow:
		return "Allow"
	case Deny:
		return "Deny"
	}
	return "Effect(" + strconv.Itoa(int(e)) + ")"
}

// Document is a parsed policy document.
type Document struct {
	Version    Version
	HasVersion bool
	ID         string
	Statements []Statement
}

// Statement is one parsed statement. For each of the three pairs (Principal/NotPrincipal,
// Action/NotAction, Resource/NotResource) at most one is present; the Not… flag says which.
type Statement struct {
	Sid    string
	Effect Effect

	Principal    *Principal // nil when neither Principal nor NotPrincipal is present
	NotPrincipal bool

	Action    []string
	NotAction bool
	HasAction bool

	Resource    []string
	NotResource bool
	HasResource bool

	Condition []condition.Raw

	block *condition.Block // the compiled Condition, when strict parsing already built it
}

// Principal is the value of a Principal or NotPrincipal element
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html).
type Principal struct {
	Wildcard      bool // "Principal": "*"
	AWS           []string
	Service       []string
	Federated     []string
	CanonicalUser []string
}
