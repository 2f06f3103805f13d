package e2e

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"net/http"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	_ "github.com/mattn/go-sqlite3"
)

// TestCrashLosesNoAcknowledgedWrite kills gatehouse with SIGKILL in the middle of a write
// load, restarts it on the same data directory, and checks that every acknowledged write is
// there, that no change is half-applied (both directions of a group membership agree) and
// that SQLite's integrity check passes (issue 3, "A crash test in the suite").
func TestCrashLosesNoAcknowledgedWrite(t *testing.T) {
	dir := t.TempDir()
	for round := 0; round < 2; round++ {
		inst := startServer(t, dir)
		ctx := context.Background()
		id, secret := rootCreds(t, inst)
		// A transport per server process: the restarted server may get the killed one's
		// port, and pooled connections to a dead process must not be reused.
		tr := &http.Transport{}
		c := newIAMClient(inst.Endpoint, id, secret, tr)
		group := fmt.Sprintf("crash-%d", round)
		if _, err := c.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String(group)}); err != nil {
			t.Fatal(err)
		}
		var mu sync.Mutex
		acked := map[string]bool{} // user → also acknowledged as a member of group
		stop := make(chan struct{})
		var wg sync.WaitGroup
		for w := 0; w < 4; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				for i := 0; ; i++ {
					select {
					case <-stop:
						return
					default:
					}
					name := fmt.Sprintf("u%d-%d-%d", round, w, i)
					if _, err := c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name)}); err != nil {
						return // the server is gone
					}
					mu.Lock()
					acked[name] = false
					mu.Unlock()
					if _, err := c.AddUserToGroup(ctx, &iam.AddUserToGroupInput{GroupName: aws.String(group), UserName: aws.String(name)}); err != nil {
						return
					}
					mu.Lock()
					acked[name] = true
					mu.Unlock()
				}
			}(w)
		}
		time.Sleep(time.Duration(300+rand.IntN(700)) * time.Millisecond)
		killInstance(t, inst)
		close(stop)
		wg.Wait()
		if len(acked) == 0 {
			t.Fatal("no write was acknowledged before the kill; the load did not run")
		}

		// Restart and check.
		tr.CloseIdleConnections()
		inst = startServer(t, dir)
		tr2 := &http.Transport{}
		defer tr2.CloseIdleConnections()
		c = newIAMClient(inst.Endpoint, id, secret, tr2)
		users := map[string]bool{}
		p := iam.NewListUsersPaginator(c, &iam.ListUsersInput{})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for _, u := range page.Users {
				users[aws.ToString(u.UserName)] = true
			}
		}
		members := map[string]bool{}
		gp := iam.NewGetGroupPaginator(c, &iam.GetGroupInput{GroupName: aws.String(group)})
		for gp.HasMorePages() {
			page, err := gp.NextPage(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for _, u := range page.Users {
				members[aws.ToString(u.UserName)] = true
			}
		}
		for name, member := range acked {
			if !users[name] {
				t.Errorf("round %d: acknowledged CreateUser %s is lost", round, name)
			}
			if member && !members[name] {
				t.Errorf("round %d: acknowledged AddUserToGroup %s is lost", round, name)
			}
		}
		// Both directions of every membership agree: no half-applied AddUserToGroup.
		for name := range members {
			out, err := c.ListGroupsForUser(ctx, &iam.ListGroupsForUserInput{UserName: aws.String(name)})
			if err != nil {
				t.Fatalf("ListGroupsForUser %s: %v", name, err)
			}
			if len(out.Groups) != 1 || aws.ToString(out.Groups[0].GroupName) != group {
				t.Errorf("round %d: %s is in group %s, but ListGroupsForUser says %v", round, name, group, out.Groups)
			}
		}
		t.Logf("round %d: %d users acknowledged, all present after SIGKILL", round, len(acked))
		stopInstance(t, inst)
	}
	db, err := sql.Open("sqlite3", "file:"+filepath.Join(dir, "gatehouse.db")+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var res string
	if err := db.QueryRow("PRAGMA integrity_check").Scan(&res); err != nil {
		t.Fatal(err)
	}
	if res != "ok" {
		t.Fatalf("PRAGMA integrity_check: got %q, want ok", res)
	}
}
