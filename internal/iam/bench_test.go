package iam

import (
	"context"
	"fmt"
	"path/filepath"
	"sync/atomic"
	"testing"

	"gatehouse/internal/awsproto/iamapi"
	"gatehouse/internal/store"
)

// benchEnv is a Service over a durable SQLite store (synchronous=FULL), as in production.
func benchEnv(b *testing.B) *testEnv {
	b.Helper()
	st, err := store.OpenSQLite(context.Background(), filepath.Join(b.TempDir(), "gatehouse.db"), store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	return newEnvOver(b, st)
}

func BenchmarkGetUser(b *testing.B) {
	env := benchEnv(b)
	env.must("CreateUser", `{"UserName":"bob","Tags":[{"Key":"team","Value":"blue"}]}`)
	in := &iamapi.GetUserInput{UserName: ptr("bob")}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := env.svc.GetUser(ctx(), root(), in); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkCreateDeleteUser measures CreateUser+DeleteUser pairs from 16 concurrent callers
// per CPU (as many HTTP clients would be), each a durable transaction with its audit record.
func BenchmarkCreateDeleteUser(b *testing.B) {
	env := benchEnv(b)
	var n atomic.Int64
	b.SetParallelism(16)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			name := fmt.Sprintf("u%d", n.Add(1))
			if _, err := env.svc.CreateUser(ctx(), root(), &iamapi.CreateUserInput{UserName: &name}); err != nil {
				b.Error(err)
				return
			}
			if _, err := env.svc.DeleteUser(ctx(), root(), &iamapi.DeleteUserInput{UserName: &name}); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

func BenchmarkLookupAccessKey(b *testing.B) {
	env := benchEnv(b)
	env.must("CreateUser", `{"UserName":"bob"}`)
	key := env.must("CreateAccessKey", `{"UserName":"bob"}`).(*iamapi.CreateAccessKeyOutput).AccessKey.AccessKeyId
	b.ReportAllocs()
	for b.Loop() {
		if _, err := env.svc.LookupAccessKey(ctx(), key); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPrincipalPolicies(b *testing.B) {
	env := benchEnv(b)
	env.must("CreateUser", `{"UserName":"user_1"}`)
	env.must("CreateGroup", `{"GroupName":"developers"}`)
	env.must("AttachGroupPolicy", `{"GroupName":"developers","PolicyArn":"arn:aws:iam::aws:policy/AmazonEC2FullAccess"}`)
	env.must("AddUserToGroup", `{"GroupName":"developers","UserName":"user_1"}`)
	env.must("PutUserPolicy", fmt.Sprintf(`{"UserName":"user_1","PolicyName":"S3","PolicyDocument":%q}`, s3Doc))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := env.svc.PrincipalPolicies(ctx(), "arn:aws:iam::123456789012:user/user_1"); err != nil {
			b.Fatal(err)
		}
	}
}
