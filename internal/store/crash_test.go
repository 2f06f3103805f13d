package store

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"

	"gatehouse/internal/kv"
)

// crashChildEnv makes the test binary a crash-test child: it writes to the database the
// variable names and never returns (see TestMain).
const crashChildEnv = "GATEHOUSE_STORE_CRASH_CHILD"

func TestMain(m *testing.M) {
	if spec := os.Getenv(crashChildEnv); spec != "" {
		crashChild(spec)
		os.Exit(3) // crashChild only returns on error
	}
	os.Exit(m.Run())
}

// crashChild runs a write load until killed. spec is "round:path". Each Update writes three
// keys that belong together (txn/ID/a, /b, /c, all holding ID and a random payload) and
// increments a counter; once Update has returned nil, the ID goes to stdout: acknowledged.
func crashChild(spec string) {
	round, path, _ := strings.Cut(spec, ":")
	s, err := OpenSQLite(context.Background(), path, Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return
	}
	var next atomic.Int64
	var out sync.Mutex
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(w), uint64(len(path))))
			for {
				id := fmt.Sprintf("%s-%06d", round, next.Add(1))
				payload := make([]byte, 100+rng.IntN(3000)) // crosses pages; forces checkpoints
				for i := range payload {
					payload[i] = byte(rng.Uint32())
				}
				err := s.Update(context.Background(), func(tx kv.Tx) error {
					for _, part := range []string{"a", "b", "c"} {
						if err := tx.Put("txn/"+id+"/"+part, append([]byte(id+"|"), payload...)); err != nil {
							return err
						}
					}
					n := 0
					if v, err := tx.Get("count"); err == nil {
						n, _ = strconv.Atoi(string(v))
					} else if err != kv.ErrNotFound {
						return err
					}
					return tx.Put("count", []byte(strconv.Itoa(n+1)))
				})
				if err != nil {
					fmt.Fprintln(os.Stderr, "child: update:", err)
					os.Exit(4)
				}
				out.Lock()
				os.Stdout.WriteString(id + "\n") // one write(2) per line: a line is whole or absent
				out.Unlock()
			}
		})
	}
	wg.Wait()
}

// TestCrashRecovery kills a writing process with SIGKILL at a random point, several times
// over one database, and checks after each crash that every acknowledged Update is there,
// that no Update is half-applied, and that SQLite finds the file intact.
func TestCrashRecovery(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test starts child processes")
	}
	seed := rand.Uint64()
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 0))
	path := filepath.Join(t.TempDir(), "crash.db")
	acked := map[string]bool{}
	for round := range 4 {
		// The kill point is a random number of acknowledgements, not a time: the test
		// does the same work on any machine.
		killAfter := 20 + rng.IntN(400)
		ids := runAndKill(t, fmt.Sprintf("%d:%s", round, path), killAfter)
		if len(ids) < killAfter {
			t.Fatalf("round %d: child acknowledged %d writes before dying, want at least %d", round, len(ids), killAfter)
		}
		for _, id := range ids {
			acked[id] = true
		}
		checkAfterCrash(t, path, acked)
	}
}

// runAndKill starts a child, kills it after it acknowledged killAfter writes, and returns
// every ID it acknowledged before dying.
func runAndKill(t *testing.T, spec string, killAfter int) []string {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), crashChildEnv+"="+spec)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var ids []string
	sc := bufio.NewScanner(stdout)
	killed := false
	for sc.Scan() {
		ids = append(ids, sc.Text())
		if !killed && len(ids) >= killAfter {
			if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			killed = true // keep reading: lines written before the kill are acknowledged too
		}
	}
	err = cmd.Wait()
	if !killed {
		t.Fatalf("child exited by itself (%v): %s", err, stderr.String())
	}
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("child ended with %v, want SIGKILL; stderr: %s", err, stderr.String())
	}
	return ids
}

func checkAfterCrash(t *testing.T, path string, acked map[string]bool) {
	t.Helper()
	s := openSQLite(t, path)
	defer s.Close()
	if err := s.IntegrityCheck(context.Background()); err != nil {
		t.Fatal(err)
	}
	err := s.View(context.Background(), func(tx kv.Tx) error {
		pairs, err := tx.List("txn/", "", 0)
		if err != nil {
			return err
		}
		parts := map[string][]string{}
		for _, p := range pairs {
			rest := strings.TrimPrefix(p.Key, "txn/")
			id, part, _ := strings.Cut(rest, "/")
			if !bytes.HasPrefix(p.Value, []byte(id+"|")) {
				t.Errorf("%s holds another write's value", p.Key)
			}
			parts[id] = append(parts[id], part)
		}
		for id, ps := range parts {
			if strings.Join(ps, ",") != "a,b,c" {
				t.Errorf("write %s is half-applied: has parts %v", id, ps)
			}
		}
		for id := range acked {
			if _, ok := parts[id]; !ok {
				t.Errorf("acknowledged write %s is missing after the crash", id)
			}
		}
		v, err := tx.Get("count")
		if err != nil {
			return err
		}
		if n, _ := strconv.Atoi(string(v)); n != len(parts) {
			t.Errorf("count = %d, but %d writes are present: the counter and the keys disagree", n, len(parts))
		}
		t.Logf("after crash: %d writes present, %d acknowledged", len(parts), len(acked))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
