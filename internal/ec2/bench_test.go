package ec2

import (
	"context"
	"testing"
)

// BenchmarkDescribe is DescribeInstances over 200 instances on SQLite, filtered by tag.
func BenchmarkDescribe(b *testing.B) {
	e := newEnv(b)
	e.svc.opt.MaxInstances = 1000
	for i := 0; i < 20; i++ {
		e.run(b, LaunchSpec{MinCount: 10, MaxCount: 10, Tags: []Tag{{"team", []string{"a", "b"}[i%2]}}})
	}
	q := Query{Filters: []Filter{{"tag:team", []string{"a"}}}}
	b.ReportAllocs()
	for b.Loop() {
		got, _, err := e.svc.Describe(context.Background(), acct, q)
		if err != nil || len(got) != 100 {
			b.Fatalf("got %d, %v", len(got), err)
		}
	}
}

// BenchmarkRun is one RunInstances of one instance with a profile, committed to SQLite.
func BenchmarkRun(b *testing.B) {
	e := newEnv(b)
	e.svc.opt.MaxInstances = 1 << 30
	spec := LaunchSpec{ImageID: "ami-12345678", MinCount: 1, MaxCount: 1, Metadata: DefaultMetadata,
		Profile: &Profile{ARN: "arn:aws:iam::111122223333:instance-profile/role_1", ID: "AIPA1"}}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := e.svc.Run(context.Background(), acct, spec); err != nil {
			b.Fatal(err)
		}
	}
}
