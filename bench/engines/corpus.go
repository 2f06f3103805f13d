// Package engines compares Gatehouse's policy engine (internal/policy and internal/authz)
// with two peer Go policy engines, cedar-go and Open Policy Agent, on one seeded corpus
// of IAM identity policies and requests (issue 2, "How fast"). Each peer gets the same
// policies translated into its best encoding; every request is decided by all three and
// any disagreement is an error before anything is timed.
//
// The corpus uses the subset of IAM's policy language that all three can express
// faithfully: Allow and Deny statements, actions matched case-insensitively with `*`
// and `?`, resource ARNs matched case-sensitively with `*`, and the condition operators
// StringEquals (on aws:PrincipalTag/KEY), IpAddress (aws:SourceIp) and Bool
// (aws:SecureTransport), with OR across a condition's values and AND across operators
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html,
// …_elements_resource.html, …_elements_condition_operators.html,
// …_multi-value-conditions.html, …_evaluation-logic.html).
package engines

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
)

// Account is the one account every principal and resource of the corpus lives in.
const Account = "111122223333"

// Operator is a condition operator of the corpus's subset.
type Operator uint8

const (
	StringEquals Operator = iota + 1 // on aws:PrincipalTag/team
	IPAddress                        // on aws:SourceIp
	Bool                             // on aws:SecureTransport
)

// String returns the operator's IAM name.
func (o Operator) String() string {
	switch o {
	case StringEquals:
		return "StringEquals"
	case IPAddress:
		return "IpAddress"
	case Bool:
		return "Bool"
	}
	return "Operator(?)"
}

// The condition keys each operator reads.
const (
	KeyTeam   = "aws:PrincipalTag/team"
	KeyIP     = "aws:SourceIp"
	KeySecure = "aws:SecureTransport"
)

// Key returns the condition key the corpus tests the operator on.
func (o Operator) Key() string {
	switch o {
	case StringEquals:
		return KeyTeam
	case IPAddress:
		return KeyIP
	}
	return KeySecure
}

// Condition is one operator on one key with one or more values (OR).
type Condition struct {
	Op     Operator
	Values []string
}

// Statement is one IAM statement of the subset. Actions, Resources and Conditions hold
// patterns as IAM reads them; Conditions are ANDed.
type Statement struct {
	Sid        string
	Deny       bool
	Actions    []string
	Resources  []string
	Conditions []Condition
}

// Policy is one identity-based policy document.
type Policy struct {
	Name       string
	Statements []Statement
}

// JSON renders the policy as an IAM policy document.
func (p *Policy) JSON() []byte {
	type stmt struct {
		Sid       string                         `json:"Sid"`
		Effect    string                         `json:"Effect"`
		Action    []string                       `json:"Action"`
		Resource  []string                       `json:"Resource"`
		Condition map[string]map[string][]string `json:"Condition,omitempty"`
	}
	doc := struct {
		Version   string `json:"Version"`
		Statement []stmt `json:"Statement"`
	}{Version: "2012-10-17"}
	for _, s := range p.Statements {
		st := stmt{Sid: s.Sid, Effect: "Allow", Action: s.Actions, Resource: s.Resources}
		if s.Deny {
			st.Effect = "Deny"
		}
		if len(s.Conditions) > 0 {
			st.Condition = map[string]map[string][]string{}
			for _, c := range s.Conditions {
				st.Condition[c.Op.String()] = map[string][]string{c.Op.Key(): c.Values}
			}
		}
		doc.Statement = append(doc.Statement, st)
	}
	b, err := json.Marshal(doc)
	if err != nil {
		panic(err) // only strings and slices: cannot fail
	}
	return b
}

// Principal is an IAM user or role with its identity-based policies and tags.
type Principal struct {
	ARN      string
	Kind     string // "user" or "role"
	Name     string
	Team     string // the aws:PrincipalTag/team value; "" when the principal has no such tag
	Policies []Policy
}

// Request is one authorization question. Action is as the caller spelled it (any case);
// SourceIP and Secure are "" when the request does not carry the key.
type Request struct {
	Principal int // index into Corpus.Principals
	Action    string
	Resource  string
	SourceIP  string
	Secure    string // "true", "false" or ""
}

// Corpus is a seeded set of principals and requests.
type Corpus struct {
	Principals []Principal
	// Actions is the action catalog (canonical case) the policies and requests draw on;
	// the Cedar translation declares it as the action hierarchy.
	Actions  []string
	Requests []Request
}

// Options sizes a corpus.
type Options struct {
	Seed                uint64
	Users               int // users with PoliciesPerUser × StatementsPerPolicy statements
	PoliciesPerUser     int
	StatementsPerPolicy int
	RoleStatements      int // statements of the one big role (in one policy); 0: no role
	Requests            int // requests per principal
}

func (o Options) withDefaults() Options {
	if o.Users == 0 {
		o.Users = 16
	}
	if o.PoliciesPerUser == 0 {
		o.PoliciesPerUser = 5
	}
	if o.StatementsPerPolicy == 0 {
		o.StatementsPerPolicy = 10
	}
	if o.Requests == 0 {
		o.Requests = 256
	}
	return o
}

var (
	services = []string{"s3", "iam", "ec2", "dynamodb", "sqs", "sns", "lambda", "logs", "kms",
		"cloudwatch", "rds", "secretsmanager"}
	// regional services: their ARNs carry a region (S3's and IAM's do not, and IAM rejects
	// a policy that gives them one).
	regional = services[3:]
	verbs    = []string{"Get", "List", "Describe", "Put", "Create", "Delete", "Update", "Tag", "Untag", "Start", "Stop"}
	nouns    = []string{"Object", "Bucket", "Instance", "User", "Role", "Table", "Item", "Queue", "Topic",
		"Function", "Key", "Secret", "Parameter"}
	teams = []string{"blue", "red", "green"}
	// CIDRs a policy names and the addresses requests come from (some inside, some not).
	cidrs   = []string{"10.0.0.0/8", "203.0.113.0/24", "192.168.0.0/16", "198.51.100.0/25"}
	sources = []string{"10.1.2.3", "203.0.113.9", "192.168.7.1", "198.51.100.200", "198.51.100.7", "172.16.0.1"}
)

type gen struct {
	r       *rand.Rand
	actions []string
}

// Generate builds a corpus from o; the same options give the same corpus.
func Generate(o Options) *Corpus {
	o = o.withDefaults()
	g := &gen{r: rand.New(rand.NewPCG(o.Seed, o.Seed^0x9e3779b97f4a7c15))}
	for _, s := range services {
		for _, v := range verbs {
			for _, n := range nouns {
				g.actions = append(g.actions, s+":"+v+n)
			}
		}
	}
	c := &Corpus{Actions: g.actions}
	for u := 0; u < o.Users; u++ {
		p := Principal{Kind: "user", Name: fmt.Sprintf("u%d", u)}
		if g.r.IntN(5) > 0 { // a fifth of users have no team tag
			p.Team = g.pick(teams)
		}
		for i := 0; i < o.PoliciesPerUser; i++ {
			p.Policies = append(p.Policies, g.policy(fmt.Sprintf("p%d", i), o.StatementsPerPolicy))
		}
		c.Principals = append(c.Principals, p)
	}
	if o.RoleStatements > 0 {
		p := Principal{Kind: "role", Name: "big", Team: "blue"}
		p.Policies = []Policy{g.policy("big", o.RoleStatements)}
		c.Principals = append(c.Principals, p)
	}
	for i := range c.Principals {
		p := &c.Principals[i]
		p.ARN = fmt.Sprintf("arn:aws:iam::%s:%s/%s", Account, p.Kind, p.Name)
		for j := 0; j < o.Requests; j++ {
			c.Requests = append(c.Requests, g.request(i, p))
		}
	}
	// Interleave principals so that a benchmark cycling through the requests sees them mixed.
	g.r.Shuffle(len(c.Requests), func(i, j int) { c.Requests[i], c.Requests[j] = c.Requests[j], c.Requests[i] })
	return c
}

func (g *gen) pick(s []string) string { return s[g.r.IntN(len(s))] }

func (g *gen) policy(name string, n int) Policy {
	p := Policy{Name: name}
	for i := 0; i < n; i++ {
		s := Statement{Sid: fmt.Sprintf("S%d", i), Deny: g.r.IntN(100) < 8}
		for j := 0; j < 1+g.r.IntN(3); j++ {
			s.Actions = append(s.Actions, g.actionPattern())
		}
		for j := 0; j < 1+g.r.IntN(2); j++ {
			s.Resources = append(s.Resources, g.resourcePattern())
		}
		if g.r.IntN(4) == 0 {
			ops := []Operator{StringEquals, IPAddress, Bool}
			g.r.Shuffle(len(ops), func(i, j int) { ops[i], ops[j] = ops[j], ops[i] })
			k := 1
			if g.r.IntN(5) == 0 {
				k = 2
			}
			for _, op := range ops[:k] {
				s.Conditions = append(s.Conditions, g.condition(op, s.Deny))
			}
		}
		p.Statements = append(p.Statements, s)
	}
	return p
}

func (g *gen) condition(op Operator, deny bool) Condition {
	c := Condition{Op: op}
	switch op {
	case StringEquals:
		c.Values = []string{g.pick(teams)}
		if g.r.IntN(3) == 0 {
			c.Values = append(c.Values, g.pick(teams))
		}
	case IPAddress:
		c.Values = []string{g.pick(cidrs)}
		if g.r.IntN(2) == 0 {
			c.Values = append(c.Values, g.pick(cidrs))
		}
	case Bool:
		// Allows ask for TLS; Denies refuse plain text, as AWS's examples do.
		c.Values = []string{"true"}
		if deny {
			c.Values = []string{"false"}
		}
	}
	return c
}

// actionPattern returns an action pattern in the case a policy author might write it.
func (g *gen) actionPattern() string {
	svc, verb, noun := g.pick(services), g.pick(verbs), g.pick(nouns)
	var p string
	switch k := g.r.IntN(20); {
	case k < 2:
		p = svc + ":*"
	case k < 5:
		p = svc + ":" + verb + "*"
	case k < 7:
		p = svc + ":*" + noun
	case k < 8: // `?` stands for one character
		name := []byte(verb + noun)
		name[g.r.IntN(len(name))] = '?'
		p = svc + ":" + string(name)
	default:
		p = svc + ":" + verb + noun
	}
	if g.r.IntN(10) == 0 { // IAM action names are case-insensitive
		p = strings.ToLower(p)
	}
	return p
}

// Resource patterns: wildcards in the first five ARN fields only ever stand for a whole
// field, and resource parts carry no colon, so IAM's field-wise ARN matching and a plain
// glob over the whole string agree (as the peers' encodings assume).
func (g *gen) resourcePattern() string {
	switch g.r.IntN(10) {
	case 0:
		return "*"
	case 1:
		return fmt.Sprintf("arn:aws:s3:::bucket-%d", g.r.IntN(8))
	case 2, 3:
		return fmt.Sprintf("arn:aws:s3:::bucket-%d/*", g.r.IntN(8))
	case 4:
		return "arn:aws:s3:::bucket-*/home/*"
	case 5:
		return fmt.Sprintf("arn:aws:s3:::bucket-%d/data/k%d.json", g.r.IntN(8), g.r.IntN(10))
	case 6:
		return "arn:aws:iam::" + Account + ":user/*"
	case 7:
		return fmt.Sprintf("arn:aws:%s:*:%s:*", g.pick(regional), Account)
	case 8:
		return fmt.Sprintf("arn:aws:%s:us-east-1:%s:thing/t%d*", g.pick(regional), Account, g.r.IntN(5))
	}
	return fmt.Sprintf("arn:aws:%s:us-east-1:%s:thing/t%d", g.pick(regional), Account, g.r.IntN(50))
}

// request returns a request by p: two thirds aimed at one of p's statements (a concrete
// action and resource its patterns cover), the rest anywhere in the catalog.
func (g *gen) request(pi int, p *Principal) Request {
	r := Request{Principal: pi}
	var svc string
	if g.r.IntN(3) > 0 {
		pol := &p.Policies[g.r.IntN(len(p.Policies))]
		s := &pol.Statements[g.r.IntN(len(pol.Statements))]
		r.Action = g.actionMatching(s.Actions[g.r.IntN(len(s.Actions))])
		svc = r.Action[:strings.IndexByte(r.Action, ':')]
		r.Resource = g.instantiate(s.Resources[g.r.IntN(len(s.Resources))], svc)
	} else {
		r.Action = g.pick(g.actions)
		svc = r.Action[:strings.IndexByte(r.Action, ':')]
		r.Resource = g.instantiate(g.resourcePattern(), svc)
	}
	switch g.r.IntN(20) {
	case 0:
		r.Action = strings.ToUpper(r.Action)
	case 1:
		r.Action = strings.ToLower(r.Action)
	}
	if g.r.IntN(20) == 0 { // resources are case-sensitive: this one matches fewer patterns
		r.Resource = strings.Replace(r.Resource, "bucket-", "Bucket-", 1)
	}
	if g.r.IntN(10) > 0 {
		r.SourceIP = g.pick(sources)
	}
	if g.r.IntN(10) > 0 {
		r.Secure = g.pick([]string{"true", "true", "false"})
	}
	return r
}

// actionMatching returns a catalog action the pattern covers.
func (g *gen) actionMatching(pattern string) string {
	var m []string
	for _, a := range g.actions {
		if Glob(strings.ToLower(pattern), strings.ToLower(a)) {
			m = append(m, a)
		}
	}
	if len(m) == 0 {
		return g.pick(g.actions)
	}
	return g.pick(m)
}

// instantiate replaces the pattern's wildcards with text, giving a resource it covers.
func (g *gen) instantiate(pattern, svc string) string {
	if pattern == "*" {
		switch g.r.IntN(3) {
		case 0:
			return fmt.Sprintf("arn:aws:s3:::bucket-%d/home/u%d/f.txt", g.r.IntN(8), g.r.IntN(4))
		case 1:
			return fmt.Sprintf("arn:aws:iam::%s:user/u%d", Account, g.r.IntN(16))
		}
		if svc == "s3" || svc == "iam" {
			svc = "ec2"
		}
		return fmt.Sprintf("arn:aws:%s:us-east-1:%s:thing/t%d", svc, Account, g.r.IntN(50))
	}
	fields := strings.SplitN(pattern, ":", 6)
	for i, f := range fields {
		if f == "*" && i < 5 {
			fields[i] = g.pick([]string{"us-east-1", "eu-west-1"})
			continue
		}
		var b strings.Builder
		for _, ch := range f {
			switch ch {
			case '*':
				b.WriteString(g.pick([]string{"", "3", "home/u1/a.txt", "x/y", "7"}))
			case '?':
				b.WriteString(g.pick([]string{"a", "1"}))
			default:
				b.WriteRune(ch)
			}
		}
		fields[i] = b.String()
	}
	return strings.Join(fields, ":")
}

// Glob reports whether s matches pattern, where `*` matches any run of characters and
// `?` any one character; it is case-sensitive (callers fold case for actions). It is a
// plain reference used to derive the Cedar action hierarchy and to aim requests.
func Glob(pattern, s string) bool {
	px, sx := 0, 0
	nextP, nextS := -1, -1
	for px < len(pattern) || sx < len(s) {
		if px < len(pattern) {
			switch c := pattern[px]; c {
			case '*':
				nextP, nextS = px, sx+1
				px++
				continue
			case '?':
				if sx < len(s) {
					px++
					sx++
					continue
				}
			default:
				if sx < len(s) && s[sx] == c {
					px++
					sx++
					continue
				}
			}
		}
		if nextS > 0 && nextS <= len(s) {
			px, sx = nextP, nextS
			continue
		}
		return false
	}
	return true
}
