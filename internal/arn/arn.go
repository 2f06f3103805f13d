// Package arn owns Amazon Resource Names: parsing an ARN into its five fields, formatting
// it back, and the partition an AWS region belongs to.
//
// Format (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html):
//
//	arn:partition:service:region:account-id:resource
//
// The resource part may itself contain colons and slashes; only the first five colons
// separate fields.
package arn

import (
	"errors"
	"fmt"
	"strings"
)

// ErrMalformed is the identity of every parse failure; the wrapped message says why.
var ErrMalformed = errors.New("malformed ARN")

// ARN is a parsed Amazon Resource Name.
type ARN struct {
	Partition string
	Service   string
	Region    string
	Account   string
	Resource  string
}

// Parse splits s into its fields. It requires the "arn" prefix, a known-shaped partition
// and service (non-empty) and a resource; region and account may be empty (S3 and IAM
// ARNs leave them so).
func Parse(s string) (ARN, error) {
	rest, ok := strings.CutPrefix(s, "arn:")
	if !ok {
		return ARN{}, fmt.Errorf("%w: %q does not start with \"arn:\"", ErrMalformed, s)
	}
	var f [4]string
	for i := range f {
		j := strings.IndexByte(rest, ':')
		if j < 0 {
			return ARN{}, fmt.Errorf("%w: %q has fewer than six fields", ErrMalformed, s)
		}
		f[i], rest = rest[:j], rest[j+1:]
	}
	a := ARN{Partition: f[0], Service: f[1], Region: f[2], Account: f[3], Resource: rest}
	if a.Partition == "" {
		return ARN{}, fmt.Errorf("%w: %q has an empty partition", ErrMalformed, s)
	}
	if a.Service == "" {
		return ARN{}, fmt.Errorf("%w: %q has an empty service", ErrMalformed, s)
	}
	if a.Resource == "" {
		return ARN{}, fmt.Errorf("%w: %q has an empty resource", ErrMalformed, s)
	}
	return a, nil
}

// String formats a back into its wire form; Parse(a.String()) == a for every parsed a.
func (a ARN) String() string {
	var b strings.Builder
	b.Grow(9 + len(a.Partition) + len(a.Service) + len(a.Region) + len(a.Account) + len(a.Resource))
	b.WriteString("arn:")
	b.WriteString(a.Partition)
	b.WriteByte(':')
	b.WriteString(a.Service)
	b.WriteByte(':')
	b.WriteString(a.Region)
	b.WriteByte(':')
	b.WriteString(a.Account)
	b.WriteByte(':')
	b.WriteString(a.Resource)
	return b.String()
}

// Partitions AWS defines
// (https://docs.aws.amazon.com/whitepapers/latest/aws-fault-isolation-boundaries/partitions.html).
const (
	PartitionAWS     = "aws"
	PartitionChina   = "aws-cn"
	PartitionGovUS   = "aws-us-gov"
	PartitionISO     = "aws-iso"
	PartitionISOB    = "aws-iso-b"
	PartitionISOE    = "aws-iso-e"
	PartitionISOF    = "aws-iso-f"
	PartitionEUSC    = "aws-eusc"
	defaultPartition = PartitionAWS
)

// regionPrefixes maps a region-name prefix to its partition, longest prefixes first so
// "us-isob-" is tried before "us-iso-" and "us-gov-" before the commercial "us-".
var regionPrefixes = []struct{ prefix, partition string }{
	{"us-isob-", PartitionISOB},
	{"us-iso-", PartitionISO},
	{"eu-isoe-", PartitionISOE},
	{"us-isof-", PartitionISOF},
	{"us-gov-", PartitionGovUS},
	{"cn-", PartitionChina},
	{"eusc-", PartitionEUSC},
}

// PartitionOf returns the partition region belongs to; an unknown or empty region is in
// the commercial partition "aws".
func PartitionOf(region string) string {
	for _, p := range regionPrefixes {
		if strings.HasPrefix(region, p.prefix) {
			return p.partition
		}
	}
	return defaultPartition
}

// KnownPartition reports whether p names one of AWS's partitions. IAM rejects a policy
// resource in any other partition.
func KnownPartition(p string) bool {
	switch p {
	case PartitionAWS, PartitionChina, PartitionGovUS, PartitionISO, PartitionISOB, PartitionISOE, PartitionISOF, PartitionEUSC:
		return true
	}
	return false
}

// IsAccountID reports whether s is a 12-digit AWS account ID.
func IsAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
