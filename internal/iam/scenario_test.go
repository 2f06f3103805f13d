package iam

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A scenario is a sequence of IAM calls on a fresh account, each with what must come back:
// an AWS error (code and message) or an output that contains the given fields. Scenarios
// live in testdata/scenarios/*.json, a note each.
type scenario struct {
	Note  string `json:"note"`
	Steps []step `json:"steps"`
}

type step struct {
	Op  string          `json:"op"`
	In  json.RawMessage `json:"in"`
	As  string          `json:"as"`  // the caller's ARN; root when empty
	Err string          `json:"err"` // the AWS error code expected
	Msg string          `json:"msg"` // and its message
	Out json.RawMessage `json:"out"` // fields the output must have
	// Save names values of the output ("AccessKey.AccessKeyId") that later steps use as
	// ${name}.
	Save map[string]string `json:"save"`
}

func TestScenarios(t *testing.T) {
	files, err := filepath.Glob("testdata/scenarios/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no scenarios: %v", err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		b = []byte(strings.ReplaceAll(string(b), "${acct}", testAccount))
		var cases []scenario
		if err := json.Unmarshal(b, &cases); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, c := range cases {
			t.Run(strings.TrimSuffix(filepath.Base(f), ".json")+"/"+c.Note, func(t *testing.T) {
				t.Parallel()
				env := newEnv(t)
				vars := map[string]string{}
				for i, s := range c.Steps {
					a := root()
					if s.As != "" {
						a.Caller = s.As
					}
					in, want, msg := string(s.In), string(s.Out), s.Msg
					for k, v := range vars {
						r := strings.NewReplacer("${"+k+"}", v)
						in, want, msg = r.Replace(in), r.Replace(want), r.Replace(msg)
					}
					out, err := env.call(a, s.Op, in)
					switch {
					case s.Err != "":
						if err == nil {
							t.Fatalf("step %d %s: got success, want %s", i, s.Op, s.Err)
						}
						wantErr(t, err, s.Err, msg)
					case err != nil:
						t.Fatalf("step %d %s %s: %v", i, s.Op, s.In, err)
					case len(s.Out) > 0:
						if err := subset(out, want); err != nil {
							t.Fatalf("step %d %s: %v", i, s.Op, err)
						}
					}
					for name, path := range s.Save {
						vars[name] = pick(t, out, path)
					}
				}
			})
		}
	}
}

// pick returns the string at a dotted path of a value's JSON form.
func pick(t *testing.T, v any, path string) string {
	t.Helper()
	b, _ := json.Marshal(v)
	var cur any
	_ = json.Unmarshal(b, &cur)
	for _, p := range strings.Split(path, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			t.Fatalf("save %s: no %s", path, p)
		}
		cur = m[p]
	}
	s, ok := cur.(string)
	if !ok {
		t.Fatalf("save %s: got %v, want a string", path, cur)
	}
	return s
}
