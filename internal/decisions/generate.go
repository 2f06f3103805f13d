package decisions

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// Generate returns a minimal identity policy that would have allowed every request in
// records. Each action keeps the resources it was observed on — collapsed to a shared prefix
// followed by `*` only where several of them share a prefix that ends at a path separator
// below the resource type, so that no wildcard is invented across unrelated resources — and
// actions of one service with the same resources share a statement. An action is never
// granted on a resource only another action touched. The output is deterministic: services,
// statements, actions and resources are sorted.
func Generate(records []Record) ([]byte, error) {
	// service → action → resources observed
	seen := map[string]map[string]map[string]bool{}
	for _, r := range records {
		svc, _, ok := strings.Cut(r.Action, ":")
		if !ok || svc == "" {
			continue
		}
		svc = strings.ToLower(svc)
		if seen[svc] == nil {
			seen[svc] = map[string]map[string]bool{}
		}
		if seen[svc][r.Action] == nil {
			seen[svc][r.Action] = map[string]bool{}
		}
		res := r.Resource
		if res == "" {
			res = "*"
		}
		seen[svc][r.Action][res] = true
	}
	type statement struct {
		Sid      string   `json:"Sid"`
		Effect   string   `json:"Effect"`
		Action   []string `json:"Action"`
		Resource []string `json:"Resource"`
	}
	doc := struct {
		Version   string      `json:"Version"`
		Statement []statement `json:"Statement"`
	}{Version: "2012-10-17", Statement: []statement{}}
	for _, svc := range keys(boolKeys(seen)) {
		// Actions with the same (collapsed) resources share a statement.
		byResources := map[string][]string{}
		resourcesOf := map[string][]string{}
		for _, action := range keys(boolKeys(seen[svc])) {
			rs := collapse(keys(seen[svc][action]))
			k := strings.Join(rs, "\x00")
			byResources[k] = append(byResources[k], action)
			resourcesOf[k] = rs
		}
		groups := keys(boolKeys(byResources))
		for i, k := range groups {
			sid := "Observed" + sidPart(svc)
			if len(groups) > 1 {
				sid += fmt.Sprint(i + 1)
			}
			doc.Statement = append(doc.Statement, statement{Sid: sid, Effect: "Allow", Action: byResources[k], Resource: resourcesOf[k]})
		}
	}
	return json.MarshalIndent(doc, "", "  ")
}

// boolKeys returns a set of m's keys, for sorting with keys.
func boolKeys[V any](m map[string]V) map[string]bool {
	out := make(map[string]bool, len(m))
	for k := range m {
		out[k] = true
	}
	return out
}

func keys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// collapse replaces resources that share a prefix ending at a separator ('/' or ':') by
// that prefix and `*`. "*" anywhere means the action took no resource, and stays as is.
func collapse(resources []string) []string {
	if slices.Contains(resources, "*") {
		return []string{"*"}
	}
	if len(resources) < 2 {
		return resources
	}
	// Group by the part before the last separator; a group of two or more shares that prefix.
	byPrefix := map[string][]string{}
	var order []string
	for _, r := range resources {
		i := strings.LastIndexAny(r, "/:")
		p := r
		if i >= 0 {
			p = r[:i+1]
		}
		if _, ok := byPrefix[p]; !ok {
			order = append(order, p)
		}
		byPrefix[p] = append(byPrefix[p], r)
	}
	var out []string
	for _, p := range order {
		rs := byPrefix[p]
		// Only collapse below the resource-type part of an ARN (arn:aws:s3:::bucket/ is a
		// fine prefix; arn:aws:iam::123456789012: is not).
		if len(rs) > 1 && strings.Count(p, ":") >= 5 && strings.HasSuffix(p, "/") {
			out = append(out, p+"*")
			continue
		}
		out = append(out, rs...)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func sidPart(svc string) string {
	var b strings.Builder
	up := true
	for _, c := range svc {
		switch {
		case c >= 'a' && c <= 'z':
			if up {
				c -= 'a' - 'A'
			}
			b.WriteRune(c)
			up = false
		case c >= '0' && c <= '9', c >= 'A' && c <= 'Z':
			b.WriteRune(c)
			up = false
		default:
			up = true
		}
	}
	return b.String()
}
