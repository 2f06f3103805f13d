package iam

import (
	"sort"
	"strings"
)

// Tags follow https://docs.aws.amazon.com/IAM/latest/UserGuide/id_tags.html: at most 50 per
// entity; keys are unique without regard to case ("Tag keys are case insensitive"), and
// tagging with an existing key replaces that tag's value.

// checkNewTags rejects duplicate keys within one request, and keys in the aws: namespace,
// which AWS reserves in any letter case ("you can't create, edit, or delete tag keys that
// begin with aws:", id_tags.html). IAM's exact text for the latter is not documented; the
// code is IAM's for an invalid parameter.
func checkNewTags(tags []tagRecord) error { return entityTagKeys.check(tags) }

// tagKeyRules is how an entity kind compares tag keys. Users, roles and the other principals
// and providers fold case; customer managed policies do not: on AWS a policy holds "a" and
// "A" side by side, UntagPolicy of "a" leaves "A", and a repeated key in one request is
// refused with a shorter message (recorded against AWS in LocalStack's
// test_iam_policies.py::TestPolicyTags; the roles' message in test_iam_roles.py).
type tagKeyRules struct {
	fold      bool
	duplicate string
}

var (
	entityTagKeys = tagKeyRules{fold: true, duplicate: "Duplicate tag keys found. Please note that Tag keys are case insensitive."}
	policyTagKeys = tagKeyRules{fold: false, duplicate: "Duplicate tag keys found."}
)

func (r tagKeyRules) key(k string) string {
	if r.fold {
		return strings.ToLower(k)
	}
	return k
}

func (r tagKeyRules) check(tags []tagRecord) error {
	seen := make(map[string]bool, len(tags))
	for _, t := range tags {
		if strings.HasPrefix(strings.ToLower(t.Key), "aws:") {
			return invalidInput("Tag keys starting with 'aws:' are reserved for AWS use: %s", t.Key)
		}
		k := r.key(t.Key)
		if seen[k] {
			return invalidInput("%s", r.duplicate)
		}
		seen[k] = true
	}
	return nil
}

// mergeTags applies a TagX request: each new tag replaces the one with the same key (in its
// place) or is appended. It enforces the 50-tag quota on the result; quotaName is e.g.
// "TagsPerUser".
func mergeTags(have, add []tagRecord, quotaName string) ([]tagRecord, error) {
	return entityTagKeys.merge(have, add, quotaName)
}

func (r tagKeyRules) merge(have, add []tagRecord, quotaName string) ([]tagRecord, error) {
	if err := r.check(add); err != nil {
		return nil, err
	}
	out := append([]tagRecord(nil), have...)
	for _, t := range add {
		replaced := false
		for i := range out {
			if r.key(out[i].Key) == r.key(t.Key) {
				out[i] = t
				replaced = true
				break
			}
		}
		if !replaced {
			out = append(out, t)
		}
	}
	if len(out) > maxTags {
		return nil, quota(quotaName, maxTags)
	}
	return out, nil
}

// removeTags applies an UntagX request; keys that are not there are ignored, as IAM does.
func removeTags(have []tagRecord, keys []string) []tagRecord {
	return entityTagKeys.remove(have, keys)
}

func (r tagKeyRules) remove(have []tagRecord, keys []string) []tagRecord {
	drop := make(map[string]bool, len(keys))
	for _, k := range keys {
		drop[r.key(k)] = true
	}
	var out []tagRecord
	for _, t := range have {
		if !drop[r.key(t.Key)] {
			out = append(out, t)
		}
	}
	return out
}

// policyTagsListed orders a managed policy's tags as ListPolicyTags does on AWS: shorter keys
// first, keys of one length in code-point order ("a", "b", "z", "abc" for tags created as
// "abc", "b", "z", "a"; "A" before "a"), which is what LocalStack's recordings of
// test_policy_tag_order and test_policy_tag_lifecycle show. CreatePolicy and GetPolicy keep
// the order the tags were given in.
func policyTagsListed(tags []tagRecord) []tagRecord {
	out := append([]tagRecord(nil), tags...)
	sort.SliceStable(out, func(i, j int) bool {
		if len(out[i].Key) != len(out[j].Key) {
			return len(out[i].Key) < len(out[j].Key)
		}
		return out[i].Key < out[j].Key
	})
	return out
}
