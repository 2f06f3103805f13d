package iam

import (
	"fmt"
	"io"
	"strings"
)

// Unique-ID prefixes, as IAM uses them
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html#identifiers-unique-ids).
const (
	prefixUser      = "AIDA"
	prefixGroup     = "AGPA"
	prefixRole      = "AROA"
	prefixPolicy    = "ANPA"
	prefixProfile   = "AIPA"
	prefixAccessKey = "AKIA"
)

// idAlphabet is the alphabet of IAM's unique IDs and access key IDs: upper-case letters and
// the digits 2–7 (RFC 4648 base32), as in AIDAJQABLZS4A3QDU576Q and AKIAIOSFODNN7EXAMPLE.
const idAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"

// secretAlphabet is the alphabet of secret access keys (base64 without padding).
const secretAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

// randomString draws n characters uniformly from alphabet (whose length divides 256, so a
// byte modulo the length has no bias).
func randomString(r io.Reader, alphabet string, n int) (string, error) {
	if 256%len(alphabet) != 0 {
		panic("iam: alphabet length must divide 256")
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(r, b); err != nil {
		return "", fmt.Errorf("iam: random: %w", err)
	}
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b), nil
}

// newUniqueID returns prefix and 17 characters: 21 in all, as IAM's IDs.
func newUniqueID(r io.Reader, prefix string) (string, error) {
	s, err := randomString(r, idAlphabet, 17)
	return prefix + s, err
}

// newAccessKeyID returns AKIA and 16 characters: 20 in all.
func newAccessKeyID(r io.Reader) (string, error) {
	s, err := randomString(r, idAlphabet, 16)
	return prefixAccessKey + s, err
}

// newSecretAccessKey returns 40 characters of base64's alphabet (240 random bits).
func newSecretAccessKey(r io.Reader) (string, error) {
	return randomString(r, secretAlphabet, 40)
}

// newAccountID returns 12 random decimal digits not starting with 0.
func newAccountID(r io.Reader) (string, error) {
	b := make([]byte, 12)
	if _, err := io.ReadFull(r, b); err != nil {
		return "", fmt.Errorf("iam: random: %w", err)
	}
	var sb strings.Builder
	for i, c := range b {
		// 250 is the largest multiple of 10 below 256; redraw above it to stay unbiased.
		for c >= 250 {
			var one [1]byte
			if _, err := io.ReadFull(r, one[:]); err != nil {
				return "", fmt.Errorf("iam: random: %w", err)
			}
			c = one[0]
		}
		d := c % 10
		if i == 0 {
			d = 1 + c%9
		}
		sb.WriteByte('0' + d)
	}
	return sb.String(), nil
}

// arnOf formats an IAM ARN: arn:<partition>:iam::<account>:<resource><path><name>
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html#identifiers-arns),
// the path as arnPath shows it.
func arnOf(partition, account, resource, path, name string) string {
	return "arn:" + partition + ":iam::" + account + ":" + resource + arnPath(path) + name
}

// resourceType is the ARN's resource type for a kind.
func (k entityKind) resourceType() string {
	if k == kindProfile {
		return "instance-profile"
	}
	return string(k)
}

// awsPolicyARN is the ARN of an AWS managed policy.
func awsPolicyARN(partition, path, name string) string {
	return arnOf(partition, "aws", "policy", path, name)
}

// parsedARN is an IAM ARN split into its parts.
type parsedARN struct {
	Partition, Account, Resource, Path, Name string
}

// parseIAMARN splits arn:<partition>:iam::<account>:<resource><path><name>; ok is false for
// anything else. A resource without a path ("root") has Path "" and Name "".
func parseIAMARN(s string) (parsedARN, bool) {
	parts := strings.SplitN(s, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "iam" || parts[3] != "" || parts[1] == "" || parts[4] == "" {
		return parsedARN{}, false
	}
	res := parts[5]
	i := strings.IndexByte(res, '/')
	if i < 0 {
		return parsedARN{Partition: parts[1], Account: parts[4], Resource: res}, true
	}
	j := strings.LastIndexByte(res, '/')
	if j == len(res)-1 {
		return parsedARN{}, false
	}
	return parsedARN{Partition: parts[1], Account: parts[4], Resource: res[:i], Path: res[i : j+1], Name: res[j+1:]}, true
}
