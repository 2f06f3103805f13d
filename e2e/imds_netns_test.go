package e2e

import (
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"

	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// TestIMDSNetnsCLI: `gatehouse instance exec --netns` runs the AWS CLI in a network
// namespace where 169.254.169.254 is the instance's metadata service, with no metadata
// endpoint configured at all, as on EC2; IMDSv2 is required, so the CLI's token flow goes
// through the forwarder untouched.
func TestIMDSNetnsCLI(t *testing.T) {
	if runtime.GOOS != "linux" || os.Geteuid() != 0 {
		t.Skip("network namespaces need root on Linux")
	}
	if _, err := exec.LookPath("aws"); err != nil {
		t.Fatalf("the AWS CLI is needed: %v", err)
	}
	inst, root := newRootServer(t)
	tutorialRole(t, root)
	acct := accountID(t, root)
	id := launchWithRole(t, inst, ec2types.HttpTokensStateRequired)
	script := `test -z "${AWS_EC2_METADATA_SERVICE_ENDPOINT-}" || { echo "endpoint configured" >&2; exit 9; }
aws sts get-caller-identity --query Arn --output text`
	cmd := exec.Command(binary, "instance", "exec", "--netns", "--data", inst.DataDir, id, "--", "sh", "-c", script)
	cmd.Env = append(append(cleanAWSEnv(), gatehouseEnv(t, inst)...), "HOME="+t.TempDir())
	out, err := cmd.CombinedOutput()
	want := "arn:aws:sts::" + acct + ":assumed-role/role_1/" + id
	if err != nil || strings.TrimSpace(string(out)) != want {
		t.Fatalf("--netns: got %v\n%s\nwant %s", err, out, want)
	}
}
