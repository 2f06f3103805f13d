package reference

import (
	"encoding/json"
	"math/rand/v2"
	"strings"
)

// RandomInput builds one random simulate input (as the JSON tree DESIGN.md's contract describes) from a
// fixed vocabulary: services, actions and ARNs with wildcards; principals of every kind, in the same and in
// another account; conditions over typed context keys with every operator family, IfExists and the set
// qualifiers; multivalued context values; policy variables; boundaries, session policies, SCP levels and
// RCPs. The randomness is the caller's, so a seed reproduces a run.
//
// The vocabulary stays inside what the IAM User Guide decides: no NotPrincipal with Allow, no unqualified
// operator on a key with several values, no variable naming a multivalued key, no value of the wrong type
// for its operator. Those are places where the docs are silent and two correct engines may differ.
func RandomInput(r *rand.Rand) map[string]any {
	g := gen{r: r}
	return g.input()
}

type gen struct{ r *rand.Rand }

func (g gen) pick(xs ...string) string { return xs[g.r.IntN(len(xs))] }
func (g gen) chance(p float64) bool    { return g.r.Float64() < p }

const (
	acctA = "111122223333"
	acctB = "444455556666"
)

var genPrincipals = []string{
	"arn:aws:iam::111122223333:user/alice",
	"arn:aws:iam::111122223333:user/bob",
	"arn:aws:iam::111122223333:user/division/dave",
	"arn:aws:iam::444455556666:user/carol",
	"arn:aws:sts::111122223333:assumed-role/role_1/i-0abc",
	"arn:aws:sts::444455556666:assumed-role/role_2/build",
	"arn:aws:sts::111122223333:federated-user/fed",
	"arn:aws:iam::111122223333:root",
	"arn:aws:iam::444455556666:root",
	"ec2.amazonaws.com",
	"anonymous",
}

var genActions = []string{
	"s3:GetObject", "s3:PutObject", "s3:ListBucket", "s3:DeleteObject", "ec2:RunInstances",
	"ec2:DescribeInstances", "iam:CreateUser", "iam:GetUser", "sqs:SendMessage", "sts:AssumeRole",
}

var genResources = []string{
	"arn:aws:s3:::my_bucket", "arn:aws:s3:::my_bucket/photo.jpg", "arn:aws:s3:::my_bucket/alice/x",
	"arn:aws:s3:::my_bucket/*", "arn:aws:s3:::other/data", "arn:aws:ec2:us-east-1:111122223333:instance/i-1",
	"arn:aws:iam::111122223333:user/bob", "arn:aws:sqs:us-east-1:444455556666:q1",
	"arn:aws:iam::111122223333:role/role_1", "arn:aws:s3:::my_bucket/blue",
}

var genActionPatterns = []string{
	"*", "s3:*", "s3:Get*", "S3:getobject", "s3:?etObject", "s3:PutObject", "s3:ListBucket", "ec2:*",
	"ec2:Describe*", "iam:*User", "iam:GetUser", "sqs:*", "sts:AssumeRole", "*:Get*",
}

var genResourcePatterns = []string{
	"*", "arn:aws:s3:::my_bucket", "arn:aws:s3:::my_bucket/*", "arn:aws:s3:::My_Bucket/*", "arn:aws:s3:::*",
	"arn:aws:s3:::my_bucket/${aws:username}/*", "arn:aws:s3:::my_bucket/${aws:PrincipalTag/team, 'photo.jpg'}",
	"arn:aws:s3:::my_bucket/${aws:PrincipalTag/team}", "arn:aws:ec2:*:111122223333:instance/*",
	"arn:aws:iam::111122223333:user/*", "arn:aws:sqs:*:*:q?", "arn:aws:iam::111122223333:user/division/*", "arn:aws:iam::*:role/role_1",
	"arn:aws:s3:::my_bucket/${*}", "arn:aws:s3:::other/*", "arn:aws:s3:::my_bucket/photo.jp?",
}

// A context key, the values a request may carry for it, and the operators and policy values that fit it.
type genKey struct {
	key    string
	multi  bool // multivalued: only qualified operators
	values [][]string
	ops    []string
	policy []string
}

var genKeys = []genKey{
	{key: "aws:SourceIp", values: [][]string{{"203.0.113.5"}, {"198.51.100.7"}, {"2001:db8::1"}},
		ops: []string{"IpAddress", "NotIpAddress"}, policy: []string{"203.0.113.0/24", "2001:db8::/32", "10.0.0.0/8", "198.51.100.7/32"}},
	{key: "aws:MultiFactorAuthPresent", values: [][]string{{"true"}, {"false"}},
		ops: []string{"Bool"}, policy: []string{"true", "false"}},
	{key: "aws:SecureTransport", values: [][]string{{"true"}, {"false"}},
		ops: []string{"Bool"}, policy: []string{"true", "false"}},
	{key: "aws:CurrentTime", values: [][]string{{"2024-06-01T00:00:00Z"}, {"2023-01-01T12:00:00Z"}, {"2024-01-01T00:00:00Z"}},
		ops:    []string{"DateEquals", "DateNotEquals", "DateLessThan", "DateLessThanEquals", "DateGreaterThan", "DateGreaterThanEquals"},
		policy: []string{"2024-01-01T00:00:00Z", "1700000000", "2023-06-01"}},
	{key: "s3:max-keys", values: [][]string{{"5"}, {"10"}, {"50"}},
		ops:    []string{"NumericEquals", "NumericNotEquals", "NumericLessThan", "NumericLessThanEquals", "NumericGreaterThan", "NumericGreaterThanEquals"},
		policy: []string{"10", "5", "7.5"}},
	{key: "s3:prefix", values: [][]string{{"alice/"}, {"home/x"}, {"tmp/"}, {"HOME/y"}},
		ops:    []string{"StringEquals", "StringNotEquals", "StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase", "StringLike", "StringNotLike"},
		policy: []string{"home/*", "alice/", "${aws:username}/", "${aws:username}/*", "HOME/*", "tmp/", "${s3:missing, 'tmp/'}"}},
	{key: "aws:PrincipalTag/team", values: nil, // from principalTags
		ops:    []string{"StringEquals", "StringNotEquals", "StringEqualsIgnoreCase", "StringLike", "StringNotLike"},
		policy: []string{"blue", "BLUE", "r*", "${aws:PrincipalTag/team}"}},
	{key: "aws:TagKeys", multi: true, values: [][]string{{"env"}, {"env", "owner"}, {"cost"}, {"owner", "cost", "env"}, {}},
		ops:    []string{"StringEquals", "StringNotEquals", "StringLike", "StringNotLike", "StringEqualsIgnoreCase"},
		policy: []string{"env", "cost", "own*", "ENV"}},
	{key: "aws:SourceArn", values: [][]string{{"arn:aws:sns:us-east-1:111122223333:t1"}, {"arn:aws:sns:us-east-1:999999999999:t1"}},
		ops:    []string{"ArnEquals", "ArnLike", "ArnNotEquals", "ArnNotLike"},
		policy: []string{"arn:aws:sns:*:111122223333:*", "arn:aws:sns:us-east-1:111122223333:t1", "arn:aws:sns:us-east-1:*:t?"}},
	// Derived from the principal by both sides (never put in the context by the generator).
	{key: "aws:PrincipalArn", values: nil,
		ops: []string{"ArnEquals", "ArnLike", "ArnNotLike", "StringEquals", "StringLike"},
		policy: []string{"arn:aws:iam::111122223333:user/*", "arn:aws:iam::111122223333:role/role_1",
			"arn:aws:iam::*:root", "arn:aws:sts::111122223333:assumed-role/role_1/i-0abc", "arn:aws:sts::*:federated-user/*"}},
	{key: "aws:PrincipalAccount", values: nil,
		ops: []string{"StringEquals", "StringNotEquals"}, policy: []string{acctA, acctB}},
	{key: "aws:ResourceTag/project", values: [][]string{{"blue"}, {"red"}},
		ops:    []string{"StringEquals", "StringNotEquals"},
		policy: []string{"${aws:PrincipalTag/team}", "blue", "${aws:PrincipalTag/team, 'red'}"}},
}

func (g gen) input() map[string]any {
	in := map[string]any{
		"principal": g.pick(genPrincipals...),
		"action":    g.pick(genActions...),
		"resource":  g.pick(genResources...),
	}
	// sts:AssumeRole is asked of a role (its trust policy is the resource-based policy).
	if in["action"] == "sts:AssumeRole" {
		in["resource"] = g.pick("arn:aws:iam::111122223333:role/role_1", "arn:aws:iam::444455556666:role/role_2")
	}
	p := parsePrincipal(in["principal"].(string))
	if g.chance(0.3) {
		in["resourceAccount"] = g.pick(acctA, acctB)
	}
	// Only IAM users and roles (and their sessions) carry tags.
	if p.hasIdentityPolicies() && g.chance(0.5) {
		in["principalTags"] = map[string]any{"team": g.pick("blue", "red")}
	}
	ctx := map[string]any{}
	for _, k := range genKeys {
		if k.values == nil || !g.chance(0.6) {
			continue
		}
		v := k.values[g.r.IntN(len(k.values))]
		if k.multi {
			list := make([]any, len(v))
			for i, s := range v {
				list[i] = s
			}
			ctx[k.key] = list
		} else {
			ctx[k.key] = v[0]
		}
	}
	// aws:username is what AWS derives for an IAM user; given explicitly so the comparison does not hinge
	// on how each side derives it (doc cases test the derivation).
	if p.Kind == KindUser {
		ctx["aws:username"] = p.Name
	}
	in["context"] = ctx

	// Every caller may come with every policy type: the engine must ignore what does not apply to it (a
	// boundary or identity policies for the root user, a session policy for an IAM user, anything but the
	// resource-based policy for a service or an anonymous caller).
	n := g.r.IntN(4)
	ids := make([]any, 0, n)
	for range n {
		ids = append(ids, g.maybeString(g.policy(false)))
	}
	in["identityPolicies"] = ids
	if g.chance(0.5) {
		in["resourcePolicy"] = g.maybeString(g.policy(true))
	}
	if g.chance(0.3) {
		in["permissionsBoundary"] = g.policy(false)
	}
	// Session principals carry a session policy more often; a federated user without one is denied.
	if g.chance(0.2) || (p.isSession() && g.chance(0.5)) {
		in["sessionPolicy"] = g.policy(false)
	}
	if g.chance(0.3) {
		in["serviceControlPolicies"] = g.levels(false)
	}
	if g.chance(0.2) {
		in["resourceControlPolicies"] = g.levels(true)
	}
	return in
}

func (g gen) levels(rcp bool) []any {
	n := 1 + g.r.IntN(3)
	out := make([]any, 0, n)
	for range n {
		lvl := []any{}
		// Mostly the FullAWSAccess policy AWS attaches everywhere, sometimes an allow list or a deny.
		if g.chance(0.85) {
			st := map[string]any{"Effect": "Allow", "Action": "*", "Resource": "*"}
			if rcp {
				st["Principal"] = "*"
			}
			lvl = append(lvl, map[string]any{"Version": "2012-10-17", "Statement": []any{st}})
		}
		if g.chance(0.4) {
			p := g.policy(false)
			if rcp {
				switch st := p["Statement"].(type) {
				case []any:
					for _, s := range st {
						s.(map[string]any)["Principal"] = "*"
					}
				case map[string]any:
					st["Principal"] = "*"
				}
			}
			lvl = append(lvl, p)
		}
		out = append(out, lvl)
	}
	return out
}

func (g gen) policy(resourceBased bool) map[string]any {
	n := 1 + g.r.IntN(4)
	stmts := make([]any, 0, n)
	for i := range n {
		stmts = append(stmts, g.statement(resourceBased, i))
	}
	p := map[string]any{"Version": "2012-10-17", "Statement": stmts}
	if g.chance(0.1) {
		p["Version"] = "2008-10-17"
	}
	// "Statement" may be one object instead of a list.
	if len(stmts) == 1 && g.chance(0.2) {
		p["Statement"] = stmts[0]
	}
	return p
}

// maybeString gives a policy as a JSON string now and then, as the contract allows.
func (g gen) maybeString(p map[string]any) any {
	if g.chance(0.1) {
		data, err := json.Marshal(p)
		if err == nil {
			return string(data)
		}
	}
	return p
}

func (g gen) statement(resourceBased bool, i int) map[string]any {
	st := map[string]any{"Sid": "S" + string(rune('A'+i))}
	allow := g.chance(0.75)
	if allow {
		st["Effect"] = "Allow"
	} else {
		st["Effect"] = "Deny"
	}
	acts := g.some(genActionPatterns)
	if g.chance(0.1) {
		st["NotAction"] = acts
	} else {
		st["Action"] = acts
	}
	ress := g.some(genResourcePatterns)
	if g.chance(0.1) {
		st["NotResource"] = ress
	} else {
		st["Resource"] = ress
	}
	if resourceBased {
		if !allow && g.chance(0.2) {
			st["NotPrincipal"] = map[string]any{"AWS": g.someOf(2,
				"arn:aws:iam::111122223333:user/alice", "arn:aws:iam::111122223333:root", acctB,
				"arn:aws:iam::111122223333:role/role_1", "arn:aws:sts::111122223333:assumed-role/role_1/i-0abc")}
		} else {
			st["Principal"] = g.principalElement()
		}
	}
	if g.chance(0.4) {
		st["Condition"] = g.condition()
	}
	return st
}

func (g gen) principalElement() any {
	switch g.r.IntN(9) {
	case 0:
		return "*"
	case 1:
		return map[string]any{"AWS": "*"}
	case 2:
		return map[string]any{"Service": g.pick("ec2.amazonaws.com", "lambda.amazonaws.com")}
	default:
		return map[string]any{"AWS": g.someOf(2,
			acctA, acctB, "arn:aws:iam::444455556666:root", "arn:aws:iam::111122223333:root",
			"arn:aws:iam::111122223333:user/alice", "arn:aws:iam::444455556666:user/carol",
			"arn:aws:iam::111122223333:role/role_1", "arn:aws:iam::444455556666:role/role_2",
			"arn:aws:sts::111122223333:assumed-role/role_1/i-0abc", "arn:aws:sts::111122223333:federated-user/fed",
			"arn:aws:iam::111122223333:user/division/dave", "arn:aws:iam::444455556666:role/service-role/role_2")}
	}
}

// some returns one value or a list of one to three.
func (g gen) some(xs []string) any {
	if g.chance(0.6) {
		return g.pick(xs...)
	}
	return g.someOf(3, xs...)
}

func (g gen) someOf(max int, xs ...string) []any {
	n := 1 + g.r.IntN(max)
	out := make([]any, 0, n)
	for range n {
		out = append(out, g.pick(xs...))
	}
	return out
}

func (g gen) condition() map[string]any {
	block := map[string]any{}
	for range 1 + g.r.IntN(2) {
		k := genKeys[g.r.IntN(len(genKeys))]
		op := g.pick(k.ops...)
		key := k.key
		// "Key names are case-insensitive" (reference_policies_variables.html): vary the prefix's case.
		if g.chance(0.1) {
			prefix, rest, _ := strings.Cut(key, ":")
			key = strings.ToUpper(prefix) + ":" + rest
		}
		if g.chance(0.08) {
			op = "Null"
			block[op] = map[string]any{key: g.pick("true", "false")}
			continue
		}
		if g.chance(0.25) {
			op += "IfExists"
		}
		if k.multi || g.chance(0.15) {
			op = g.pick("ForAllValues:", "ForAnyValue:") + op
		}
		vals := g.someOf(2, k.policy...)
		if _, dup := block[op]; !dup {
			block[op] = map[string]any{}
		}
		block[op].(map[string]any)[key] = vals
	}
	return block
}

// Shrink returns a smaller input that still fails: it greedily deletes map entries (other than principal,
// action and resource) and list elements, keeping each deletion after which failing still reports true,
// until no deletion does. It is how a differential mismatch is printed as a minimal JSON input.
func Shrink(in map[string]any, failing func(map[string]any) bool) map[string]any {
	cur := clone(in).(map[string]any)
	for changed := true; changed; {
		changed = false
		for _, path := range paths(cur, nil) {
			cand := clone(cur)
			if !deleteAt(cand, path) {
				continue
			}
			m := cand.(map[string]any)
			if failing(m) {
				cur, changed = m, true
				break
			}
		}
	}
	return cur
}

func clone(v any) any {
	switch t := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(t))
		for k, e := range t {
			m[k] = clone(e)
		}
		return m
	case []any:
		l := make([]any, len(t))
		for i, e := range t {
			l[i] = clone(e)
		}
		return l
	}
	return v
}

// paths lists every deletable position, deepest last so whole policies go before their statements.
func paths(v any, prefix []any) [][]any {
	var out [][]any
	switch t := v.(type) {
	case map[string]any:
		for k, e := range t {
			if len(prefix) == 0 && (k == "principal" || k == "action" || k == "resource") {
				continue
			}
			p := append(append([]any{}, prefix...), k)
			out = append(out, p)
			out = append(out, paths(e, p)...)
		}
	case []any:
		for i, e := range t {
			p := append(append([]any{}, prefix...), i)
			out = append(out, p)
			out = append(out, paths(e, p)...)
		}
	}
	return out
}

func deleteAt(root any, path []any) bool {
	parent := root
	for _, step := range path[:len(path)-1] {
		switch s := step.(type) {
		case string:
			m, ok := parent.(map[string]any)
			if !ok {
				return false
			}
			parent = m[s]
		case int:
			l, ok := parent.([]any)
			if !ok || s >= len(l) {
				return false
			}
			parent = l[s]
		}
	}
	switch last := path[len(path)-1].(type) {
	case string:
		m, ok := parent.(map[string]any)
		if !ok {
			return false
		}
		delete(m, last)
		return true
	case int:
		// Lists are shrunk in place by replacing the parent's slot, so find the parent's holder again.
		return deleteListElem(root, path[:len(path)-1], last)
	}
	return false
}

func deleteListElem(root any, listPath []any, i int) bool {
	if len(listPath) == 0 {
		return false
	}
	holder := root
	for _, step := range listPath[:len(listPath)-1] {
		switch s := step.(type) {
		case string:
			holder = holder.(map[string]any)[s]
		case int:
			holder = holder.([]any)[s]
		}
	}
	switch key := listPath[len(listPath)-1].(type) {
	case string:
		m := holder.(map[string]any)
		l, ok := m[key].([]any)
		if !ok || i >= len(l) {
			return false
		}
		m[key] = append(append([]any{}, l[:i]...), l[i+1:]...)
	case int:
		h := holder.([]any)
		l, ok := h[key].([]any)
		if !ok || i >= len(l) {
			return false
		}
		h[key] = append(append([]any{}, l[:i]...), l[i+1:]...)
	}
	return true
}
