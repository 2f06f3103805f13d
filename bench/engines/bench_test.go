package engines

import (
	"runtime"
	"sync"
	"testing"
)

var (
	benchOnce    sync.Once
	benchCorpus  *Corpus
	benchEngines []Engine
	benchErr     string
)

// loadBench builds the full corpus and the three engines once, and checks that they agree
// on every request before anything is timed.
func loadBench(b *testing.B) (*Corpus, []Engine) {
	b.Helper()
	benchOnce.Do(func() {
		benchCorpus = Generate(testOptions(false))
		benchEngines = loadAll(b, benchCorpus)
		if bad, _ := Agree(benchCorpus, benchEngines...); len(bad) > 0 {
			benchErr = bad[0].String(benchCorpus)
		}
	})
	if benchErr != "" {
		b.Fatalf("the engines disagree: %s", benchErr)
	}
	return benchCorpus, benchEngines
}

// BenchmarkDecide times one decision on one goroutine (locked to its OS thread) for each
// class of requests (Corpus.Classes) and engine. cpu-ns/op is the thread's CPU time per
// decision.
func BenchmarkDecide(b *testing.B) {
	c, engines := loadBench(b)
	classes := c.Classes()
	for _, class := range ClassNames {
		idx := classes[class]
		for _, e := range engines {
			b.Run(class+"/"+e.Name(), func(b *testing.B) {
				dec := e.Decider()
				for _, i := range idx {
					if _, err := dec.Decide(i); err != nil {
						b.Fatal(err)
					}
				}
				runtime.LockOSThread()
				defer runtime.UnlockOSThread()
				b.ReportAllocs()
				n := 0
				start := ThreadCPU()
				for b.Loop() {
					dec.Decide(idx[n%len(idx)])
					n++
				}
				b.ReportMetric(float64((ThreadCPU()-start).Nanoseconds())/float64(n), "cpu-ns/op")
			})
		}
	}
}

// BenchmarkDecideParallel times decisions for the typical principal on every core
// (b.RunParallel, one Decider per goroutine); ns/op is wall time per decision across
// all cores.
func BenchmarkDecideParallel(b *testing.B) {
	c, engines := loadBench(b)
	idx := c.Classes()["typical"]
	for _, e := range engines {
		b.Run(e.Name(), func(b *testing.B) {
			b.ReportAllocs()
			start := ProcessCPU()
			b.RunParallel(func(pb *testing.PB) {
				dec, n := e.Decider(), 0
				for pb.Next() {
					dec.Decide(idx[n%len(idx)])
					n++
				}
			})
			b.ReportMetric(float64((ProcessCPU()-start).Nanoseconds())/float64(b.N), "cpu-ns/op")
		})
	}
}
