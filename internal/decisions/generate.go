package decisions

import (
	"encoding/json"
	"slices"
	"strings"
)

// Generate returns a minimal identity policy that would have allowed every request in
// records: one statement per service, its actions as observed (in their canonical
// "service:Action" spelling), and its resources as observed — collapsed to a shared prefix
// followed by `*` only where several observed resources of the service share a prefix that
// ends at a path or ARN separator, so that no wildcard is invented across unrelated
// resources. Records of other services' requests are grouped the same way. The output is
// deterministic: services, actions and resources are sorted.
func Generate(records []Record) ([]byte, error) {
	type group struct {
		actions   map[string]bool
		resources map[string]bool
	}
	groups := map[string]*group{}
	for _, r := range records {
		svc, _, ok := strings.Cut(r.Action, ":")
		if !ok || r.Action == "" {
			continue
		}
		svc = strings.ToLower(svc)
		g := groups[svc]
		if g == nil {
			g = &group{actions: map[string]bool{}, resources: map[string]bool{}}
			groups[svc] = g
		}
		g.actions[r.Action] = true
		res := r.Resource
		if res == "" {
			res = "*"
		}
		g.resources[res] = true
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
	svcs := make([]string, 0, len(groups))
	for s := range groups {
		svcs = append(svcs, s)
	}
	slices.Sort(svcs)
	for _, s := range svcs {
		g := groups[s]
		actions := keys(g.actions)
		resources := collapse(keys(g.resources))
		doc.Statement = append(doc.Statement, statement{
			Sid:      "Observed" + sidPart(s),
			Effect:   "Allow",
			Action:   actions,
			Resource: resources,
		})
	}
	return json.MarshalIndent(doc, "", "  ")
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
