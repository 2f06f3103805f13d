package condition

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
)

// rawFromJSON turns a Condition element into Raw clauses.
func rawFromJSON(t *testing.T, cond map[string]map[string]any) []Raw {
	t.Helper()
	var out []Raw
	for op, keys := range cond {
		for k, v := range keys {
			r := Raw{Operator: op, Key: k}
			switch v := v.(type) {
			case []any:
				for _, x := range v {
					r.Values = append(r.Values, fmt.Sprint(x))
				}
			default:
				r.Values = []string{fmt.Sprint(v)}
			}
			out = append(out, r)
		}
	}
	return out
}

func contextFromJSON(m map[string]any) *Context {
	c := &Context{}
	for k, v := range m {
		switch v := v.(type) {
		case []any:
			vs := make([]string, len(v))
			for i, x := range v {
				vs[i] = fmt.Sprint(x)
			}
			c.SetMulti(k, vs)
		default:
			c.Set(k, fmt.Sprint(v))
		}
	}
	return c
}

func TestEval(t *testing.T) {
	var cases []struct {
		Note, Source string
		Condition    map[string]map[string]any
		Context      map[string]any
		Want         bool
	}
	data, err := os.ReadFile("testdata/eval.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &cases); err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		b, err := Compile(rawFromJSON(t, c.Condition), true)
		if err != nil {
			t.Errorf("%s: Compile: %v", c.Note, err)
			continue
		}
		if got := b.Eval(contextFromJSON(c.Context)); got != c.Want {
			t.Errorf("%s: %v with %v = %v, want %v", c.Note, c.Condition, c.Context, got, c.Want)
		}
	}
}

func TestCompileErrors(t *testing.T) {
	for _, c := range []struct {
		raw  Raw
		want error
	}{
		{Raw{Operator: "StringEqualz", Key: "k", Values: []string{"v"}}, ErrUnknownOperator},
		{Raw{Operator: "ForAnyValue::StringEquals", Key: "k", Values: []string{"v"}}, ErrUnknownOperator},
		{Raw{Operator: "NullIfExists", Key: "k", Values: []string{"true"}}, ErrUnknownOperator},
		{Raw{Operator: "DateGreaterThan", Key: "k", Values: []string{"sdfdsf"}}, ErrBadValue},
		{Raw{Operator: "NumericEquals", Key: "k", Values: []string{"ten"}}, ErrBadValue},
		{Raw{Operator: "IpAddress", Key: "k", Values: []string{"10.0.0.0/33"}}, ErrBadValue},
		{Raw{Operator: "Null", Key: "k", Values: []string{"maybe"}}, ErrBadValue},
	} {
		if _, err := Compile([]Raw{c.raw}, true); !errors.Is(err, c.want) {
			t.Errorf("Compile(%+v) error = %v, want %v", c.raw, err, c.want)
		}
	}
}

func TestEvalAllocs(t *testing.T) {
	b, err := Compile([]Raw{
		{Operator: "StringLike", Key: "s3:prefix", Values: []string{"${aws:username}/*"}},
		{Operator: "IpAddress", Key: "aws:SourceIp", Values: []string{"10.0.0.0/8"}},
		{Operator: "ForAllValues:StringEquals", Key: "aws:TagKeys", Values: []string{"a", "b"}},
	}, true)
	if err != nil {
		t.Fatal(err)
	}
	ctx := &Context{}
	ctx.Set("s3:prefix", "bob/x")
	ctx.Set("aws:username", "bob")
	ctx.Set("aws:SourceIp", "10.1.2.3")
	ctx.SetMulti("aws:TagKeys", []string{"a"})
	if !b.Eval(ctx) {
		t.Fatal("Eval = false, want true")
	}
	if n := testing.AllocsPerRun(100, func() { b.Eval(ctx) }); n != 0 {
		t.Errorf("Eval allocates %v times, want 0", n)
	}
}

// TestContextOver: a context over a base finds the base's keys, hides those it sets
// itself, and lists, clones, deletes and resets as a flat context would.
func TestContextOver(t *testing.T) {
	base := &Context{}
	base.Set("aws:PrincipalArn", "arn:aws:iam::111122223333:user/alice")
	base.Set("aws:PrincipalTag/team", "blue")
	c := Over(base)
	c.Set("aws:SourceIp", "10.0.0.1")
	c.Set("aws:PrincipalTag/Team", "red") // hides the base's, whatever the case
	c.SetDefault("aws:PrincipalArn", "ignored")
	check := func(ctx *Context, key, want string) {
		t.Helper()
		got, ok := ctx.Values(key)
		if want == "" {
			if ok {
				t.Fatalf("%s = %v, want absent", key, got)
			}
			return
		}
		if !ok || len(got) != 1 || got[0] != want {
			t.Fatalf("%s = %v (%v), want %q", key, got, ok, want)
		}
	}
	check(c, "aws:principalarn", "arn:aws:iam::111122223333:user/alice")
	check(c, "aws:PrincipalTag/team", "red")
	check(c, "aws:SourceIp", "10.0.0.1")
	check(base, "aws:PrincipalTag/team", "blue")
	check(base, "aws:SourceIp", "")
	if v, ok := c.Var("aws:principaltag/team"); !ok || v != "red" {
		t.Fatalf("Var = %q, %v", v, ok)
	}
	if v, ok := c.Var("aws:principalarn"); !ok || v != "arn:aws:iam::111122223333:user/alice" {
		t.Fatalf("Var of a base key = %q, %v", v, ok)
	}
	if got, want := strings.Join(c.Keys(), ","), "aws:sourceip,aws:principaltag/team,aws:principalarn"; got != want {
		t.Fatalf("Keys = %s, want %s", got, want)
	}
	d := c.Clone()
	d.Set("aws:SourceIp", "10.0.0.2")
	check(c, "aws:SourceIp", "10.0.0.1")
	check(d, "aws:principalarn", "arn:aws:iam::111122223333:user/alice")
	d.Delete("aws:PrincipalArn") // a base key: deleted from d alone
	check(d, "aws:principalarn", "")
	check(c, "aws:principalarn", "arn:aws:iam::111122223333:user/alice")
	check(base, "aws:principalarn", "arn:aws:iam::111122223333:user/alice")
	check(d, "aws:PrincipalTag/team", "red")
	c.Reset()
	if len(c.Keys()) != 0 {
		t.Fatalf("after Reset: %v", c.Keys())
	}
	// A clause finds a key set on the base.
	b, err := Compile([]Raw{{Operator: "StringEquals", Key: "aws:PrincipalTag/team", Values: []string{"blue"}}}, true)
	if err != nil {
		t.Fatal(err)
	}
	if !b.Eval(Over(base)) {
		t.Fatal("a clause on a base key did not hold")
	}
}

// TestKeyNamesBounded: key names are interned only up to maxKeyNames; past that a clause
// still compiles and evaluates, its key used as it is.
func TestKeyNamesBounded(t *testing.T) {
	old := keyNameCount.Load()
	keyNameCount.Store(maxKeyNames)
	defer keyNameCount.Store(old)
	b, err := Compile([]Raw{{Operator: "StringEquals", Key: "aws:RequestTag/never-seen-before-xyzzy", Values: []string{"v"}}}, true)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := keyNames.Load("aws:requesttag/never-seen-before-xyzzy"); ok {
		t.Fatal("a key was interned past the bound")
	}
	ctx := &Context{}
	ctx.Set("aws:RequestTag/never-seen-before-xyzzy", "v")
	if !b.Eval(ctx) {
		t.Fatal("a clause on an uninterned key did not hold")
	}
}
