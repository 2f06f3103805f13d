// Command engines compares Gatehouse's policy engine with cedar-go and OPA on a seeded
// corpus (package gatehouse/bench/engines): it first checks that the three engines give
// the same decision on every request, and exits 1 printing the requests if they do not;
// then it times each engine per decision, on one core and on all cores, and prints a
// Markdown table with the ratios.
//
//	cd bench && go run ./cmd/engines -time 2s -count 5
package main

import (
	"flag"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strings"
	"time"

	"gatehouse/bench/engines"
)

func main() {
	var (
		seed     = flag.Uint64("seed", 1, "corpus seed")
		users    = flag.Int("users", 16, "users (5 policies × 10 statements each)")
		role     = flag.Int("role", 1000, "statements of the big role")
		requests = flag.Int("requests", 256, "requests per principal")
		dur      = flag.Duration("time", 2*time.Second, "time per measurement")
		count    = flag.Int("count", 5, "measurements per figure (the table shows the median and the minimum); 0 checks agreement only")
		only     = flag.String("engines", "", "comma-separated engines to time (default all)")
	)
	flag.Parse()
	os.Exit(run(engines.Options{Seed: *seed, Users: *users, RoleStatements: *role, Requests: *requests}, *dur, *count, *only))
}

func run(o engines.Options, dur time.Duration, count int, only string) int {
	load0 := loadavg()
	start := time.Now()
	c := engines.Generate(o)
	ours, err := engines.NewOurs(c)
	if err != nil {
		fmt.Fprintln(os.Stderr, "gatehouse:", err)
		return 1
	}
	ced, err := engines.NewCedar(c)
	if err != nil {
		fmt.Fprintln(os.Stderr, "cedar-go:", err)
		return 1
	}
	opa, err := engines.NewOPA(c)
	if err != nil {
		fmt.Fprintln(os.Stderr, "opa:", err)
		return 1
	}
	all := []engines.Engine{ours, ced, opa}
	fmt.Printf("corpus: seed %d, %d users × %d policies × %d statements, a %d-statement role, %d requests; loaded in %s\n",
		o.Seed, o.Users, 5, 10, o.RoleStatements, len(c.Requests), time.Since(start).Round(time.Millisecond))
	bad, tally := engines.Agree(c, all...)
	if len(bad) > 0 {
		for _, d := range bad {
			fmt.Println("DISAGREE", d.String(c))
		}
		fmt.Printf("%d of %d requests decided differently\n", len(bad), len(c.Requests))
		return 1
	}
	fmt.Printf("agreement: all 3 engines give the same decision on all %d requests (%d allowed, %d explicitDeny, %d implicitDeny)\n",
		len(c.Requests), tally[engines.Allowed], tally[engines.ExplicitDeny], tally[engines.ImplicitDeny])
	if count == 0 {
		return 0
	}

	if only != "" {
		keep := strings.Split(only, ",")
		all = slices.DeleteFunc(all, func(e engines.Engine) bool { return !slices.Contains(keep, e.Name()) })
	}
	classes := c.Classes()
	type row struct {
		label  string
		engine string
		wall   []float64
		cpu    []float64
		allocs float64
		bytes  float64
	}
	// Measurements are interleaved (each repetition times every engine once, one after
	// another) so that a change in the machine's load affects all engines alike and the
	// ratios stay meaningful.
	var rows []*row
	type job struct {
		r *row
		f func() engines.Figures
	}
	var jobs []job
	add := func(label string, e engines.Engine, f func() engines.Figures) {
		r := &row{label: label, engine: e.Name()}
		rows = append(rows, r)
		jobs = append(jobs, job{r, f})
	}
	for _, class := range engines.ClassNames {
		if len(classes[class]) == 0 {
			continue
		}
		for _, e := range all {
			add(class+", 1 core", e, func() engines.Figures { return engines.Measure(e, classes[class], dur) })
		}
	}
	for _, e := range all {
		add(fmt.Sprintf("typical, %d cores", runtime.GOMAXPROCS(0)), e, func() engines.Figures {
			return engines.MeasureParallel(e, classes["typical"], dur)
		})
	}
	for k := 0; k < count; k++ {
		for _, j := range jobs {
			fg := j.f()
			j.r.wall, j.r.cpu = append(j.r.wall, fg.WallNs), append(j.r.cpu, fg.CPUNs)
			j.r.allocs, j.r.bytes = fg.AllocsPerOp, fg.BytesPerOp
			fmt.Fprintf(os.Stderr, "%d/%d %s %s: wall %.0f ns cpu %.0f ns\n", k+1, count, j.r.label, j.r.engine, fg.WallNs, fg.CPUNs)
		}
	}
	load1 := loadavg()

	fmt.Printf("\nmachine: %s, %d CPUs, %s; load average %s at start, %s at end\n\n",
		cpuModel(), runtime.NumCPU(), runtime.Version(), load0, load1)
	fmt.Println("| requests | engine | wall ns/decision (median; min) | CPU ns/decision (median; min) | allocs/decision | bytes/decision | theirs ÷ ours (CPU; wall) |")
	fmt.Println("| --- | --- | --- | --- | --- | --- | --- |")
	var oursRow *row
	for _, r := range rows {
		ratio := "—"
		if r.engine == ours.Name() {
			oursRow = r
		} else if oursRow != nil && oursRow.label == r.label {
			ratio = fmt.Sprintf("**%.0f×**; %.0f×", median(r.cpu)/median(oursRow.cpu), median(r.wall)/median(oursRow.wall))
		}
		fmt.Printf("| %s | %s | %s; %s | %s; %s | %.1f | %.0f | %s |\n", r.label, r.engine,
			num(median(r.wall)), num(slices.Min(r.wall)), num(median(r.cpu)), num(slices.Min(r.cpu)), r.allocs, r.bytes, ratio)
	}
	return 0
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// num formats n with thousands separators and no decimals (one below 100).
func num(n float64) string {
	if n < 100 {
		return fmt.Sprintf("%.1f", n)
	}
	s := fmt.Sprintf("%.0f", n)
	var b strings.Builder
	for i, ch := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(ch)
	}
	return b.String()
}

func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return runtime.GOARCH
	}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return runtime.GOARCH
}
