package iam

import (
	"bytes"
	"encoding/json"
	"net/url"
	"strings"
	"unicode/utf8"
)

// policyKind says which grammar a policy document must follow.
type policyKind int

const (
	identityPolicy policyKind = iota // inline and managed permissions policies, boundaries
	trustPolicy                      // a role's AssumeRolePolicyDocument
)

func (k policyKind) String() string {
	if k == trustPolicy {
		return "trust"
	}
	return "identity"
}

// validatePolicyDocument checks a document as IAM does on write and returns its size as IAM
// counts it. It is the one place documents are checked; internal/policy's strict parser
// takes over here once it exists.
func validatePolicyDocument(kind policyKind, doc string) (size int, err error) {
	// Documents may arrive URL-encoded (IAM accepts both and the console sends them encoded).
	if !json.Valid([]byte(doc)) {
		if dec, uerr := url.QueryUnescape(doc); uerr == nil && json.Valid([]byte(dec)) {
			doc = dec
		} else {
			return 0, malformedPolicyDocument("Syntax errors in policy.")
		}
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal([]byte(doc), &top); err != nil {
		return 0, malformedPolicyDocument("Syntax errors in policy.")
	}
	if _, ok := top["Statement"]; !ok {
		return 0, malformedPolicyDocument("Syntax errors in policy.")
	}
	return policySize(doc), nil
}

// normalizeDocument returns the document as stored: URL-decoded when it came encoded.
func normalizeDocument(doc string) string {
	if json.Valid([]byte(doc)) {
		return doc
	}
	if dec, err := url.QueryUnescape(doc); err == nil && json.Valid([]byte(dec)) {
		return dec
	}
	return doc
}

// policySize counts a document's characters without white space outside strings: "IAM
// doesn't count white space when calculating the size of a policy against these quotas"
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html#reference_iam-quotas-entity-length).
func policySize(doc string) int {
	var b bytes.Buffer
	if err := json.Compact(&b, []byte(doc)); err != nil {
		return utf8.RuneCountInString(doc)
	}
	return utf8.RuneCount(b.Bytes())
}

// encodeDocument URL-encodes a policy document as IAM returns documents (RFC 3986
// percent-encoding: "The policy document returned in this structure is URL-encoded compliant
// with RFC 3986", https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetUserPolicy.html).
func encodeDocument(doc string) string {
	return strings.ReplaceAll(url.QueryEscape(doc), "+", "%20")
}
