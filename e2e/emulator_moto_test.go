package e2e

import (
	"bytes"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// motoEnv is moto's server-mode test environment (moto's docs, "Server mode"): @mock_aws
// points boto3 at TEST_SERVER_MODE_ENDPOINT and resets it through /moto-api/reset, and the
// credentials are moto's documented test keys.
func motoEnv(inst *instance) []string {
	return append(cleanAWSEnv(),
		"TEST_SERVER_MODE=true",
		"TEST_SERVER_MODE_ENDPOINT="+inst.Endpoint,
		"AWS_ACCESS_KEY_ID=testing",
		"AWS_SECRET_ACCESS_KEY=testing",
		"AWS_SECURITY_TOKEN=testing",
		"AWS_SESSION_TOKEN=testing",
		"AWS_DEFAULT_REGION=us-east-1",
	)
}

// runMotoStyle runs testdata/emulator/moto_style_test.py (all tests, or those named).
func runMotoStyle(t *testing.T, inst *instance, tests ...string) (string, error) {
	t.Helper()
	if _, err := exec.LookPath("python3"); err != nil {
		t.Fatalf("python3 with boto3 and moto is needed: %v", err)
	}
	cmd := exec.Command("python3", append([]string{filepath.Join("testdata", "emulator", "moto_style_test.py")}, tests...)...)
	cmd.Env = motoEnv(inst)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// TestEmulatorMotoSuite runs IAM and STS tests written for moto's server mode, unchanged,
// against `serve --mode emulator --enforce off`: @mock_aws resets through /moto-api/reset
// between tests (create → reset), and @set_initial_no_auth_action_count opens a window of
// unauthenticated requests through /moto-api/reset-auth after which SigV4 and policies are
// enforced (enforce), as moto's own suite uses them.
func TestEmulatorMotoSuite(t *testing.T) {
	inst := startServer(t, "", "--mode", "emulator", "--enforce", "off")
	out, err := runMotoStyle(t, inst)
	if err != nil || !strings.Contains(out, " passed, 0 failed") {
		t.Fatalf("moto-style suite: %v\n%s", err, out)
	}
	t.Logf("%s", lastLine(out))
}

// The same suite must fail where Gatehouse does not emulate: production mode has no
// /moto-api and refuses moto's test keys. Plain `--mode emulator` (the default level,
// strict) runs it, as moto server's default authenticates nothing.
func TestEmulatorMotoSuiteNeedsEmulation(t *testing.T) {
	prod := startServer(t, "", "--mode", "production")
	if out, err := runMotoStyle(t, prod, "test_test_keys_are_root"); err == nil {
		t.Errorf("the suite passed against production mode:\n%s", out)
	}
	resp, err := http.Post(prod.Endpoint+"/moto-api/reset", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 404 {
		t.Errorf("production POST /moto-api/reset: got %d, want 404", resp.StatusCode)
	}
	emu := startServer(t, "", "--mode", "emulator")
	out, err := runMotoStyle(t, emu, "test_test_keys_are_root", "test_create_user_then_list")
	if err != nil || !strings.Contains(out, " passed, 0 failed") {
		t.Errorf("plain --mode emulator refused moto's suite: %v\n%s", err, out)
	}
}

// moto's control API over HTTP, byte for byte as moto 5.2.1 answers.
func TestEmulatorMotoAPIWire(t *testing.T) {
	inst := startServer(t, "", "--mode", "emulator", "--enforce", "off")
	post := func(path, body string) (int, string) {
		t.Helper()
		resp, err := http.Post(inst.Endpoint+path, "text/plain", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var b bytes.Buffer
		_, _ = b.ReadFrom(resp.Body)
		return resp.StatusCode, b.String()
	}
	for _, s := range []struct{ path, body, want string }{
		{"/moto-api/reset", "", `{"status": "ok"}`},
		{"/moto-api/reset-auth", "4", `{"status": "ok", "PREVIOUS_INITIAL_NO_AUTH_ACTION_COUNT": "inf"}`},
		{"/moto-api/reset-auth", "Infinity", `{"status": "ok", "PREVIOUS_INITIAL_NO_AUTH_ACTION_COUNT": "4.0"}`},
	} {
		if code, got := post(s.path, s.body); code != 200 || got != s.want {
			t.Errorf("POST %s %q: got %d %s, want %s", s.path, s.body, code, got, s.want)
		}
	}
	// What moto's client reads back, the way set_initial_no_auth_action_count does.
	_, got := post("/moto-api/reset-auth", "inf")
	var m map[string]string
	if err := json.Unmarshal([]byte(got), &m); err != nil || m["PREVIOUS_INITIAL_NO_AUTH_ACTION_COUNT"] != "inf" {
		t.Errorf("reset-auth answer: got %s", got)
	}
}

// BenchmarkEmulatorStartup is the time from starting `gatehouse serve --mode emulator` on an
// empty data directory to its first 200 from /_gatehouse/health, polled every millisecond
// (issue 6: ≤ 300 ms). Run with -benchtime=10x.
func BenchmarkEmulatorStartup(b *testing.B) {
	for b.Loop() {
		b.StopTimer()
		dir, err := os.MkdirTemp("", "gatehouse-startup-")
		if err != nil {
			b.Fatal(err)
		}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			b.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		cmd := exec.Command(binary, "serve", "--mode", "emulator", "--enforce", "off", "--data", dir, "--listen", addr, "--console", "127.0.0.1:0")
		b.StartTimer()
		start := time.Now()
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		client := &http.Client{Timeout: time.Second}
		for {
			resp, err := client.Get("http://" + addr + "/_gatehouse/health")
			if err == nil {
				resp.Body.Close()
				if resp.StatusCode == 200 {
					break
				}
			}
			if time.Since(start) > 30*time.Second {
				b.Fatal("not healthy within 30s")
			}
			time.Sleep(time.Millisecond)
		}
		b.StopTimer()
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		os.RemoveAll(dir)
		b.StartTimer()
	}
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	return s[strings.LastIndexByte(s, '\n')+1:]
}
