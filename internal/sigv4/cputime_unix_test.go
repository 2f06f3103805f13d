//go:build unix

package sigv4

import (
	"syscall"
	"time"
)

// processCPU is the CPU time this process has used. Benchmarks report it per operation
// beside wall time: on a shared, loaded machine wall time counts the moments the benchmark
// was not running, CPU time does not.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
