package iam

import (
	"encoding/json"
	"errors"
	"net/url"
	"strings"

	"gatehouse/internal/awserr"
	"gatehouse/internal/policy"
)

// policyKind says which grammar a policy document must follow.
type policyKind int

const (
	inlinePolicy  policyKind = iota // PutUserPolicy, PutGroupPolicy, PutRolePolicy
	managedPolicy                   // CreatePolicy, CreatePolicyVersion: must be Version 2012-10-17
	trustPolicy                     // a role's AssumeRolePolicyDocument
)

func (k policyKind) String() string {
	switch k {
	case managedPolicy:
		return "managed"
	case trustPolicy:
		return "trust"
	}
	return "inline"
}

// validatePolicyDocument checks a document strictly, as IAM does on write (internal/policy
// holds IAM's grammar and MalformedPolicyDocument texts), and returns the document as stored
// (URL-decoded when it came encoded: IAM accepts both) and its size as IAM counts it.
func validatePolicyDocument(kind policyKind, doc string) (string, int, error) {
	if !json.Valid([]byte(doc)) {
		if dec, err := url.QueryUnescape(doc); err == nil && json.Valid([]byte(dec)) {
			doc = dec
		}
	}
	o := policy.Options{Kind: policy.Identity, Managed: kind == managedPolicy}
	if kind == trustPolicy {
		o.Kind = policy.Trust
	}
	if _, err := policy.ParseWith([]byte(doc), o); err != nil {
		var m *policy.MalformedError
		if errors.As(err, &m) {
			return "", 0, m.AWSError()
		}
		if _, ok := awserr.As(err); ok {
			return "", 0, err
		}
		return "", 0, malformedPolicyDocument("Syntax errors in policy.")
	}
	return doc, policy.Size([]byte(doc)), nil
}

// encodeDocument URL-encodes a policy document as IAM returns documents (RFC 3986
// percent-encoding: "The policy document returned in this structure is URL-encoded compliant
// with RFC 3986", https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetUserPolicy.html).
func encodeDocument(doc string) string {
	return strings.ReplaceAll(url.QueryEscape(doc), "+", "%20")
}
