package sts

import (
	"context"
	"runtime"
	"syscall"
	"testing"
	"time"

	"gatehouse/internal/awsproto/stsapi"
)

// threadCPU is the CPU time of the calling OS thread: benchmarks report it per operation
// (cpu-ns/op) beside wall time, which a loaded machine inflates.
func threadCPU() time.Duration {
	var ru syscall.Rusage
	const rusageThread = 1 // RUSAGE_THREAD (Linux)
	if err := syscall.Getrusage(rusageThread, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func cpuLoop(b *testing.B, f func()) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	b.ReportAllocs()
	start, n := threadCPU(), 0
	for b.Loop() {
		f()
		n++
	}
	if n > 0 {
		b.ReportMetric(float64(threadCPU()-start)/float64(n), "cpu-ns/op")
	}
}

// BenchmarkAssumeRole is the domain's share of AssumeRole: plan the session and issue it
// (key ID, secret from crypto/rand, sealing the record).
func BenchmarkAssumeRole(b *testing.B) {
	s, _ := newService(b)
	in := &stsapi.AssumeRoleInput{RoleArn: str(role1.ARN), RoleSessionName: str("bench")}
	cpuLoop(b, func() {
		plan, err := s.AssumeRole(alice, role1, in)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := s.Issue(plan); err != nil {
			b.Fatal(err)
		}
	})
}

// BenchmarkOpen is what a node spends to authenticate a session token.
func BenchmarkOpen(b *testing.B) {
	s, _ := newService(b)
	plan, err := s.AssumeRole(alice, role1, &stsapi.AssumeRoleInput{RoleArn: str(role1.ARN), RoleSessionName: str("bench"),
		Tags: []stsapi.Tag{{Key: str("team"), Value: str("blue")}}})
	if err != nil {
		b.Fatal(err)
	}
	cr, err := s.Issue(plan)
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("token: %d characters", len(cr.SessionToken))
	ctx := context.Background()
	cpuLoop(b, func() {
		if _, err := s.Open(ctx, cr.AccessKeyID, cr.SessionToken); err != nil {
			b.Fatal(err)
		}
	})
}
