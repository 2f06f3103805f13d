package authz

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"

	"gatehouse/internal/policy"
)

// A seeded generator of realistic policies and requests, shared by benchmarks and
// property tests.

var genServices = []string{"s3", "ec2", "iam", "dynamodb", "sqs", "sns", "lambda", "logs", "kms", "sts",
	"cloudwatch", "rds", "ecr", "ecs", "secretsmanager", "ssm", "route53", "elasticloadbalancing", "autoscaling", "glue"}

var genVerbs = []string{"Get", "List", "Describe", "Put", "Create", "Delete", "Update", "Tag", "Untag", "Start", "Stop"}
var genNouns = []string{"Object", "Bucket", "Instance", "User", "Role", "Table", "Item", "Queue", "Topic", "Function", "Key", "Secret", "Parameter"}

type gen struct {
	r *rand.Rand
	// notResource is the share of statements written with NotResource (property tests
	// set it; benchmarks keep 0 so that their corpus stays the same).
	notResource float64
}

func newGen(seed uint64) *gen { return &gen{r: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))} }

func (g *gen) pick(s []string) string { return s[g.r.IntN(len(s))] }

func (g *gen) action() string {
	return g.pick(genServices) + ":" + g.pick(genVerbs) + g.pick(genNouns)
}

func (g *gen) resourceFor(svc string) string {
	switch svc {
	case "s3":
		return fmt.Sprintf("arn:aws:s3:::bucket-%d/key-%d", g.r.IntN(20), g.r.IntN(100))
	case "iam":
		return fmt.Sprintf("arn:aws:iam::111122223333:user/u%d", g.r.IntN(50))
	}
	return fmt.Sprintf("arn:aws:%s:us-east-1:111122223333:thing/t%d", svc, g.r.IntN(50))
}

func (g *gen) actionPattern() string {
	svc := g.pick(genServices)
	switch g.r.IntN(10) {
	case 0:
		return svc + ":*"
	case 1, 2:
		return svc + ":" + g.pick(genVerbs) + "*"
	case 3:
		return svc + ":*" + g.pick(genNouns)
	}
	return svc + ":" + g.pick(genVerbs) + g.pick(genNouns)
}

func (g *gen) resourcePattern() string {
	switch g.r.IntN(6) {
	case 0:
		return "*"
	case 1:
		return fmt.Sprintf("arn:aws:s3:::bucket-%d/*", g.r.IntN(20))
	case 2:
		return fmt.Sprintf("arn:aws:s3:::bucket-%d", g.r.IntN(20))
	case 3:
		return "arn:aws:iam::111122223333:user/*"
	case 4:
		return fmt.Sprintf("arn:aws:%s:*:111122223333:*", g.pick(genServices))
	}
	return "arn:aws:s3:::bucket-*/key-" + fmt.Sprint(g.r.IntN(100))
}

func (g *gen) condition() map[string]map[string]any {
	switch g.r.IntN(4) {
	case 0:
		return map[string]map[string]any{"StringEquals": {"aws:PrincipalTag/team": g.pick([]string{"blue", "red"})}}
	case 1:
		return map[string]map[string]any{"IpAddress": {"aws:SourceIp": []string{"10.0.0.0/8", "203.0.113.0/24"}}}
	case 2:
		return map[string]map[string]any{"Bool": {"aws:SecureTransport": "true"}}
	}
	return map[string]map[string]any{"StringLike": {"s3:prefix": []string{"home/${aws:username}/*"}}}
}

// policy returns a document of n statements; denyRate in [0,1).
func (g *gen) policy(n int, denyRate float64, condRate float64) []byte {
	type stmt struct {
		Sid         string                    `json:"Sid,omitempty"`
		Effect      string                    `json:"Effect"`
		Action      []string                  `json:"Action"`
		Resource    []string                  `json:"Resource,omitempty"`
		NotResource []string                  `json:"NotResource,omitempty"`
		Condition   map[string]map[string]any `json:"Condition,omitempty"`
	}
	doc := struct {
		Version   string `json:"Version"`
		Statement []stmt `json:"Statement"`
	}{Version: "2012-10-17"}
	for i := 0; i < n; i++ {
		s := stmt{Sid: fmt.Sprintf("S%d", i), Effect: "Allow"}
		if g.r.Float64() < denyRate {
			s.Effect = "Deny"
		}
		for j := 0; j < 1+g.r.IntN(3); j++ {
			s.Action = append(s.Action, g.actionPattern())
		}
		for j := 0; j < 1+g.r.IntN(2); j++ {
			s.Resource = append(s.Resource, g.resourcePattern())
		}
		if g.notResource > 0 && g.r.Float64() < g.notResource {
			s.Resource, s.NotResource = nil, s.Resource
		}
		if g.r.Float64() < condRate {
			s.Condition = g.condition()
		}
		doc.Statement = append(doc.Statement, s)
	}
	b, _ := json.Marshal(doc)
	return b
}

func (g *gen) compiled(n int, denyRate, condRate float64) *policy.Policy {
	p, err := policy.CompileStrict(g.policy(n, denyRate, condRate), policy.Identity)
	if err != nil {
		panic(err)
	}
	return p
}

func (g *gen) context(p *Principal) *Context {
	c := NewContext(p, map[string]string{"team": g.pick([]string{"blue", "red"})})
	c.Set("aws:SourceIp", g.pick([]string{"10.1.2.3", "198.51.100.1"}))
	c.Set("aws:SecureTransport", g.pick([]string{"true", "false"}))
	c.Set("s3:prefix", "home/alice/x")
	return c
}
