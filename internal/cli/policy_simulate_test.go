package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const simAllowed = `{"principal":"arn:aws:iam::111122223333:user/alice","action":"s3:ListBucket","resource":"arn:aws:s3:::my_bucket","identityPolicies":[{"Version":"2012-10-17","Statement":[{"Sid":"S3","Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::my_bucket"}]}]}`
const simDenied = `{"principal":"arn:aws:iam::111122223333:user/alice","action":"s3:GetObject","resource":"arn:aws:s3:::my_bucket/photo.jpg","identityPolicies":[{"Version":"2012-10-17","Statement":[{"Sid":"S3","Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::my_bucket"}]}]}`

func runSim(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = Main(context.Background(), append([]string{"policy", "simulate"}, args...), strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

func TestPolicySimulateFile(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "in.json")
	if err := os.WriteFile(f, []byte(simAllowed), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errs := runSim(t, f)
	if code != 0 {
		t.Fatalf("exit %d, stderr %q", code, errs)
	}
	want := `{"decision":"allowed","matchedStatements":[{"policy":"identity[0]","sid":"S3","effect":"Allow"}],"deniedBy":null,"message":null}` + "\n"
	if out != want {
		t.Errorf("got %q, want %q", out, want)
	}
}

func TestPolicySimulateCases(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "cases.jsonl")
	lines := simAllowed + "\n" + `{"principal":"nobody"` + "\n\n" + simDenied + "\n"
	if err := os.WriteFile(f, []byte(lines), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, _ := runSim(t, "--cases", f)
	if code != 1 {
		t.Errorf("exit %d, want 1 (one line fails to parse)", code)
	}
	got := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(got) != 3 {
		t.Fatalf("got %d output lines, want 3: %q", len(got), out)
	}
	var first, second, third map[string]any
	for i, p := range []*map[string]any{&first, &second, &third} {
		if err := json.Unmarshal([]byte(got[i]), p); err != nil {
			t.Fatalf("line %d %q: %v", i+1, got[i], err)
		}
	}
	if first["decision"] != "allowed" {
		t.Errorf("line 1 decision = %v, want allowed", first["decision"])
	}
	if _, ok := second["error"]; !ok {
		t.Errorf("line 2 = %v, want an error object", second)
	}
	if third["decision"] != "implicitDeny" || third["deniedBy"] != "identity" {
		t.Errorf("line 3 = %v, want implicitDeny by identity", third)
	}
}

func TestPolicySimulateCasesAllGood(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "cases.jsonl")
	if err := os.WriteFile(f, []byte(simAllowed+"\n"+simDenied+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, out, errs := runSim(t, "--cases", f); code != 0 || strings.Count(out, "\n") != 2 {
		t.Errorf("exit %d, %d lines, stderr %q; want 0 and 2 lines", code, strings.Count(out, "\n"), errs)
	}
}

func TestPolicySimulateUsage(t *testing.T) {
	if code, _, _ := runSim(t); code != 2 {
		t.Errorf("no arguments: exit %d, want 2", code)
	}
	if code, _, errs := runSim(t, filepath.Join(t.TempDir(), "missing.json")); code != 1 || errs == "" {
		t.Errorf("missing file: exit %d, stderr %q; want 1 and a message", code, errs)
	}
}
