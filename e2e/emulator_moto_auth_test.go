package e2e

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestEmulatorMotoAuthSuite runs testdata/emulator/moto_auth_style_test.py — enforcement tests
// in the shape of moto's tests/test_core/test_auth.py — against plain `serve --mode emulator`
// (strict), in moto's server mode: each test's @set_initial_no_auth_action_count(N) lets its N
// setup requests through unauthenticated (no signature checked, as moto checks none, even for
// a key Gatehouse issued) and authenticates and authorizes everything after, with AWS's
// answers where moto's differ (EC2's UnauthorizedOperation, a missing role not assumable).
func TestEmulatorMotoAuthSuite(t *testing.T) {
	if _, err := exec.LookPath("python3"); err != nil {
		t.Fatalf("python3 with boto3 and moto is needed: %v", err)
	}
	inst := startServer(t, "", "--mode", "emulator")
	cmd := exec.Command("python3", filepath.Join("testdata", "emulator", "moto_auth_style_test.py"))
	cmd.Env = motoEnv(inst)
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), " passed, 0 failed") {
		t.Fatalf("moto auth-style suite: %v\n%s", err, out)
	}
	t.Logf("%s", lastLine(string(out)))
}
