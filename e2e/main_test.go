// Package e2e runs the built gatehouse binary as a real process and drives it with real
// clients (aws-sdk-go-v2, the AWS CLI, boto3). Nothing here is mocked.
package e2e

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// binary is the gatehouse executable built once by TestMain.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "gatehouse-e2e-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "gatehouse")
	args := []string{"build", "-o", binary}
	if raceEnabled {
		args = append(args, "-race")
	}
	build := exec.Command("go", append(args, "gatehouse/cmd/gatehouse")...)
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building gatehouse:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// freeAddr returns a 127.0.0.1 address with a port that was free a moment ago.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// logBuffer collects a process's stdout and stderr, written from two goroutines.
type logBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) WriteString(s string) (int, error) { return l.Write([]byte(s)) }

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// instance is one running gatehouse serve process.
type instance struct {
	Endpoint string // http://127.0.0.1:PORT
	DataDir  string
	cmd      *exec.Cmd
	logs     *logBuffer // complete once scanned is closed
	scanned  chan struct{}
}

// startServer runs `gatehouse serve` with extra flags and waits until it is healthy.
// The process is stopped with SIGTERM when the test ends.
func startServer(t *testing.T, dataDir string, extra ...string) *instance {
	t.Helper()
	inst := launchServer(t, dataDir, nil, extra...)
	waitHealthy(t, inst)
	return inst
}

// launchServer starts `gatehouse serve` like startServer, with env added to the process's
// environment (e.g. GATEHOUSE_MASTER_KEY), and returns without waiting for it to be
// healthy: several nodes can then start at once (waitHealthy each).
func launchServer(t *testing.T, dataDir string, env []string, extra ...string) *instance {
	t.Helper()
	if dataDir == "" {
		dataDir = t.TempDir()
	}
	addr := freeAddr(t)
	args := append([]string{"serve", "--data", dataDir, "--listen", addr, "--console", freeAddr(t)}, extra...)
	cmd := exec.Command(binary, args...)
	cmd.Env = append(append(os.Environ(), "GATEHOUSE_LOG_LEVEL=debug"), env...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	logs := &logBuffer{}
	cmd.Stdout = logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			logs.WriteString(sc.Text() + "\n")
		}
		close(done)
	}()
	inst := &instance{Endpoint: "http://" + addr, DataDir: dataDir, cmd: cmd, logs: logs, scanned: done}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		waited := make(chan error, 1)
		go func() { <-done; waited <- cmd.Wait() }()
		select {
		case <-waited:
		case <-time.After(15 * time.Second):
			_ = cmd.Process.Kill()
			<-waited
		}
		if t.Failed() {
			t.Logf("gatehouse logs:\n%s", logs.String())
		}
	})
	return inst
}

// waitHealthy waits until inst answers its health check.
func waitHealthy(t *testing.T, inst *instance) {
	t.Helper()
	logs := inst.logs
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for {
		req, _ := http.NewRequestWithContext(ctx, "GET", inst.Endpoint+"/_gatehouse/health", nil)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		if ctx.Err() != nil {
			t.Fatalf("gatehouse did not become healthy: %v\n%s", err, logs.String())
		}
		select {
		case <-inst.scanned: // the process closed its stderr: it exited
			t.Fatalf("gatehouse exited before it became healthy:\n%s", logs.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// stopInstance sends SIGTERM and waits for the process to exit, so its logs and files are
// complete; the cleanup registered by startServer then has nothing left to do.
func stopInstance(t *testing.T, inst *instance) {
	t.Helper()
	_ = inst.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { <-inst.scanned; done <- inst.cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		_ = inst.cmd.Process.Kill()
		<-done
		t.Fatal("gatehouse did not stop within 20s of SIGTERM")
	}
}

// killInstance ends the process with SIGKILL, as a crash would, and waits for it.
func killInstance(t *testing.T, inst *instance) {
	t.Helper()
	_ = inst.cmd.Process.Kill()
	<-inst.scanned
	_ = inst.cmd.Wait()
}
