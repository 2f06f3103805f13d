package iam

import "strings"

// Tags follow https://docs.aws.amazon.com/IAM/latest/UserGuide/id_tags.html: at most 50 per
// entity; keys are unique without regard to case ("Tag keys are case insensitive"), and
// tagging with an existing key replaces that tag's value.

// checkNewTags rejects duplicate keys within one request, and keys in the aws: namespace,
// which AWS reserves in any letter case ("you can't create, edit, or delete tag keys that
// begin with aws:", id_tags.html). IAM's exact text for the latter is not documented; the
// code is IAM's for an invalid parameter.
func checkNewTags(tags []tagRecord) error {
	seen := make(map[string]bool, len(tags))
	for _, t := range tags {
		k := strings.ToLower(t.Key)
		if strings.HasPrefix(k, "aws:") {
			return invalidInput("Tag keys starting with 'aws:' are reserved for AWS use: %s", t.Key)
		}
		if seen[k] {
			return invalidInput("Duplicate tag keys found. Please note that Tag keys are case insensitive.")
		}
		seen[k] = true
	}
	return nil
}

// mergeTags applies a TagX request: each new tag replaces the one with the same key (in its
// place) or is appended. It enforces the 50-tag quota on the result; quotaName is e.g.
// "TagsPerUser".
func mergeTags(have, add []tagRecord, quotaName string) ([]tagRecord, error) {
	if err := checkNewTags(add); err != nil {
		return nil, err
	}
	out := append([]tagRecord(nil), have...)
	for _, t := range add {
		replaced := false
		for i := range out {
			if strings.EqualFold(out[i].Key, t.Key) {
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
	drop := make(map[string]bool, len(keys))
	for _, k := range keys {
		drop[strings.ToLower(k)] = true
	}
	var out []tagRecord
	for _, t := range have {
		if !drop[strings.ToLower(t.Key)] {
			out = append(out, t)
		}
	}
	return out
}
