package ec2

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestDescribeTagsFiltersAndPages(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	web := e.run(t, LaunchSpec{MinCount: 2, MaxCount: 2, Tags: []Tag{{"Name", "web"}, {"env", "prod"}}})
	db := e.run(t, LaunchSpec{Tags: []Tag{{"Name", "db/primary"}}})
	e.run(t, LaunchSpec{}) // no tags: lists nothing
	w0, w1, d := web.Instances[0].ID, web.Instances[1].ID, db.Instances[0].ID
	type row = TagDescription
	inst := func(id, k, v string) row { return row{ResourceID: id, ResourceType: "instance", Key: k, Value: v} }
	all := []row{inst(w0, "Name", "web"), inst(w0, "env", "prod"), inst(w1, "Name", "web"), inst(w1, "env", "prod"), inst(d, "Name", "db/primary")}
	// Resource IDs are random: order the expectation as DescribeTags orders its answer.
	sortRows := func(rs []row) []row {
		out := slices.Clone(rs)
		slices.SortFunc(out, func(x, y row) int {
			return cmp.Or(strings.Compare(x.ResourceID, y.ResourceID), strings.Compare(x.Key, y.Key))
		})
		return out
	}
	for _, tc := range []struct {
		note    string
		filters []Filter
		want    []row
		code    string
	}{
		{"no filter: every tag of every instance", nil, all, ""},
		{"key", []Filter{{"key", []string{"env"}}}, []row{all[1], all[3]}, ""},
		{"value with a wildcard", []Filter{{"value", []string{"db/*"}}}, []row{all[4]}, ""},
		{"resource-id", []Filter{{"resource-id", []string{d, w1}}}, []row{all[2], all[3], all[4]}, ""},
		{"resource-type", []Filter{{"resource-type", []string{"instance"}}}, all, ""},
		{"resource-type of another kind", []Filter{{"resource-type", []string{"volume"}}}, nil, ""},
		{"tag:KEY is the key and the value", []Filter{{"tag:Name", []string{"web"}}}, []row{all[0], all[2]}, ""},
		{"tag:KEY does not match another key's value", []Filter{{"tag:env", []string{"web"}}}, nil, ""},
		{"filters AND", []Filter{{"key", []string{"Name"}}, {"resource-id", []string{w0}}}, []row{all[0]}, ""},
		{"unknown filter", []Filter{{"instance-id", []string{w0}}}, nil, "InvalidParameterValue"},
	} {
		got, next, err := e.svc.DescribeTags(ctx, acct, TagQuery{Filters: tc.filters})
		if code(err) != tc.code || next != "" {
			t.Errorf("%s: got %q next %q, want %q", tc.note, code(err), next, tc.code)
			continue
		}
		want := sortRows(tc.want)
		if len(got) != len(want) {
			t.Errorf("%s: got %v, want %v", tc.note, got, want)
			continue
		}
		for i := range want {
			if got[i] != want[i] {
				t.Errorf("%s: got %v, want %v", tc.note, got, want)
				break
			}
		}
	}

	// Pages of 5 over 6 tags: each tag once, in order.
	e.run(t, LaunchSpec{Tags: []Tag{{"k", "v"}}})
	var seen []row
	tok := ""
	for pages := 0; ; pages++ {
		got, next, err := e.svc.DescribeTags(ctx, acct, TagQuery{MaxResults: 5, NextToken: tok})
		if err != nil || pages > 3 {
			t.Fatalf("page %d: %v", pages, err)
		}
		seen = append(seen, got...)
		if next == "" {
			break
		}
		tok = next
	}
	if len(seen) != 6 {
		t.Fatalf("pages: got %d tags, want 6: %v", len(seen), seen)
	}
	for i := 1; i < len(seen); i++ {
		if seen[i].ResourceID < seen[i-1].ResourceID || seen[i].ResourceID == seen[i-1].ResourceID && seen[i].Key <= seen[i-1].Key {
			t.Fatalf("pages out of order: %v", seen)
		}
	}

	for _, tc := range []struct {
		note string
		q    TagQuery
		code string
	}{
		{"MaxResults below 5", TagQuery{MaxResults: 4}, "InvalidParameterValue"},
		{"MaxResults above 1000", TagQuery{MaxResults: 1001}, "InvalidParameterValue"},
		{"a token not ours", TagQuery{NextToken: "bm9wZQ"}, "InvalidNextToken"},
		{"DescribeInstances' token", TagQuery{NextToken: encodeToken("i", w0)}, "InvalidNextToken"},
	} {
		if _, _, err := e.svc.DescribeTags(ctx, acct, tc.q); code(err) != tc.code {
			t.Errorf("%s: got %q, want %q", tc.note, code(err), tc.code)
		}
	}

	// A terminated instance's tags go when the instance does.
	if _, err := e.svc.Terminate(ctx, acct, []string{d}); err != nil {
		t.Fatal(err)
	}
	e.clock.Add(2 * time.Hour)
	got, _, err := e.svc.DescribeTags(ctx, acct, TagQuery{Filters: []Filter{{"resource-id", []string{d}}}})
	if err != nil || len(got) != 0 {
		t.Errorf("terminated instance's tags: got %v, %v", got, err)
	}
}
