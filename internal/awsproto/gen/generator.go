package main

import (
	"fmt"
	"html"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode"
)

type generator struct {
	svc   service
	m     *apiModel
	pages *paginatorsFile
	ops   []string // sorted operation names

	inputSide  map[string]bool // shapes reachable from an operation's input
	outputSide map[string]bool // shapes reachable from an operation's output
	typeName   map[string]string
	aliases    []alias // XxxInput/XxxOutput names for shapes shared or nested
	opInput    map[string]string
	opOutput   map[string]string
	patterns   map[string]string // model pattern -> Go variable
	usesTime   bool
}

type alias struct{ Name, Target, Doc string }

func newGenerator(svc service, m *apiModel, pages *paginatorsFile) (*generator, error) {
	g := &generator{svc: svc, m: m, pages: pages,
		inputSide: map[string]bool{}, outputSide: map[string]bool{},
		typeName: map[string]string{}, opInput: map[string]string{}, opOutput: map[string]string{},
		patterns: map[string]string{},
	}
	if svc.Operations != nil {
		for _, o := range svc.Operations {
			if m.Operations[o] == nil {
				return nil, fmt.Errorf("operation %s not in model", o)
			}
			g.ops = append(g.ops, o)
		}
	} else {
		for o := range m.Operations {
			g.ops = append(g.ops, o)
		}
	}
	sort.Strings(g.ops)

	for _, o := range g.ops {
		op := m.Operations[o]
		if op.Input != nil {
			g.walk(op.Input.Shape, g.inputSide)
		}
		if op.Output != nil {
			g.walk(op.Output.Shape, g.outputSide)
		}
	}
	if err := g.checkSupported(); err != nil {
		return nil, err
	}
	return g, g.nameTypes()
}

func (g *generator) shape(name string) *shape {
	s := g.m.Shapes[name]
	if s == nil {
		panic("shape not in model: " + name)
	}
	return s
}

func (g *generator) walk(name string, seen map[string]bool) {
	if seen[name] {
		return
	}
	seen[name] = true
	s := g.shape(name)
	switch s.Type {
	case "structure":
		for _, mm := range s.Members {
			g.walk(mm.Ref.Shape, seen)
		}
	case "list":
		g.walk(s.Member.Shape, seen)
	case "map":
		g.walk(s.Key.Shape, seen)
		g.walk(s.Value.Shape, seen)
	}
}

// checkSupported refuses model features the codec does not handle, so a model update
// that needs them fails here rather than producing a wrong wire format.
func (g *generator) checkSupported() error {
	for name := range g.all() {
		s := g.shape(name)
		switch s.Type {
		case "structure", "string", "integer", "long", "boolean", "timestamp", "blob", "double", "float":
		case "list":
			if t := g.shape(s.Member.Shape).Type; t == "list" || t == "map" {
				return fmt.Errorf("list %s of %s is not supported", name, t)
			}
		case "map":
			if g.shape(s.Key.Shape).Type != "string" {
				return fmt.Errorf("map %s with non-string key", name)
			}
			if t := g.shape(s.Value.Shape).Type; t == "list" || t == "map" || t == "structure" {
				return fmt.Errorf("map %s of %s is not supported", name, t)
			}
		default:
			return fmt.Errorf("shape %s has unsupported type %s", name, s.Type)
		}
	}
	return nil
}

// all returns every shape reached by the generated operations.
func (g *generator) all() map[string]bool {
	all := map[string]bool{}
	for n := range g.inputSide {
		all[n] = true
	}
	for n := range g.outputSide {
		all[n] = true
	}
	return all
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

var nonIdent = regexp.MustCompile(`[^A-Za-z0-9]+`)

func goIdent(s string) string {
	parts := nonIdent.Split(s, -1)
	var b strings.Builder
	for _, p := range parts {
		b.WriteString(upperFirst(p))
	}
	out := b.String()
	if out == "" || unicode.IsDigit(rune(out[0])) {
		out = "V" + out
	}
	return out
}

// nameTypes assigns Go names: an operation's input and output structures are XxxInput and
// XxxOutput when the shape belongs to that operation alone; a shape shared between
// operations or nested elsewhere keeps its model name, and XxxInput/XxxOutput become
// aliases of it.
func (g *generator) nameTypes() error {
	uses := map[string]int{} // how many times a structure is referenced as an op input/output or member
	for name := range g.all() {
		s := g.shape(name)
		switch s.Type {
		case "structure":
			for _, mm := range s.Members {
				uses[mm.Ref.Shape]++
			}
		case "list":
			uses[s.Member.Shape]++
		case "map":
			uses[s.Value.Shape]++
		}
	}
	for _, o := range g.ops {
		op := g.m.Operations[o]
		if op.Input != nil {
			uses[op.Input.Shape]++
		}
		if op.Output != nil {
			uses[op.Output.Shape]++
		}
	}
	for _, o := range g.ops {
		op := g.m.Operations[o]
		if op.Input != nil {
			g.opInput[o] = op.Input.Shape
			if uses[op.Input.Shape] == 1 {
				g.typeName[op.Input.Shape] = o + "Input"
			}
		}
		if op.Output != nil {
			g.opOutput[o] = op.Output.Shape
			if uses[op.Output.Shape] == 1 {
				g.typeName[op.Output.Shape] = o + "Output"
			}
		}
	}
	taken := map[string]string{}
	for _, name := range sortedKeys(g.all()) {
		s := g.shape(name)
		if s.Type != "structure" && !(s.Type == "string" && len(s.Enum) > 0) {
			continue
		}
		if g.typeName[name] == "" {
			g.typeName[name] = goIdent(name)
		}
		if prev, ok := taken[g.typeName[name]]; ok {
			return fmt.Errorf("type name %s used by shapes %s and %s", g.typeName[name], prev, name)
		}
		taken[g.typeName[name]] = name
	}
	for _, o := range g.ops {
		for _, side := range []struct {
			shape, name string
		}{{g.opInput[o], o + "Input"}, {g.opOutput[o], o + "Output"}} {
			switch {
			case side.shape == "":
				if _, ok := taken[side.name]; ok {
					return fmt.Errorf("type name %s taken", side.name)
				}
				taken[side.name] = ""
			case g.typeName[side.shape] != side.name:
				if _, ok := taken[side.name]; ok {
					return fmt.Errorf("alias %s collides", side.name)
				}
				taken[side.name] = side.shape
				g.aliases = append(g.aliases, alias{Name: side.name, Target: g.typeName[side.shape]})
			}
		}
	}
	return nil
}

var (
	htmlTag = regexp.MustCompile(`<[^>]*>`)
	spaces  = regexp.MustCompile(`\s+`)
)

// firstSentence trims model documentation (HTML) to its first sentence.
func firstSentence(doc string) string {
	s := htmlTag.ReplaceAllString(doc, " ")
	s = html.UnescapeString(s)
	s = strings.TrimSpace(spaces.ReplaceAllString(s, " "))
	for i := 0; i+1 < len(s); i++ {
		if s[i] == '.' && s[i+1] == ' ' && !strings.HasSuffix(s[:i], "e.g") && !strings.HasSuffix(s[:i], "i.e") {
			return s[:i+1]
		}
	}
	return s
}

func comment(b *strings.Builder, indent, name, doc string) {
	s := firstSentence(doc)
	if s == "" {
		return
	}
	fmt.Fprintf(b, "%s// %s: %s\n", indent, name, s)
}

// isScalar reports whether the shape maps to a Go scalar that is a pointer when optional.
func isScalar(t string) bool {
	switch t {
	case "string", "integer", "long", "boolean", "timestamp", "double", "float":
		return true
	}
	return false
}

func (g *generator) scalarGo(s *shape) string {
	switch s.Type {
	case "string":
		return "string"
	case "integer":
		return "int32"
	case "long":
		return "int64"
	case "boolean":
		return "bool"
	case "timestamp":
		g.usesTime = true
		return "time.Time"
	case "double", "float":
		return "float64"
	case "blob":
		return "[]byte"
	}
	panic(s.Type)
}

// elemType is the Go type of a list element or map value: always a value, never a pointer.
func (g *generator) elemType(name string) string {
	s := g.shape(name)
	switch {
	case s.Type == "structure":
		return g.typeName[name]
	case s.Type == "string" && len(s.Enum) > 0:
		return g.typeName[name]
	case s.Type == "list":
		return "[]" + g.elemType(s.Member.Shape)
	case s.Type == "map":
		return "map[string]" + g.elemType(s.Value.Shape)
	}
	return g.scalarGo(s)
}

// fieldType is the Go type of a structure member. Shapes an operation's input reaches keep
// every scalar and structure member a pointer so Validate can tell a missing member from
// an empty one, as AWS does; output-only shapes hold required members by value.
func (g *generator) fieldType(owner string, mm member) string {
	s := g.shape(mm.Ref.Shape)
	ptr := g.inputSide[owner] || !g.shape(owner).isRequired(mm.Name)
	switch {
	case s.Type == "string" && len(s.Enum) > 0:
		return g.typeName[mm.Ref.Shape]
	case s.Type == "structure":
		if ptr {
			return "*" + g.typeName[mm.Ref.Shape]
		}
		return g.typeName[mm.Ref.Shape]
	case s.Type == "list", s.Type == "map", s.Type == "blob":
		return g.elemType(mm.Ref.Shape)
	}
	if ptr {
		return "*" + g.scalarGo(s)
	}
	return g.scalarGo(s)
}

// queryName is a member's input parameter name. Query: locationName or the member name.
// EC2: queryName, else locationName with its first letter upper-cased, else the member
// name (botocore's EC2 serializer).
func (g *generator) queryName(mm member) string {
	if g.m.Metadata.Protocol == "ec2" {
		switch {
		case mm.Ref.QueryName != "":
			return mm.Ref.QueryName
		case mm.Ref.LocationName != "":
			return upperFirst(mm.Ref.LocationName)
		}
		return mm.Name
	}
	if mm.Ref.LocationName != "" {
		return mm.Ref.LocationName
	}
	return mm.Name
}

// qTag is the q struct tag: the parameter name and, for lists and maps, the segment
// between the name and the 1-based index (Query: "Tags.member"; EC2 and flattened: "Tags").
func (g *generator) qTag(mm member) string {
	name := g.queryName(mm)
	s := g.shape(mm.Ref.Shape)
	ec2 := g.m.Metadata.Protocol == "ec2"
	switch s.Type {
	case "list":
		if ec2 {
			return name
		}
		if s.Flattened || mm.Ref.Flattened {
			if s.Member.LocationName != "" {
				return s.Member.LocationName
			}
			return name
		}
		seg := "member"
		if s.Member.LocationName != "" {
			seg = s.Member.LocationName
		}
		return name + "." + seg
	case "map":
		key, val := "key", "value"
		if s.Key.LocationName != "" {
			key = s.Key.LocationName
		}
		if s.Value.LocationName != "" {
			val = s.Value.LocationName
		}
		p := name + ".entry"
		if s.Flattened || ec2 {
			p = name
		}
		return p + ",key=" + key + ",value=" + val
	}
	return name
}

// xTag is the x struct tag: the output element name and options — member=NAME for a
// list's element, flat for a flattened list, key=/value= for a map, req for a required
// list that is written even when empty.
func (g *generator) xTag(owner string, mm member) string {
	name := mm.Name
	if mm.Ref.LocationName != "" {
		name = mm.Ref.LocationName
	}
	s := g.shape(mm.Ref.Shape)
	opts := []string{name}
	switch s.Type {
	case "list":
		if s.Flattened || mm.Ref.Flattened {
			opts = append(opts, "flat")
		} else {
			seg := "member"
			if s.Member.LocationName != "" {
				seg = s.Member.LocationName
			}
			opts = append(opts, "member="+seg)
		}
	case "map":
		key, val := "key", "value"
		if s.Key.LocationName != "" {
			key = s.Key.LocationName
		}
		if s.Value.LocationName != "" {
			val = s.Value.LocationName
		}
		if s.Flattened {
			opts = append(opts, "flat")
		}
		opts = append(opts, "key="+key, "value="+val)
	}
	if (s.Type == "list" || s.Type == "map") && g.shape(owner).isRequired(mm.Name) {
		opts = append(opts, "req")
	}
	if omitWhenEmpty[owner+"."+mm.Name] {
		opts = append(opts, "omitempty")
	}
	return strings.Join(opts, ",")
}

// omitWhenEmpty are members the model requires that AWS nevertheless leaves out of a
// response when they have no value. GetUser called by the root user answers a User with no
// UserName and no Path: only UserId (the account ID), Arn (…:root), CreateDate and
// PasswordLastUsed (clients such as aws-vault fall back on the ARN when UserName is missing).
var omitWhenEmpty = map[string]bool{
	"User.UserName": true,
	"User.Path":     true,
}

func (g *generator) docFile() string {
	var b strings.Builder
	b.WriteString(header)
	md := g.m.Metadata
	fmt.Fprintf(&b, `// Package %s holds the %s API (%s, protocol %q) as Go types, generated from AWS's
// API model: for every operation an XxxInput and XxxOutput struct, Validate methods that
// enforce the model's constraints with AWS's messages, enum types, error constructors and
// the Operations table the edge dispatches on.
//
// Conventions: Go field names are the model's member names. In shapes an operation's input
// reaches, scalar and structure members are pointers (nil = absent); in output-only shapes
// required members are values and optional ones pointers. Enums are typed strings ("" =
// absent), lists are slices, maps are maps. Struct tags carry the wire names for
// gatehouse/internal/awsproto: q (input parameter), x (output element).
package %s
`, g.svc.Package, md.ServiceID, md.APIVersion, md.Protocol, g.svc.Package)
	return b.String()
}

func (g *generator) typesFile() string {
	var body strings.Builder
	// Structures.
	for _, name := range sortedKeys(g.all()) {
		s := g.shape(name)
		if s.Type != "structure" {
			continue
		}
		tn := g.typeName[name]
		if doc := g.structDoc(name, s); doc != "" {
			fmt.Fprintf(&body, "// %s %s\n", tn, doc)
		}
		fmt.Fprintf(&body, "type %s struct {\n", tn)
		for _, mm := range s.Members {
			doc := mm.Ref.Documentation
			if doc == "" {
				doc = g.shape(mm.Ref.Shape).Documentation
			}
			if sent := firstSentence(doc); sent != "" {
				fmt.Fprintf(&body, "\t// %s\n", sent)
			}
			tag := fmt.Sprintf(`x:"%s"`, g.xTag(name, mm))
			if g.inputSide[name] {
				tag = fmt.Sprintf(`q:"%s" %s`, g.qTag(mm), tag)
			}
			fmt.Fprintf(&body, "\t%s %s `%s`\n", goIdent(mm.Name), g.fieldType(name, mm), tag)
		}
		body.WriteString("}\n\n")
	}
	// Operations without input or output shapes.
	for _, o := range g.ops {
		if g.opInput[o] == "" {
			fmt.Fprintf(&body, "// %sInput is %s's input: the operation takes no parameters.\ntype %sInput struct{}\n\n", o, o, o)
		}
		if g.opOutput[o] == "" {
			fmt.Fprintf(&body, "// %sOutput is %s's output: the response carries only its metadata.\ntype %sOutput struct{}\n\n", o, o, o)
		}
	}
	for _, a := range g.aliases {
		fmt.Fprintf(&body, "// %s is the %s shape, shared with other operations.\ntype %s = %s\n\n", a.Name, a.Target, a.Name, a.Target)
	}
	// Enums.
	for _, name := range sortedKeys(g.all()) {
		s := g.shape(name)
		if s.Type != "string" || len(s.Enum) == 0 {
			continue
		}
		tn := g.typeName[name]
		if sent := firstSentence(s.Documentation); sent != "" {
			fmt.Fprintf(&body, "// %s: %s\n", tn, sent)
		} else {
			fmt.Fprintf(&body, "// %s is the model's %s enum.\n", tn, name)
		}
		fmt.Fprintf(&body, "type %s string\n\nconst (\n", tn)
		used := map[string]bool{}
		for _, v := range s.Enum {
			c := tn + goIdent(v)
			for i := 2; used[c]; i++ {
				c = tn + goIdent(v) + strconv.Itoa(i)
			}
			used[c] = true
			fmt.Fprintf(&body, "\t%s %s = %q\n", c, tn, v)
		}
		body.WriteString(")\n\n")
		fmt.Fprintf(&body, "func (e %s) String() string { return string(e) }\n\n", tn)
		fmt.Fprintf(&body, "// Values returns %s's values in the model's order.\nfunc (%s) Values() []%s {\n\treturn []%s{", tn, tn, tn, tn)
		for i, v := range s.Enum {
			if i > 0 {
				body.WriteString(", ")
			}
			fmt.Fprintf(&body, "%q", v)
		}
		body.WriteString("}\n}\n\n")
	}
	var b strings.Builder
	b.WriteString(header)
	fmt.Fprintf(&b, "package %s\n\n", g.svc.Package)
	if g.usesTime {
		b.WriteString("import \"time\"\n\n")
	}
	b.WriteString(body.String())
	return b.String()
}

func (g *generator) structDoc(name string, s *shape) string {
	for _, o := range g.ops {
		op := g.m.Operations[o]
		if g.typeName[name] == o+"Input" {
			return "is " + o + "'s input. " + firstSentence(op.Documentation)
		}
		if g.typeName[name] == o+"Output" {
			return "is " + o + "'s output. " + firstSentence(s.Documentation)
		}
	}
	if sent := firstSentence(s.Documentation); sent != "" {
		return "is the model's " + name + ": " + sent
	}
	return "is the model's " + name + " structure."
}

func (g *generator) errorsFile() string {
	var b strings.Builder
	b.WriteString(header)
	fmt.Fprintf(&b, "package %s\n\nimport \"gatehouse/internal/awserr\"\n\n", g.svc.Package)
	type errSpec struct {
		Code, Doc string
		Status    int
		Receiver  bool
	}
	var errs []errSpec
	for name, s := range g.m.Shapes {
		if !s.Exception {
			continue
		}
		e := errSpec{Code: name, Status: 400, Doc: firstSentence(s.Documentation)}
		if s.Error != nil {
			if s.Error.Code != "" {
				e.Code = s.Error.Code
			}
			if s.Error.HTTPStatusCode != 0 {
				e.Status = s.Error.HTTPStatusCode
			}
			e.Receiver = !s.Error.SenderFault
		}
		errs = append(errs, e)
	}
	for _, x := range g.svc.ExtraErrors {
		errs = append(errs, errSpec{Code: x.Code, Status: x.Status, Doc: "Returned when " + x.Doc + "."})
	}
	sort.Slice(errs, func(i, j int) bool { return errs[i].Code < errs[j].Code })
	b.WriteString("// Error codes of the service, for errors.Is(err, awserr.Code(CodeX)).\nconst (\n")
	for _, e := range errs {
		fmt.Fprintf(&b, "\tCode%s = %q\n", goIdent(e.Code), e.Code)
	}
	b.WriteString(")\n\n")
	for _, e := range errs {
		fn := goIdent(e.Code)
		if e.Doc != "" {
			fmt.Fprintf(&b, "// %s returns the %s error (HTTP %d): %s\n", fn, e.Code, e.Status, e.Doc)
		}
		fmt.Fprintf(&b, "func %s(format string, args ...any) *awserr.Error {\n", fn)
		fmt.Fprintf(&b, "\te := awserr.New(%d, %q, format, args...)\n", e.Status, e.Code)
		if e.Receiver {
			b.WriteString("\te.Receiver = true\n")
		}
		b.WriteString("\treturn e\n}\n\n")
	}
	return b.String()
}

func (g *generator) operationsFile() string {
	var b strings.Builder
	b.WriteString(header)
	fmt.Fprintf(&b, "package %s\n\nimport \"gatehouse/internal/awsproto/model\"\n\n", g.svc.Package)
	md := g.m.Metadata
	ns := md.XMLNamespace
	if md.Protocol == "ec2" && !strings.HasSuffix(ns, "/") {
		// The model omits the trailing slash EC2's responses carry
		// (xmlns="http://ec2.amazonaws.com/doc/2016-11-15/").
		ns += "/"
	}
	fmt.Fprintf(&b, "// Service is the %s API's wire metadata.\nvar Service = model.Service{Name: %q, APIVersion: %q, Protocol: %q, XMLNamespace: %q}\n\n",
		md.ServiceID, md.EndpointPrefix, md.APIVersion, md.Protocol, ns)
	fmt.Fprintf(&b, "// Operations is the %s operation table, keyed by the Action parameter.\nvar Operations = map[string]model.Operation{\n", md.ServiceID)
	for _, o := range g.ops {
		op := g.m.Operations[o]
		fmt.Fprintf(&b, "\t%q: {\n\t\tName: %q,\n", o, o)
		fmt.Fprintf(&b, "\t\tNewInput: func() model.Input { return new(%sInput) },\n", o)
		fmt.Fprintf(&b, "\t\tNewOutput: func() any { return new(%sOutput) },\n", o)
		if op.Output != nil && op.Output.ResultWrapper != "" {
			fmt.Fprintf(&b, "\t\tResultWrapper: %q,\n", op.Output.ResultWrapper)
		}
		if op.Output == nil {
			b.WriteString("\t\tEmptyOutput: true,\n")
		}
		if p, ok := g.pages.Pagination[o]; ok {
			in, _ := p.InputToken.(string)
			out, _ := p.OutputToken.(string)
			var keys []string
			switch k := p.ResultKey.(type) {
			case string:
				keys = []string{k}
			case []any:
				for _, x := range k {
					if s, ok := x.(string); ok {
						keys = append(keys, s)
					}
				}
			}
			if in != "" && out != "" {
				fmt.Fprintf(&b, "\t\tPaginator: &model.Paginator{InputToken: %q, OutputToken: %q, LimitKey: %q, MoreResults: %q, ResultKeys: %#v},\n",
					in, out, p.LimitKey, p.MoreResults, keys)
			}
		}
		b.WriteString("\t},\n")
	}
	b.WriteString("}\n")
	return b.String()
}
