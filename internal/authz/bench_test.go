package authz

import (
	"bytes"
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"

	"gatehouse/internal/policy"
)

type benchCase struct {
	set  *Set
	reqs []Request
}

func buildBench(policies, statements int, seed uint64) benchCase {
	g := newGen(seed)
	var pp PrincipalPolicies
	for i := 0; i < policies; i++ {
		pp.Identity = append(pp.Identity, Attached{Label: fmt.Sprintf("identity[%d]", i), Policy: g.compiled(statements, 0.1, 0.25)})
	}
	p, _ := ParsePrincipal("arn:aws:iam::111122223333:user/alice")
	set := NewSet(pp)
	bc := benchCase{set: set}
	for i := 0; i < 256; i++ {
		a := g.action()
		svc := a[:len(a)-len(a[len(a)-1:])]
		_ = svc
		bc.reqs = append(bc.reqs, Request{Principal: &p, Action: a, Resource: g.resourceFor(a[:indexByte(a, ':')]),
			Context: g.context(&p), Policies: set})
	}
	return bc
}

func indexByte(s string, c byte) int {
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			return i
		}
	}
	return -1
}

func benchDecide(b *testing.B, bc benchCase) {
	var res Result
	res.Matched = make([]Matched, 0, 64)
	b.ReportAllocs()
	cpuLoop(b, func(i int) { Evaluate(&bc.reqs[i&255], &res) })
}

// BenchmarkDecisionTypical: 5 policies × 10 statements, wildcards, a quarter with
// conditions (issue 2's "typical principal").
func BenchmarkDecisionTypical(b *testing.B) { benchDecide(b, buildBench(5, 10, 1)) }

// BenchmarkDecision1000: one role with 1,000 statements.
func BenchmarkDecision1000(b *testing.B) { benchDecide(b, buildBench(1, 1000, 2)) }

// BenchmarkDecisionParallel: the typical principal on every core.
func BenchmarkDecisionParallel(b *testing.B) {
	bc := buildBench(5, 10, 1)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		var res Result
		res.Matched = make([]Matched, 0, 64)
		i := 0
		for pb.Next() {
			Evaluate(&bc.reqs[i&255], &res)
			i++
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "decisions/s")
}

// BenchmarkDecisionThroughput is issue 2's "≥ 10 M decisions/s in-process on 2 cores":
// 1,000 principals, each with its own typical policy set (5 policies × 10 statements,
// every document different), and 4,096 distinct requests spread over them, evaluated
// on every core at once. It reports decisions/s, the wall-clock throughput of all
// goroutines together; run it with -cpu 2 on an idle machine.
func BenchmarkDecisionThroughput(b *testing.B) {
	const principals, requests = 1000, 4096
	g := newGen(5)
	type who struct {
		p   Principal
		set *Set
	}
	ws := make([]who, principals)
	for i := range ws {
		p, err := ParsePrincipal(fmt.Sprintf("arn:aws:iam::111122223333:user/u%d", i))
		if err != nil {
			b.Fatal(err)
		}
		var pp PrincipalPolicies
		for j := 0; j < 5; j++ {
			pp.Identity = append(pp.Identity, Attached{Label: fmt.Sprintf("identity[%d]", j), Policy: g.compiled(10, 0.1, 0.25)})
		}
		ws[i] = who{p: p, set: NewSet(pp)}
	}
	reqs := make([]Request, requests)
	for i := range reqs {
		w := &ws[g.r.IntN(principals)]
		a := g.action()
		reqs[i] = Request{Principal: &w.p, Action: a, Resource: g.resourceFor(a[:indexByte(a, ':')]),
			Context: g.context(&w.p), Policies: w.set}
	}
	var start atomic.Uint64
	runtime.GC() // the setup's garbage is not the decisions' cost
	b.ReportAllocs()
	b.ResetTimer()
	cpu := processCPU()
	b.RunParallel(func(pb *testing.PB) {
		var res Result
		res.Matched = make([]Matched, 0, 64)
		i := int(start.Add(1)) * 1031 // goroutines walk the requests from different places
		for pb.Next() {
			Evaluate(&reqs[i%requests], &res)
			i++
		}
	})
	// decisions/s is wall-clock and so only as good as the machine is idle; cpu-ns/op is
	// the process's CPU time per decision on all cores (GC included), which load
	// inflates far less: cores × 10⁹ / cpu-ns/op is what idle cores would sustain.
	b.ReportMetric(float64(processCPU()-cpu)/float64(b.N), "cpu-ns/op")
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "decisions/s")
}

// BenchmarkCompileStatement reports the cost of parsing and compiling one statement.
func BenchmarkCompileStatement(b *testing.B) {
	g := newGen(3)
	doc := g.policy(100, 0.1, 0.25)
	b.ReportAllocs()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	start := threadCPU()
	for b.Loop() {
		if _, err := policy.CompileStrict(doc, policy.Identity); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/100, "ns/statement")
	b.ReportMetric(float64(threadCPU()-start)/float64(b.N)/100, "cpu-ns/statement")
}

// BenchmarkMemory10k compiles and indexes 10,000 principals, each with its own unique
// 5×10 policy set, and reports retained heap bytes against the policies' JSON bytes;
// then the heap each principal's decision plan for one more action adds.
func BenchmarkMemory10k(b *testing.B) { benchMemory(b, false) }

// BenchmarkMemory10kUniqueARNs is BenchmarkMemory10k with every resource ARN naming its
// own principal's bucket, so no resource pattern is shared between principals.
func BenchmarkMemory10kUniqueARNs(b *testing.B) { benchMemory(b, true) }

func benchMemory(b *testing.B, uniqueARNs bool) {
	for b.Loop() {
		g := newGen(4)
		docs := make([][]byte, 0, 50000)
		jsonBytes := 0
		for i := 0; i < 10000*5; i++ {
			d := g.policy(10, 0.1, 0.25)
			if uniqueARNs {
				d = bytes.ReplaceAll(d, []byte("bucket-"), []byte(fmt.Sprintf("p%d-bucket-", i/5)))
			}
			// The denominator is the document exactly as generated and stored:
			// encoding/json's minified output (no whitespace to leave out, so it is
			// also IAM's policy size), not a pretty-printed copy.
			jsonBytes += len(d)
			docs = append(docs, d)
		}
		runtime.GC()
		var before runtime.MemStats
		runtime.ReadMemStats(&before)
		sets := make([]*Set, 10000)
		for i := range sets {
			var pp PrincipalPolicies
			for j := 0; j < 5; j++ {
				p, err := policy.CompileStrict(docs[i*5+j], policy.Identity)
				if err != nil {
					b.Fatal(err)
				}
				pp.Identity = append(pp.Identity, Attached{Label: "identity", Policy: p})
			}
			sets[i] = NewSet(pp)
		}
		runtime.GC()
		var after runtime.MemStats
		runtime.ReadMemStats(&after)
		runtime.KeepAlive(docs) // the documents were live before and after: not counted
		retained := int64(after.HeapAlloc) - int64(before.HeapAlloc)
		b.ReportMetric(float64(retained)/float64(jsonBytes), "heap/json")
		b.ReportMetric(float64(retained)/1e6, "heapMB")
		b.ReportMetric(float64(jsonBytes)/1e6, "jsonMB")

		// Decisions then memoise a plan per principal and action (authz's planCache),
		// which the figures above leave out: report what each one adds.
		const actions = 20
		p, _ := ParsePrincipal("arn:aws:iam::111122223333:user/alice")
		ctx := g.context(&p)
		acts := make([]string, actions)
		for i := range acts {
			acts[i] = g.action()
		}
		var res Result
		for _, set := range sets {
			for _, a := range acts {
				Evaluate(&Request{Principal: &p, Action: a, Resource: "arn:aws:s3:::bucket-1/key-1", Context: ctx, Policies: set}, &res)
			}
		}
		runtime.GC()
		var planned runtime.MemStats
		runtime.ReadMemStats(&planned)
		b.ReportMetric(float64(int64(planned.HeapAlloc)-int64(after.HeapAlloc))/float64(len(sets)*actions), "planB/principal-action")
		runtime.KeepAlive(sets)
		runtime.KeepAlive(docs)
	}
}
