package e2e

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestTutorialCLI walks the tutorial's IAM steps with the AWS CLI, as root and then as the
// new user with its own keys (e2e/testdata/tutorial.sh): what alice's policies allow
// succeeds, everything else is AccessDenied.
func TestTutorialCLI(t *testing.T) {
	_, err := exec.LookPath("aws")
	if err != nil {
		t.Fatalf("the AWS CLI is needed (make deps installs it): %v", err)
	}
	inst := startServer(t, "")
	env := gatehouseEnv(t, inst)
	cmd := exec.Command("bash", "testdata/tutorial.sh")
	cmd.Env = append(append(cleanAWSEnv(), env...), "GATEHOUSE="+binary, "GATEHOUSE_DATA="+inst.DataDir)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("tutorial.sh: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "tutorial: ok") {
		t.Fatalf("tutorial.sh did not finish:\n%s", out)
	}
}

// gatehouseEnv runs `gatehouse env` for the instance and returns its lines as KEY=VALUE.
func gatehouseEnv(t *testing.T, inst *instance) []string {
	t.Helper()
	out, err := exec.Command(binary, "env", "--data", inst.DataDir).Output()
	if err != nil {
		t.Fatalf("gatehouse env: %v", err)
	}
	var env []string
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		kv, ok := strings.CutPrefix(line, "export ")
		if !ok {
			t.Fatalf("gatehouse env printed %q, want export lines", line)
		}
		env = append(env, kv)
	}
	want := "AWS_ENDPOINT_URL=" + inst.Endpoint
	if env[0] != want {
		t.Fatalf("gatehouse env: got %q, want %q first", env[0], want)
	}
	return env
}

// cleanAWSEnv is the environment without any AWS_ setting of the machine's, so a test's
// clients see only the test's configuration.
func cleanAWSEnv() []string {
	var out []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") {
			out = append(out, kv)
		}
	}
	return append(out, "AWS_CONFIG_FILE=/dev/null", "AWS_EC2_METADATA_DISABLED=true", "AWS_PAGER=")
}
