package policy

import (
	"bufio"
	"encoding/json"
	"errors"
	"os"
	"reflect"
	"testing"

	"gatehouse/internal/policy/wildcard"
)

type parseCase struct {
	Note, Source string
	Kind         string
	Managed      bool
	Document     json.RawMessage
	Error        string
}

func (c parseCase) data() []byte {
	var s string
	if json.Unmarshal(c.Document, &s) == nil {
		return []byte(s)
	}
	return c.Document
}

func readJSONL[T any](t *testing.T, path string) []T {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []T
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for n := 1; sc.Scan(); n++ {
		var v T
		if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
			t.Fatalf("%s:%d: %v", path, n, err)
		}
		out = append(out, v)
	}
	return out
}

func TestParse(t *testing.T) {
	for _, c := range readJSONL[parseCase](t, "testdata/parse.jsonl") {
		kind := Identity
		if c.Kind != "" {
			var ok bool
			if kind, ok = ParseKind(c.Kind); !ok {
				t.Fatalf("%s: unknown kind %q", c.Note, c.Kind)
			}
		}
		d, err := ParseWith(c.data(), Options{Kind: kind, Managed: c.Managed})
		if c.Error == "" {
			if err != nil {
				t.Errorf("%s: Parse: %v (%v)", c.Note, err, detail(err))
				continue
			}
			if _, err := Compile(d); err != nil {
				t.Errorf("%s: Compile: %v", c.Note, err)
			}
			continue
		}
		if err == nil {
			t.Errorf("%s: Parse succeeded, want %q", c.Note, c.Error)
			continue
		}
		var m *MalformedError
		if !errors.As(err, &m) || !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: error %T %v is not a *MalformedError", c.Note, err, err)
			continue
		}
		if m.Message != c.Error {
			t.Errorf("%s: got %q (%s), want %q", c.Note, m.Message, m.Detail, c.Error)
		}
		if a := m.AWSError(); a.Code != "MalformedPolicyDocument" || a.Status != 400 || a.Message != c.Error {
			t.Errorf("%s: AWSError() = %+v", c.Note, a)
		}
		// Whatever IAM rejects on write, a lenient read of a readable document accepts
		// unless the JSON itself is unusable.
		if _, lerr := ParseLenient(c.data()); lerr == nil && m.Message == MsgSyntax && c.Note == "not JSON" {
			t.Errorf("%s: ParseLenient accepted non-JSON", c.Note)
		}
	}
}

func detail(err error) string {
	var m *MalformedError
	if errors.As(err, &m) {
		return m.Detail
	}
	return ""
}

func TestLenientToleratesStoredQuirks(t *testing.T) {
	doc := `{"Statement":{"Effect":"allow","Action":"s3:*","Resource":"*","Principal":"*","Extra":1}}`
	d, err := ParseLenient([]byte(doc))
	if err != nil {
		t.Fatalf("ParseLenient: %v", err)
	}
	if d.Statements[0].Effect != Allow || d.Version != Version2008 {
		t.Errorf("got %+v, want an Allow statement in version 2008-10-17", d)
	}
}

func TestSize(t *testing.T) {
	a := []byte(`{"Version": "2012-10-17",` + "\n\t" + `"Statement": []}`)
	b := []byte(`{"Version":"2012-10-17","Statement":[]}`)
	if Size(a) != Size(b) || Size(b) != len(b) {
		t.Errorf("Size = %d and %d, want both %d", Size(a), Size(b), len(b))
	}
}

func TestCompiledMatch(t *testing.T) {
	p, err := CompileStrict([]byte(`{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":["s3:Get*","s3:List*"],"Resource":"arn:aws:s3:::my_bucket"},
		{"Effect":"Deny","NotAction":"iam:*","NotResource":"arn:aws:s3:::b/*"}]}`), Identity)
	if err != nil {
		t.Fatal(err)
	}
	s0, s1 := &p.Statements[0], &p.Statements[1]
	for _, c := range []struct {
		got, want bool
		what      string
	}{
		{s0.MatchAction("S3:GETOBJECT"), true, "Action s3:Get* vs S3:GETOBJECT"},
		{s0.MatchAction("s3:PutObject"), false, "Action s3:Get* vs s3:PutObject"},
		{s0.MatchResource("arn:aws:s3:::my_bucket/photo.jpg", nil), false, "tutorial bucket ARN vs object"},
		{s1.MatchAction("iam:CreateUser"), false, "NotAction iam:* vs iam:CreateUser"},
		{s1.MatchAction("ec2:RunInstances"), true, "NotAction iam:* vs ec2:RunInstances"},
		{s1.MatchResource("arn:aws:s3:::b/k", nil), false, "NotResource b/* vs b/k"},
		{s1.MatchResource("arn:aws:s3:::c/k", nil), true, "NotResource b/* vs c/k"},
	} {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.what, c.got, c.want)
		}
	}
}

// TestCompiledLayout checks what the packed statement keeps: each statement's own
// patterns, Sid, effect and element flags, and principal ARNs that do not alias the
// document.
func TestCompiledLayout(t *testing.T) {
	doc := []byte(`{"Version":"2012-10-17","Statement":[
		{"Sid":"ReadA","Effect":"Allow","Action":["s3:GetObject","S3:List*"],"Resource":["arn:aws:s3:::a","arn:aws:s3:::a/*"]},
		{"Effect":"Deny","NotAction":"iam:*","NotResource":"arn:aws:s3:::b/*"},
		{"Sid":"Trust","Effect":"Allow","Principal":{"AWS":["arn:aws:iam::111122223333:role/r","222233334444"]},"Action":"sts:AssumeRole"},
		{"Sid":"Nobody","Effect":"Deny","NotPrincipal":{"AWS":"arn:aws:iam::111122223333:user/u"},"Action":"s3:*","Resource":"*"}]}`)
	d, err := ParseLenient(doc)
	if err != nil {
		t.Fatal(err)
	}
	p, err := Compile(d)
	if err != nil {
		t.Fatal(err)
	}
	texts := func(ids []wildcard.ID) (out []string) {
		for _, id := range ids {
			out = append(out, wildcard.At(id).String())
		}
		return out
	}
	for i, want := range []struct {
		sid                                       string
		effect                                    Effect
		actions, resources                        []string
		notAction, notResource, any, notPrincipal bool
	}{
		{"ReadA", Allow, []string{"s3:getobject", "s3:list*"}, []string{"arn:aws:s3:::a", "arn:aws:s3:::a/*"}, false, false, false, false},
		{"", Deny, []string{"iam:*"}, []string{"arn:aws:s3:::b/*"}, true, true, false, false},
		{"Trust", Allow, []string{"sts:assumerole"}, nil, false, false, true, false},
		{"Nobody", Deny, []string{"s3:*"}, []string{"*"}, false, false, false, true},
	} {
		c := &p.Statements[i]
		got := []any{p.Sid(c), c.Effect(), texts(c.Actions()), texts(c.Resources()), c.NotAction(), c.NotResource(), c.AnyResource(), c.NotPrincipal(), int(c.Index)}
		exp := []any{want.sid, want.effect, want.actions, want.resources, want.notAction, want.notResource, want.any, want.notPrincipal, i}
		if !reflect.DeepEqual(got, exp) {
			t.Errorf("statement %d = %v, want %v", i, got, exp)
		}
	}
	ps := p.Statements[2].Principal
	if !reflect.DeepEqual(ps.ARNs, []string{"arn:aws:iam::111122223333:role/r"}) || !reflect.DeepEqual(ps.Accounts, []string{"222233334444"}) {
		t.Errorf("principal = %+v", ps)
	}
	for i := range doc {
		doc[i] = 'x' // nothing compiled may alias the document's bytes
	}
	if p.Sid(&p.Statements[0]) != "ReadA" || ps.ARNs[0] != "arn:aws:iam::111122223333:role/r" || wildcard.At(p.Statements[0].Resources()[1]).String() != "arn:aws:s3:::a/*" {
		t.Error("the compiled policy changed with the document's bytes")
	}
}

func TestCacheShares(t *testing.T) {
	c := NewCache()
	doc := []byte(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"ec2:*","Resource":"*"}}`)
	a, err := c.Lenient(doc)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := c.Lenient(append([]byte(nil), doc...))
	if a != b || c.Len() != 1 {
		t.Errorf("same document compiled twice (%p, %p, len %d)", a, b, c.Len())
	}
}

func FuzzParse(f *testing.F) {
	for _, c := range []string{
		`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::b/${aws:username}/*"}}`,
		`{"Version":"2012-10-17","Statement":[{"Sid":"x","Effect":"Deny","Principal":{"AWS":["123456789012"]},"NotAction":"iam:*","NotResource":"*","Condition":{"ForAnyValue:StringLike":{"aws:TagKeys":["a*",1,true]}}}]}`,
		`{"Statement":{"Effect":"allow","Action":"a:b","Resource":"arn:aws:s3::x"}}`,
		`[]`, `{`, `{"Version":1}`,
	} {
		f.Add([]byte(c), uint8(0))
	}
	f.Fuzz(func(t *testing.T, data []byte, k uint8) {
		kind := Kind(k % 5)
		d, err := Parse(data, kind)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("Parse error %v is not ErrMalformed", err)
			}
		} else if _, err := Compile(d); err != nil {
			t.Fatalf("strictly parsed document fails to compile: %v", err)
		}
		if d, err := ParseLenient(data); err == nil {
			p, err := Compile(d)
			if err == nil {
				for i := range p.Statements {
					p.Statements[i].MatchAction("s3:GetObject")
					p.Statements[i].MatchResource("arn:aws:s3:::b/k", nil)
				}
			}
		}
	})
}
