package engines

import (
	"runtime"
	"sync"
	"syscall"
	"time"
)

// ThreadCPU returns the CPU time (user and system) the calling OS thread has used
// (getrusage RUSAGE_THREAD, Linux). On a shared machine a decision's CPU time is a
// steadier figure than wall time, which the load inflates.
func ThreadCPU() time.Duration { return rusage(1) } // RUSAGE_THREAD

// ProcessCPU returns the CPU time the whole process has used.
func ProcessCPU() time.Duration { return rusage(syscall.RUSAGE_SELF) }

func rusage(who int) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(who, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// Window is how many requests a timed run cycles through: enough to mix every user's
// policies, few enough that the prepared inputs stay in cache, as a server's freshly
// built request would be (internal/authz's own benchmarks cycle 256 too).
const Window = 256

// Classes splits the corpus's requests, for timing, by the principal that makes them:
// "typical" (the first Window requests by users, each user with 5 policies × 10
// statements, interleaved), "typical-all" (every user request: a working set of
// prepared inputs larger than the CPU's caches), "role" (the 1,000-statement role's)
// and "corpus" (every request of the corpus, in its order: users' and the role's mixed,
// the working set of typical-all and the role's together).
func (c *Corpus) Classes() map[string][]int {
	out := map[string][]int{}
	for i, r := range c.Requests {
		class := "typical-all"
		if c.Principals[r.Principal].Kind == "role" {
			class = "role"
		}
		out[class] = append(out[class], i)
		out["corpus"] = append(out["corpus"], i)
	}
	out["typical"] = out["typical-all"][:min(Window, len(out["typical-all"]))]
	return out
}

// ClassNames lists Classes' keys in report order.
var ClassNames = []string{"typical", "typical-all", "role", "corpus"}

// Figures are one engine's costs per decision.
type Figures struct {
	Decisions   int
	WallNs      float64 // wall-clock time per decision
	CPUNs       float64 // CPU time per decision (the thread's, or the process's in parallel)
	AllocsPerOp float64
	BytesPerOp  float64
}

// Measure decides the requests idx (cycling) on one locked OS thread for at least d.
func Measure(e Engine, idx []int, d time.Duration) Figures {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	dec := e.Decider()
	for _, i := range idx { // warm caches and lazily built state
		dec.Decide(i)
	}
	runtime.GC()
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	cpu0, wall0 := ThreadCPU(), time.Now()
	n := 0
	for time.Since(wall0) < d {
		for k := 0; k < 256; k++ {
			dec.Decide(idx[n%len(idx)])
			n++
		}
	}
	wall, cpu := time.Since(wall0), ThreadCPU()-cpu0
	runtime.ReadMemStats(&m1)
	return Figures{Decisions: n, WallNs: float64(wall.Nanoseconds()) / float64(n), CPUNs: float64(cpu.Nanoseconds()) / float64(n),
		AllocsPerOp: float64(m1.Mallocs-m0.Mallocs) / float64(n), BytesPerOp: float64(m1.TotalAlloc-m0.TotalAlloc) / float64(n)}
}

// MeasureParallel decides the requests idx from GOMAXPROCS goroutines, each with its own
// Decider, for at least d. WallNs is wall time divided by all decisions (the inverse of
// throughput); CPUNs is the process's CPU time per decision (including the runtime's,
// e.g. garbage collection).
func MeasureParallel(e Engine, idx []int, d time.Duration) Figures {
	procs := runtime.GOMAXPROCS(0)
	deciders := make([]Decider, procs)
	for p := range deciders {
		deciders[p] = e.Decider()
		for _, i := range idx {
			deciders[p].Decide(i)
		}
	}
	runtime.GC()
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	counts := make([]int, procs)
	var wg sync.WaitGroup
	cpu0, wall0 := ProcessCPU(), time.Now()
	for p := 0; p < procs; p++ {
		wg.Add(1)
		go func(p int) {
			defer wg.Done()
			dec, n := deciders[p], p*7919
			for time.Since(wall0) < d {
				for k := 0; k < 256; k++ {
					dec.Decide(idx[n%len(idx)])
					n++
				}
			}
			counts[p] = n - p*7919
		}(p)
	}
	wg.Wait()
	wall, cpu := time.Since(wall0), ProcessCPU()-cpu0
	runtime.ReadMemStats(&m1)
	n := 0
	for _, c := range counts {
		n += c
	}
	return Figures{Decisions: n, WallNs: float64(wall.Nanoseconds()) / float64(n), CPUNs: float64(cpu.Nanoseconds()) / float64(n),
		AllocsPerOp: float64(m1.Mallocs-m0.Mallocs) / float64(n), BytesPerOp: float64(m1.TotalAlloc-m0.TotalAlloc) / float64(n)}
}
