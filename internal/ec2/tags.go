package ec2

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"gatehouse/internal/awsproto/ec2api"
	"gatehouse/internal/kv"
)

// TagDescription is one tag of one resource, as DescribeTags lists it.
type TagDescription struct {
	ResourceID, ResourceType, Key, Value string
}

// TagQuery is a checked DescribeTags request.
type TagQuery struct {
	Filters    []Filter
	MaxResults int // 0: no limit
	NextToken  string
}

// tagFilters are DescribeTags' filters (key, resource-id, resource-type, value; tag:KEY is
// handled apart), each reading the attribute a filter value is matched against
// (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeTags.html).
var tagFilters = map[string]func(*TagDescription) string{
	"key":           func(t *TagDescription) string { return t.Key },
	"value":         func(t *TagDescription) string { return t.Value },
	"resource-id":   func(t *TagDescription) string { return t.ResourceID },
	"resource-type": func(t *TagDescription) string { return t.ResourceType },
}

// tagFilter matches one tag description.
type tagFilter struct {
	value func(*TagDescription) string
	key   string // tag:KEY: the description's key must be KEY too
	want  []string
}

func (f tagFilter) match(t *TagDescription) bool {
	if f.key != "" && t.Key != f.key {
		return false
	}
	have := f.value(t)
	for _, w := range f.want {
		if wildcard(w, have) {
			return true
		}
	}
	return false
}

func compileTagFilters(fs []Filter) ([]tagFilter, error) {
	out := make([]tagFilter, 0, len(fs))
	for _, f := range fs {
		if key, ok := strings.CutPrefix(f.Name, "tag:"); ok && key != "" {
			// "tag:Owner" with the value "TeamA" finds the tag Owner=TeamA.
			out = append(out, tagFilter{value: tagFilters["value"], key: key, want: f.Values})
			continue
		}
		get := tagFilters[f.Name]
		if get == nil {
			return nil, ec2api.InvalidParameterValue("The filter '%s' is invalid", f.Name)
		}
		out = append(out, tagFilter{value: get, want: f.Values})
	}
	return out, nil
}

// DescribeTags lists the tags of the account's resources — its visible instances, the only
// resources Gatehouse's EC2 has — that every filter matches, ordered by resource ID and then
// key, one page at a time.
func (s *Service) DescribeTags(ctx context.Context, a Account, q TagQuery) ([]TagDescription, string, error) {
	if err := checkMaxResults(q.MaxResults, 0, ""); err != nil {
		return nil, "", err
	}
	fs, err := compileTagFilters(q.Filters)
	if err != nil {
		return nil, "", err
	}
	var after TagDescription
	if q.NextToken != "" {
		tok, err := decodeToken("t", q.NextToken)
		if err != nil {
			return nil, "", err
		}
		after.ResourceID, after.Key, _ = strings.Cut(tok, "\x00")
	}
	var all []TagDescription
	err = s.opt.Store.View(ctx, func(tx kv.Tx) error {
		all = all[:0]
		key := ""
		for {
			page, err := tx.List(instancePrefix(a.ID), key, 500)
			if err != nil {
				return err
			}
			for _, p := range page {
				var in Instance
				if err := json.Unmarshal(p.Value, &in); err != nil {
					return fmt.Errorf("ec2: %s: %w", p.Key, err)
				}
				if !s.visible(&in) {
					continue
				}
				for _, t := range in.Tags {
					all = append(all, TagDescription{ResourceID: in.ID, ResourceType: "instance", Key: t.Key, Value: t.Value})
				}
			}
			if len(page) < 500 {
				return nil
			}
			key = page[len(page)-1].Key
		}
	})
	if err != nil {
		return nil, "", err
	}
	byResourceKey := func(x, y TagDescription) int {
		return cmp.Or(cmp.Compare(x.ResourceID, y.ResourceID), cmp.Compare(x.Key, y.Key))
	}
	slices.SortStableFunc(all, byResourceKey)
	out := make([]TagDescription, 0, len(all))
	for i := range all {
		t := &all[i]
		if after.ResourceID != "" && byResourceKey(*t, after) <= 0 {
			continue
		}
		if !matchTags(fs, t) {
			continue
		}
		if q.MaxResults > 0 && len(out) == q.MaxResults {
			last := out[len(out)-1]
			return out, encodeToken("t", last.ResourceID+"\x00"+last.Key), nil
		}
		out = append(out, *t)
	}
	return out, "", nil
}

func matchTags(fs []tagFilter, t *TagDescription) bool {
	for _, f := range fs {
		if !f.match(t) {
			return false
		}
	}
	return true
}
