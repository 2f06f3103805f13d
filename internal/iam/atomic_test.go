package iam

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"testing"

	"gatehouse/internal/kv"
)

var errInjected = errors.New("injected write failure")

// failingStore fails the write numbered failAt (0-based) of every Update, so an operation
// can be cut off after any number of its writes.
type failingStore struct {
	kv.Store
	failAt int
}

func (f *failingStore) Update(ctx context.Context, fn func(kv.Tx) error) error {
	writes := 0
	return f.Store.Update(ctx, func(tx kv.Tx) error {
		writes = 0
		return fn(&failingTx{Tx: tx, writes: &writes, failAt: f.failAt})
	})
}

type failingTx struct {
	kv.Tx
	writes *int
	failAt int
}

func (t *failingTx) write() error {
	if *t.writes == t.failAt {
		return errInjected
	}
	*t.writes++
	return nil
}

func (t *failingTx) Put(k string, v []byte) error {
	if err := t.write(); err != nil {
		return err
	}
	return t.Tx.Put(k, v)
}

func (t *failingTx) Delete(k string) error {
	if err := t.write(); err != nil {
		return err
	}
	return t.Tx.Delete(k)
}

// TestMutationsAreAtomic cuts each operation off after every possible number of writes and
// checks that the store is exactly as before; then lets it finish.
func TestMutationsAreAtomic(t *testing.T) {
	cases := []struct {
		note  string
		setup []string // op and input, alternating
		op    string
		in    string
	}{
		{"rename a user holding keys, groups, policies and a boundary", []string{
			"CreatePolicy", fmt.Sprintf(`{"PolicyName":"p","PolicyDocument":%q}`, s3Doc),
			"CreateUser", `{"UserName":"bob","PermissionsBoundary":"arn:aws:iam::123456789012:policy/p"}`,
			"CreateGroup", `{"GroupName":"devs"}`,
			"AddUserToGroup", `{"GroupName":"devs","UserName":"bob"}`,
			"PutUserPolicy", fmt.Sprintf(`{"UserName":"bob","PolicyName":"i","PolicyDocument":%q}`, s3Doc),
			"AttachUserPolicy", `{"UserName":"bob","PolicyArn":"arn:aws:iam::aws:policy/AmazonS3FullAccess"}`,
			"CreateAccessKey", `{"UserName":"bob"}`,
		}, "UpdateUser", `{"UserName":"bob","NewUserName":"robert","NewPath":"/x/"}`},
		{"create a user with a boundary and tags", nil,
			"CreateUser", `{"UserName":"bob","PermissionsBoundary":"arn:aws:iam::aws:policy/AmazonS3FullAccess","Tags":[{"Key":"a","Value":"b"}]}`},
		{"rename a group with members and attachments", []string{
			"CreateGroup", `{"GroupName":"devs"}`,
			"CreateUser", `{"UserName":"bob"}`,
			"AddUserToGroup", `{"GroupName":"devs","UserName":"bob"}`,
			"AttachGroupPolicy", `{"GroupName":"devs","PolicyArn":"arn:aws:iam::aws:policy/AmazonEC2FullAccess"}`,
		}, "UpdateGroup", `{"GroupName":"devs","NewGroupName":"eng"}`},
		{"attach a policy", []string{"CreateRole", fmt.Sprintf(`{"RoleName":"r","AssumeRolePolicyDocument":%q}`, trustDoc)},
			"AttachRolePolicy", `{"RoleName":"r","PolicyArn":"arn:aws:iam::aws:policy/AmazonS3FullAccess"}`},
		{"a new default policy version", []string{"CreatePolicy", fmt.Sprintf(`{"PolicyName":"p","PolicyDocument":%q}`, s3Doc)},
			"CreatePolicyVersion", fmt.Sprintf(`{"PolicyArn":"arn:aws:iam::123456789012:policy/p","PolicyDocument":%q,"SetAsDefault":true}`, s3Doc)},
		{"create an access key", []string{"CreateUser", `{"UserName":"bob"}`}, "CreateAccessKey", `{"UserName":"bob"}`},
		{"delete a user", []string{"CreateUser", `{"UserName":"bob","Tags":[{"Key":"a","Value":"b"}]}`}, "DeleteUser", `{"UserName":"bob"}`},
	}
	for _, c := range cases {
		t.Run(c.note, func(t *testing.T) {
			env := newEnv(t)
			for i := 0; i < len(c.setup); i += 2 {
				env.must(c.setup[i], c.setup[i+1])
			}
			fs := &failingStore{Store: env.store}
			cut := newEnvOver(t, fs)
			for fs.failAt = 0; ; fs.failAt++ {
				before := snapshot(t, env.store)
				_, err := cut.call(root(), c.op, c.in)
				after := snapshot(t, env.store)
				if err == nil {
					if maps.Equal(before, after) {
						t.Fatal("the operation succeeded and changed nothing")
					}
					break
				}
				if !errors.Is(err, errInjected) {
					t.Fatalf("cut after %d writes: got %v, want the injected failure", fs.failAt, err)
				}
				if !maps.Equal(before, after) {
					t.Fatalf("cut after %d writes: the store changed", fs.failAt)
				}
				if fs.failAt > 200 {
					t.Fatal("operation never completed")
				}
			}
			if fs.failAt < 2 {
				t.Fatalf("operation made %d writes; the test cut nothing meaningful", fs.failAt)
			}
		})
	}
}
