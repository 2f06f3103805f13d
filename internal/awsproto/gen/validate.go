package main

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

var javaUnicode = regexp.MustCompile(`\\u([0-9A-Fa-f]{4})`)

// lookaheadPatterns are the model's Java patterns that Go's RE2 cannot express, with an
// equivalent matcher. ([a-z0-9]|-(?!-)){1,61} between two [a-z0-9] is "no two hyphens in
// a row" — IAM's account alias.
var lookaheadPatterns = map[string]string{
	`^[a-z0-9]([a-z0-9]|-(?!-)){1,61}[a-z0-9]$`: "constraint.WithoutSubstring{Matcher: regexp.MustCompile(`^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$`), Sub: \"--\"}",
}

// goPattern converts a model (Java) pattern into Go regexp source. AWS applies patterns
// with Java's Matcher.matches(), which must consume the whole value, so the Go pattern is
// anchored at both ends. \uXXXX escapes become \x{XXXX}.
func goPattern(p string) (string, error) {
	s := javaUnicode.ReplaceAllString(p, `\x{$1}`)
	s = "^(?:" + s + ")$"
	_, err := regexp.Compile(s)
	return s, err
}

type validateGen struct {
	*generator
	rules      map[string]string // shape name -> rule var
	ruleSrc    []string
	patterns   map[string]string // model pattern -> matcher var
	patSrc     []string
	checks     map[string]int // memo for hasChecks: 0 unknown, 1 visiting, 2 yes, 3 no
	usesConv   bool
	usesRegexp bool
}

func (g *generator) validateFile() string {
	vg := &validateGen{generator: g, rules: map[string]string{}, patterns: map[string]string{}, checks: map[string]int{}}
	style := "constraint.Coral"
	switch {
	case g.m.Metadata.Protocol == "ec2":
		style = "constraint.EC2"
	case g.m.Metadata.EndpointPrefix == "iam":
		// IAM no longer quotes refused values (constraint.IAM).
		style = "constraint.IAM"
	}
	var body strings.Builder
	tops := map[string]bool{}
	for _, o := range g.ops {
		if in := g.opInput[o]; in != "" {
			tops[in] = true
		} else {
			fmt.Fprintf(&body, "// Validate reports nothing: %s takes no parameters.\nfunc (*%sInput) Validate() error { return nil }\n\n", o, o)
		}
	}
	for _, in := range sortedKeys(tops) {
		tn := g.typeName[in]
		fmt.Fprintf(&body, "// Validate checks the input against the model's constraints and returns AWS's error for\n// every violation, or nil.\nfunc (s *%s) Validate() error {\n\tv := constraint.Violations{Style: %s}\n\ts.validate(&v, \"\")\n\treturn v.Err()\n}\n\n", tn, style)
		if vg.hasLenient(in) {
			fmt.Fprintf(&body, "// ValidateLenient is Validate for emulator --enforce off, which accepts what moto server\n// accepts for some members (awsproto/gen lenientPatterns).\nfunc (s *%s) ValidateLenient() error {\n\tv := constraint.Violations{Style: %s, Lenient: true}\n\ts.validate(&v, \"\")\n\treturn v.Err()\n}\n\n", tn, style)
		}
	}
	for _, name := range sortedKeys(g.inputSide) {
		s := g.shape(name)
		if s.Type != "structure" {
			continue
		}
		fmt.Fprintf(&body, "func (s *%s) validate(v *constraint.Violations, p string) {\n", g.typeName[name])
		if !vg.hasChecks(name) {
			body.WriteString("\t_, _ = v, p\n")
		}
		for _, mm := range s.Members {
			vg.member(&body, name, mm)
		}
		body.WriteString("}\n\n")
	}
	var b strings.Builder
	b.WriteString(header)
	fmt.Fprintf(&b, "package %s\n\nimport (\n", g.svc.Package)
	if vg.usesRegexp {
		b.WriteString("\t\"regexp\"\n")
	}
	if vg.usesConv {
		b.WriteString("\t\"strconv\"\n")
	}
	b.WriteString("\n\t\"gatehouse/internal/awsproto/constraint\"\n)\n\n")
	b.WriteString(body.String())
	if len(vg.patSrc) > 0 {
		b.WriteString("// The model's patterns, compiled once.\nvar (\n")
		for _, p := range vg.patSrc {
			b.WriteString(p)
		}
		b.WriteString(")\n\n")
	}
	if len(vg.ruleSrc) > 0 {
		sort.Strings(vg.ruleSrc)
		b.WriteString("// The model's constraints, by shape.\nvar (\n")
		for _, r := range vg.ruleSrc {
			b.WriteString(r)
		}
		b.WriteString(")\n")
	}
	return b.String()
}

// scalarHasRule reports whether a scalar shape carries a constraint beyond presence.
func scalarHasRule(s *shape) bool {
	switch s.Type {
	case "string":
		return len(s.Enum) > 0 || s.Pattern != "" || (s.Min != nil && *s.Min > 0) || s.Max != nil
	case "integer", "long", "double", "float":
		return s.Min != nil || s.Max != nil
	case "list":
		return (s.Min != nil && *s.Min > 0) || s.Max != nil
	}
	return false
}

// hasChecks reports whether validating a structure can ever record a violation.
func (vg *validateGen) hasChecks(name string) bool {
	switch vg.checks[name] {
	case 1:
		return false // a cycle: the outer visit decides
	case 2:
		return true
	case 3:
		return false
	}
	vg.checks[name] = 1
	s := vg.shape(name)
	found := len(s.Required) > 0
	for _, mm := range s.Members {
		if found {
			break
		}
		found = vg.refHasChecks(mm.Ref.Shape)
	}
	if found {
		vg.checks[name] = 2
	} else {
		vg.checks[name] = 3
	}
	return found
}

func (vg *validateGen) refHasChecks(name string) bool {
	s := vg.shape(name)
	switch s.Type {
	case "structure":
		return vg.hasChecks(name)
	case "list":
		return scalarHasRule(s) || vg.refHasChecks(s.Member.Shape)
	case "map":
		return false
	}
	return scalarHasRule(s)
}

func num(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// rule returns the variable holding a shape's constraints, emitting it on first use.
// servicePatterns are members whose model pattern the service checks itself, with a message
// of its own, instead of the validation layer: IAM answers a CreateVirtualMFADevice path that
// does not begin and end with "/" with "The specified value for path is invalid. …" while its
// length is still checked as a constraint (recorded against AWS in LocalStack's
// test_iam_mfa.py::test_virtual_mfa_device_errors). Keyed by service endpoint prefix, input
// shape and member.
//
// GetXPolicy's and DeleteXPolicy's inline policy names are IAM's too (internal/iam,
// checkStoredInlineName): a name emulator --enforce off stored ("test policy") stays readable
// and removable when the data is reopened under another level; any other name is refused
// with the validation layer's message.
var servicePatterns = map[string]bool{
	"iam.CreateVirtualMFADeviceRequest.Path":  true,
	"iam.GetRolePolicyRequest.PolicyName":     true,
	"iam.DeleteRolePolicyRequest.PolicyName":  true,
	"iam.GetUserPolicyRequest.PolicyName":     true,
	"iam.DeleteUserPolicyRequest.PolicyName":  true,
	"iam.GetGroupPolicyRequest.PolicyName":    true,
	"iam.DeleteGroupPolicyRequest.PolicyName": true,
}

// lenientPatterns are members whose pattern a lenient validation (emulator --enforce off,
// awsproto.Service.DecodeRequestLenient) relaxes to the named constraint matcher, as moto
// server accepts: moto's tests create entities with Path="my-path", list with
// PathPrefix="my" and name inline policies "test policy". Every other validation checks the
// model's pattern as always, with the rest of the input, so that a request with several bad
// members reports them all and nothing reaches authorization or the service unchecked.
var lenientPatterns = map[string]string{
	"iam.CreateRoleRequest.Path":                 "constraint.MotoPath",
	"iam.CreateUserRequest.Path":                 "constraint.MotoPath",
	"iam.CreateGroupRequest.Path":                "constraint.MotoPath",
	"iam.CreateInstanceProfileRequest.Path":      "constraint.MotoPath",
	"iam.CreatePolicyRequest.Path":               "constraint.MotoPath",
	"iam.ListRolesRequest.PathPrefix":            "constraint.MotoPath",
	"iam.ListUsersRequest.PathPrefix":            "constraint.MotoPath",
	"iam.ListGroupsRequest.PathPrefix":           "constraint.MotoPath",
	"iam.ListInstanceProfilesRequest.PathPrefix": "constraint.MotoPath",
	"iam.ListPoliciesRequest.PathPrefix":         "constraint.MotoPath",
	"iam.PutRolePolicyRequest.PolicyName":        "constraint.MotoInlineName",
	"iam.PutUserPolicyRequest.PolicyName":        "constraint.MotoInlineName",
	"iam.PutGroupPolicyRequest.PolicyName":       "constraint.MotoInlineName",
}

// hasLenient reports whether an input shape has a member in lenientPatterns.
func (vg *validateGen) hasLenient(owner string) bool {
	for _, mm := range vg.shape(owner).Members {
		if lenientPatterns[vg.m.Metadata.EndpointPrefix+"."+owner+"."+mm.Name] != "" {
			return true
		}
	}
	return false
}

// memberRule is the rule for a member: its shape's, without the pattern when the service
// checks that itself, or with a lenient alternative.
func (vg *validateGen) memberRule(owner string, mm member) string {
	key := vg.m.Metadata.EndpointPrefix + "." + owner + "." + mm.Name
	if servicePatterns[key] {
		return vg.ruleVariant(mm.Ref.Shape, true, "")
	}
	if l := lenientPatterns[key]; l != "" {
		return vg.ruleVariant(mm.Ref.Shape, false, l)
	}
	return vg.rule(mm.Ref.Shape)
}

func (vg *validateGen) rule(name string) string { return vg.ruleVariant(name, false, "") }

// ruleVariant is rule for the shape as is, without its pattern (noPattern), or with lenient
// (a constraint matcher's name) as its Lenient matcher.
func (vg *validateGen) ruleVariant(name string, noPattern bool, lenient string) string {
	key, v := name, "rule"+goIdent(name)
	if noPattern {
		key, v = name+" without pattern", v+"NoPattern"
	}
	if lenient != "" {
		key, v = name+" lenient "+lenient, v+strings.TrimPrefix(lenient, "constraint.")
	}
	if v, ok := vg.rules[key]; ok {
		return "&" + v
	}
	s := vg.shape(name)
	vg.rules[key] = v
	var fields []string
	bounds := func() {
		if s.Min != nil && (s.Type != "string" && s.Type != "list" || *s.Min > 0) {
			fields = append(fields, "Min: "+num(*s.Min), "HasMin: true")
		}
		if s.Max != nil {
			fields = append(fields, "Max: "+num(*s.Max), "HasMax: true")
		}
	}
	var typ string
	switch s.Type {
	case "string":
		typ = "constraint.String"
		bounds()
		if s.Pattern != "" && !noPattern {
			fields = append(fields, "Pattern: "+vg.pattern(s.Pattern), "PatternText: "+strconv.Quote(s.Pattern))
			if lenient != "" {
				fields = append(fields, "Lenient: "+lenient)
			}
		}
		if len(s.Enum) > 0 {
			q := make([]string, len(s.Enum))
			for i, e := range s.Enum {
				q[i] = strconv.Quote(e)
			}
			fields = append(fields, "Enum: []string{"+strings.Join(q, ", ")+"}")
		}
		if s.Sensitive {
			fields = append(fields, "Sensitive: true")
		}
	case "list":
		typ = "constraint.Length"
		bounds()
	default:
		typ = "constraint.Number"
		bounds()
	}
	vg.ruleSrc = append(vg.ruleSrc, fmt.Sprintf("\t%s = %s{%s}\n", v, typ, strings.Join(fields, ", ")))
	return "&" + v
}

func (vg *validateGen) pattern(p string) string {
	if v, ok := vg.patterns[p]; ok {
		return v
	}
	v := "pattern" + strconv.Itoa(len(vg.patterns))
	vg.patterns[p] = v
	src, ok := lookaheadPatterns[p]
	if ok {
		vg.usesRegexp = true
	} else {
		gp, err := goPattern(p)
		if err != nil {
			panic(fmt.Sprintf("pattern %q has no Go equivalent (%v): add it to lookaheadPatterns", p, err))
		}
		q := strconv.Quote(gp)
		if !strings.Contains(gp, "`") {
			q = "`" + gp + "`"
		}
		src = "constraint.Pattern(" + q + ")"
	}
	vg.patSrc = append(vg.patSrc, fmt.Sprintf("\t%s constraint.Matcher = %s // %s\n", v, src, p))
	return v
}

// pathName is the member's name in a violation: Coral lower-cases the member name's first
// letter; EC2 names the parameter as sent.
func (vg *validateGen) pathName(mm member) string {
	if vg.m.Metadata.Protocol == "ec2" {
		return vg.queryName(mm)
	}
	return lowerFirst(mm.Name)
}

func (vg *validateGen) member(b *strings.Builder, owner string, mm member) {
	s := vg.shape(mm.Ref.Shape)
	field := "s." + goIdent(mm.Name)
	path := strconv.Quote(vg.pathName(mm))
	required := vg.shape(owner).isRequired(mm.Name)
	null := fmt.Sprintf("v.Null(p, %s)", path)

	isEnum := s.Type == "string" && len(s.Enum) > 0
	var absent, check string
	switch {
	case isEnum:
		absent = field + ` == ""`
		check = fmt.Sprintf("v.String(p, %s, string(%s), %s)", path, field, vg.rule(mm.Ref.Shape))
	case isScalar(s.Type):
		absent = field + " == nil"
		if scalarHasRule(s) {
			switch s.Type {
			case "string":
				check = fmt.Sprintf("v.String(p, %s, *%s, %s)", path, field, vg.memberRule(owner, mm))
			case "integer", "long":
				check = fmt.Sprintf("v.Int(p, %s, int64(*%s), %s)", path, field, vg.rule(mm.Ref.Shape))
			default:
				check = fmt.Sprintf("v.Float(p, %s, float64(*%s), %s)", path, field, vg.rule(mm.Ref.Shape))
			}
		}
	case s.Type == "blob", s.Type == "map":
		absent = field + " == nil"
	case s.Type == "structure":
		absent = field + " == nil"
		if vg.hasChecks(mm.Ref.Shape) {
			check = fmt.Sprintf("%s.validate(v, p+%s)", field, strconv.Quote(vg.pathName(mm)+"."))
		}
	case s.Type == "list":
		absent = field + " == nil"
		var lines []string
		if scalarHasRule(s) {
			lines = append(lines, fmt.Sprintf("v.List(p, %s, len(%s), %s, %s)", path, field, field, vg.rule(mm.Ref.Shape)))
		}
		if el := vg.elementCheck(mm, field); el != "" {
			lines = append(lines, el)
		}
		check = strings.Join(lines, "\n")
	}
	switch {
	case required && check != "":
		fmt.Fprintf(b, "\tif %s {\n\t\t%s\n\t} else {\n\t\t%s\n\t}\n", absent, null, check)
	case required:
		fmt.Fprintf(b, "\tif %s {\n\t\t%s\n\t}\n", absent, null)
	case check != "":
		neg := strings.Replace(strings.Replace(absent, "==", "!=", 1), "== \"\"", "!= \"\"", 1)
		fmt.Fprintf(b, "\tif %s {\n\t\t%s\n\t}\n", neg, check)
	}
}

// elementCheck validates each element of a list member; the element's path is
// "name.N.member" in Coral (as the Query parameter is) and "Name.N" in EC2.
func (vg *validateGen) elementCheck(mm member, field string) string {
	ls := vg.shape(mm.Ref.Shape)
	es := vg.shape(ls.Member.Shape)
	var prefix string
	if vg.m.Metadata.Protocol == "ec2" {
		prefix = fmt.Sprintf("p + %s + strconv.Itoa(i+1)", strconv.Quote(vg.pathName(mm)+"."))
	} else {
		prefix = fmt.Sprintf("p + %s + strconv.Itoa(i+1) + \".member\"", strconv.Quote(vg.pathName(mm)+"."))
	}
	var inner string
	switch {
	case es.Type == "structure":
		if !vg.hasChecks(ls.Member.Shape) {
			return ""
		}
		inner = fmt.Sprintf("%s[i].validate(v, %s+\".\")", field, prefix)
	case es.Type == "string" && len(es.Enum) == 0 && scalarHasRule(es) && vg.m.Metadata.Protocol != "ec2":
		// Coral reports a bad element as a violation of the whole list.
		return fmt.Sprintf("v.StringList(p, %s, %s, %s)", strconv.Quote(vg.pathName(mm)), field, vg.rule(ls.Member.Shape))
	case es.Type == "string" && scalarHasRule(es):
		conv := field + "[i]"
		if len(es.Enum) > 0 {
			conv = "string(" + conv + ")"
		}
		inner = fmt.Sprintf("v.String(%s, \"\", %s, %s)", prefix, conv, vg.rule(ls.Member.Shape))
	case (es.Type == "integer" || es.Type == "long") && scalarHasRule(es):
		inner = fmt.Sprintf("v.Int(%s, \"\", int64(%s[i]), %s)", prefix, field, vg.rule(ls.Member.Shape))
	default:
		return ""
	}
	vg.usesConv = true
	return fmt.Sprintf("for i := range %s {\n\t%s\n}", field, inner)
}
