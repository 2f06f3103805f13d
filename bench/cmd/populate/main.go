// Command populate fills a Gatehouse data directory with many users and customer managed
// policies through the IAM domain itself (the same code path as the API, without HTTP), to
// measure cold start: `gatehouse serve` must be serving within 2 s of start with 100,000
// users and 10,000 policies in the store (issue 3).
//
//	populate -data /tmp/big -users 100000 -policies 10000
//	time (gatehouse serve --data /tmp/big & until curl -sf localhost:7474/_gatehouse/health; do :; done)
package main

import (
	"context"
	"crypto/rand"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"gatehouse/internal/awsproto/iamapi"
	"gatehouse/internal/iam"
	"gatehouse/internal/seal"
	"gatehouse/internal/store"
)

func main() {
	data := flag.String("data", "./gatehouse-data", "data directory (created if needed)")
	users := flag.Int("users", 100000, "users to create")
	policies := flag.Int("policies", 10000, "customer managed policies to create")
	workers := flag.Int("workers", 64, "concurrent writers (SQLite commits them in groups)")
	flag.Parse()
	ctx := context.Background()
	if err := os.MkdirAll(*data, 0o700); err != nil {
		fail(err)
	}
	master, err := seal.LoadOrCreateMasterKey(filepath.Join(*data, "master.key"))
	if err != nil {
		fail(err)
	}
	sealer, err := seal.New(master, rand.Reader)
	if err != nil {
		fail(err)
	}
	st, err := store.OpenSQLite(ctx, filepath.Join(*data, "gatehouse.db"), store.Options{})
	if err != nil {
		fail(err)
	}
	defer st.Close()
	svc, err := iam.New(iam.Options{Store: st, Sealer: sealer})
	if err != nil {
		fail(err)
	}
	b, err := svc.Bootstrap(ctx, "")
	if err != nil {
		fail(err)
	}
	if b.Created {
		// The same file serve writes, so the populated directory is usable with the CLI.
		body := fmt.Sprintf("[gatehouse]\naws_access_key_id = %s\naws_secret_access_key = %s\n", b.RootKeyID, b.RootKeySecret)
		if err := os.WriteFile(filepath.Join(*data, "credentials"), []byte(body), 0o600); err != nil {
			fail(err)
		}
	}
	// IAM's default quotas are 5,000 users and 1,500 customer managed policies per account
	// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html), so the
	// population spreads over as many accounts as it needs, as a real installation would.
	const usersPerAccount, policiesPerAccount = 5000, 1500
	naccts := max((*users+usersPerAccount-1)/usersPerAccount, (*policies+policiesPerAccount-1)/policiesPerAccount, 1)
	accts := []iam.Account{{ID: b.Account, Partition: "aws", Caller: "arn:aws:iam::" + b.Account + ":root"}}
	for i := 1; i < naccts; i++ {
		id := fmt.Sprintf("5%011d", i)
		if _, err := svc.Bootstrap(ctx, id); err != nil {
			fail(err)
		}
		accts = append(accts, iam.Account{ID: id, Partition: "aws", Caller: "arn:aws:iam::" + id + ":root"})
	}
	start := time.Now()
	parallel(*workers, *policies, func(i int) error {
		doc := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Sid":"S%d","Effect":"Allow","Action":["s3:GetObject","s3:PutObject"],"Resource":"arn:aws:s3:::bucket-%d/*"}]}`, i, i)
		_, err := svc.CreatePolicy(ctx, accts[i/policiesPerAccount], &iamapi.CreatePolicyInput{PolicyName: ptr(fmt.Sprintf("policy-%06d", i)), PolicyDocument: &doc})
		return err
	})
	fmt.Printf("%d policies in %s\n", *policies, time.Since(start).Round(time.Millisecond))
	start = time.Now()
	parallel(*workers, *users, func(i int) error {
		_, err := svc.CreateUser(ctx, accts[i/usersPerAccount], &iamapi.CreateUserInput{UserName: ptr(fmt.Sprintf("user-%07d", i))})
		return err
	})
	fmt.Printf("%d users in %s, over %d accounts\n", *users, time.Since(start).Round(time.Millisecond), len(accts))
}

func parallel(workers, n int, f func(i int) error) {
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				if err := f(i); err != nil {
					fail(err)
				}
			}
		}()
	}
	wg.Wait()
}

func ptr[T any](v T) *T { return &v }

func fail(err error) {
	fmt.Fprintln(os.Stderr, "populate:", err)
	os.Exit(1)
}
