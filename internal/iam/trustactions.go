package iam

import (
	"encoding/json"
	"net/url"
	"strings"

	"gatehouse/internal/policy/wildcard"
)

// Checks IAM makes of a trust policy beyond the policy grammar, with the messages AWS answers
// (recorded against AWS in LocalStack's test_iam_roles.py::test_update_assume_role_policy_errors).

// trustActions are the actions a trust policy may grant: the ways to assume a role and the
// session attributes the caller may set while doing so
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_terms-and-concepts.html#iam-term-trust-policy,
// https://docs.aws.amazon.com/IAM/latest/UserGuide/id_session-tags.html).
var trustActions = []string{
	"sts:assumerole", "sts:assumerolewithsaml", "sts:assumerolewithwebidentity",
	"sts:tagsession", "sts:setsourceidentity", "sts:setcontext",
}

// trustJSONValid reports whether a trust policy parses as JSON, URL-encoded or not. IAM's
// answer to one that does not is "This policy contains invalid Json", not the identity
// policies' "Syntax errors in policy.".
func trustJSONValid(doc string) bool {
	if json.Valid([]byte(doc)) {
		return true
	}
	dec, err := url.QueryUnescape(doc)
	return err == nil && json.Valid([]byte(dec))
}

// checkTrustActions refuses a trust policy whose Action names something no role assumption
// uses, such as sts:InvalidAction or s3:GetObject: "AssumeRole policy may only specify STS
// AssumeRole actions." An action with wildcards passes when it matches one of trustActions.
// doc has already passed the policy grammar.
func checkTrustActions(doc string) error {
	var d struct {
		Statement json.RawMessage
	}
	if err := json.Unmarshal([]byte(doc), &d); err != nil {
		return nil
	}
	var stmts []map[string]json.RawMessage
	if err := json.Unmarshal(d.Statement, &stmts); err != nil {
		var one map[string]json.RawMessage
		if json.Unmarshal(d.Statement, &one) != nil {
			return nil
		}
		stmts = []map[string]json.RawMessage{one}
	}
	for _, st := range stmts {
		raw, ok := st["Action"]
		if !ok {
			continue
		}
		var actions []string
		if err := json.Unmarshal(raw, &actions); err != nil {
			var a string
			if json.Unmarshal(raw, &a) != nil {
				continue
			}
			actions = []string{a}
		}
		for _, a := range actions {
			if !trustActionAllowed(strings.ToLower(a)) {
				return malformedPolicyDocument("AssumeRole policy may only specify STS AssumeRole actions.")
			}
		}
	}
	return nil
}

func trustActionAllowed(a string) bool {
	// The policy engine's own action matcher: only * and ? are wildcards, as in any Action
	// element (reference_policies_elements_action.html); a '[' is a literal character, which
	// path.Match would have read as a character class ("sts:Assume[R]ole").
	p := wildcard.Compile(a, wildcard.Action, false)
	for _, t := range trustActions {
		if p.MatchLower(t) {
			return true
		}
	}
	return false
}
