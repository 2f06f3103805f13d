package condition

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
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
