package e2e

import (
	"bufio"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestEmulatorSoftToStrictCLI is issue 6's loop from the AWS CLI: an application's calls run
// under `--enforce soft` with a user that has no policy (every would-be denial is allowed,
// logged and recorded); `gatehouse policy generate` turns what the user did into a policy
// that `gatehouse policy validate` accepts; under `--enforce strict` the user is refused
// until that policy is attached, then the same calls pass — and nothing more.
func TestEmulatorSoftToStrictCLI(t *testing.T) {
	if _, err := exec.LookPath("aws"); err != nil {
		t.Fatalf("the AWS CLI is needed: %v", err)
	}
	dir := t.TempDir()
	inst := startServer(t, dir, "--mode", "emulator", "--enforce", "soft")
	rootEnv := append(cleanAWSEnv(), gatehouseEnv(t, inst)...)
	mustCLI := func(env []string, args ...string) string {
		t.Helper()
		out, stderr, err := awsCLI(t, env, args...)
		if err != nil {
			t.Fatalf("aws %s: %v\n%s", strings.Join(args, " "), err, stderr)
		}
		return out
	}
	mustCLI(rootEnv, "iam", "create-user", "--user-name", "app")
	key := strings.Fields(mustCLI(rootEnv, "iam", "create-access-key", "--user-name", "app",
		"--query", "AccessKey.[AccessKeyId,SecretAccessKey]", "--output", "text"))
	if len(key) != 2 {
		t.Fatalf("create-access-key: got %q", key)
	}
	appEnv := func(inst *instance) []string {
		return append(cleanAWSEnv(), "AWS_ENDPOINT_URL="+inst.Endpoint, "AWS_ACCESS_KEY_ID="+key[0],
			"AWS_SECRET_ACCESS_KEY="+key[1], "AWS_DEFAULT_REGION=us-east-1")
	}
	// The application under test: what it does is what the generated policy must allow.
	app := [][]string{
		{"iam", "list-users"},
		{"iam", "get-user", "--user-name", "app"},
		{"iam", "create-group", "--group-name", "builders"},
		{"iam", "add-user-to-group", "--group-name", "builders", "--user-name", "app"},
		{"iam", "list-groups-for-user", "--user-name", "app"},
		{"iam", "remove-user-from-group", "--group-name", "builders", "--user-name", "app"},
		{"iam", "delete-group", "--group-name", "builders"},
		{"sts", "get-caller-identity"},
	}
	for _, args := range app {
		mustCLI(appEnv(inst), args...)
	}
	principal := "arn:aws:iam::123456789012:user/app"
	denied := decisionsOf(t, inst, url.Values{"denied": {"true"}, "principal": {principal}})
	if len(denied) != 7 { // every IAM call; GetCallerIdentity needs no permission
		t.Errorf("recorded denials: got %d, want 7: %+v", len(denied), denied)
	}
	for _, d := range denied {
		if d["enforced"] != false || d["deniedBy"] != "identity" || d["decision"] != "implicitDeny" {
			t.Errorf("a soft denial: got %v", d)
		}
	}
	if after := decisionsOf(t, inst, url.Values{"since": {jsonNumber(denied[len(denied)-1]["seq"])}, "denied": {"true"}}); len(after) != 0 {
		t.Errorf("denials since the last seq: got %d, want 0", len(after))
	}

	gen := exec.Command(binary, "policy", "generate", "--principal", principal, "--data", dir)
	doc, err := gen.Output()
	if err != nil {
		t.Fatalf("policy generate: %v\n%s", err, stderrOf(err))
	}
	policyFile := filepath.Join(dir, "app-policy.json")
	if err := os.WriteFile(policyFile, doc, 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(binary, "policy", "validate", policyFile).CombinedOutput(); err != nil {
		t.Fatalf("policy validate of the generated policy: %v\n%s\n%s", err, out, doc)
	}
	t.Logf("generated:\n%s", doc)

	stopInstance(t, inst)
	if !strings.Contains(inst.logs.String(), "soft enforcement: would deny") {
		t.Errorf("soft mode logged no would-be denial")
	}
	strict := startServer(t, dir, "--mode", "emulator", "--enforce", "strict")
	rootEnv = append(cleanAWSEnv(), gatehouseEnv(t, strict)...)
	if _, stderr, err := awsCLI(t, appEnv(strict), "iam", "list-users"); err == nil || !strings.Contains(stderr, "AccessDenied") {
		t.Fatalf("strict without the policy: got %v %s, want AccessDenied", err, stderr)
	}
	mustCLI(rootEnv, "iam", "put-user-policy", "--user-name", "app", "--policy-name", "generated",
		"--policy-document", "file://"+policyFile)
	for _, args := range app {
		mustCLI(appEnv(strict), args...)
	}
	// Least privilege: what the application never did stays denied.
	for _, args := range [][]string{{"iam", "list-roles"}, {"iam", "create-user", "--user-name", "intruder"}} {
		if _, stderr, err := awsCLI(t, appEnv(strict), args...); err == nil || !strings.Contains(stderr, "AccessDenied") {
			t.Errorf("aws %s under the generated policy: got %v %s, want AccessDenied", strings.Join(args, " "), err, stderr)
		}
	}
}

func decisionsOf(t *testing.T, inst *instance, q url.Values) []map[string]any {
	t.Helper()
	resp, err := http.Get(inst.Endpoint + "/_gatehouse/decisions?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("decisions: %s", resp.Status)
	}
	var out []map[string]any
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatal(err)
		}
		out = append(out, m)
	}
	return out
}

func jsonNumber(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func stderrOf(err error) string {
	if ee, ok := err.(*exec.ExitError); ok {
		return string(ee.Stderr)
	}
	return ""
}
