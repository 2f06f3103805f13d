package server

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// metrics holds the counters behind /_gatehouse/metrics, in Prometheus' text exposition
// format (https://prometheus.io/docs/instrumenting/exposition_formats/). Label sets are
// few (service × action × code), so a read-locked map of atomic counters keeps the hot path
// to one map lookup and one atomic add.
type metrics struct {
	requests  vec[requestLabels, *atomic.Uint64]
	latency   vec[latencyLabels, *histogram]
	decisions vec[string, *atomic.Uint64]
}

type requestLabels struct{ service, action, code string }
type latencyLabels struct{ service, action string }

// vec is a labelled family of one kind of metric.
type vec[K comparable, V any] struct {
	mu  sync.RWMutex
	m   map[K]V
	new func() V
}

func (v *vec[K, V]) get(k K) V {
	v.mu.RLock()
	x, ok := v.m[k]
	v.mu.RUnlock()
	if ok {
		return x
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if x, ok = v.m[k]; !ok {
		if v.m == nil {
			v.m = make(map[K]V)
		}
		x = v.new()
		v.m[k] = x
	}
	return x
}

// snapshot returns the keys in a stable order so the exposition is deterministic.
func (v *vec[K, V]) snapshot(less func(a, b K) int) ([]K, map[K]V) {
	v.mu.RLock()
	defer v.mu.RUnlock()
	keys := make([]K, 0, len(v.m))
	cp := make(map[K]V, len(v.m))
	for k, x := range v.m {
		keys = append(keys, k)
		cp[k] = x
	}
	slices.SortFunc(keys, less)
	return keys, cp
}

// latencyBuckets are upper bounds in seconds, from 100 µs to 2.5 s.
var latencyBuckets = []float64{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5}

type histogram struct {
	counts [15]atomic.Uint64 // one per bucket, the last is +Inf
	sumNs  atomic.Uint64
}

func (h *histogram) observe(d time.Duration) {
	s := d.Seconds()
	i, _ := slices.BinarySearch(latencyBuckets, s)
	h.counts[i].Add(1)
	h.sumNs.Add(uint64(d.Nanoseconds()))
}

func newMetrics() *metrics {
	return &metrics{
		requests:  vec[requestLabels, *atomic.Uint64]{new: func() *atomic.Uint64 { return new(atomic.Uint64) }},
		latency:   vec[latencyLabels, *histogram]{new: func() *histogram { return new(histogram) }},
		decisions: vec[string, *atomic.Uint64]{new: func() *atomic.Uint64 { return new(atomic.Uint64) }},
	}
}

func (m *metrics) observeRequest(service, action, code string, d time.Duration) {
	m.requests.get(requestLabels{service, action, code}).Add(1)
	m.latency.get(latencyLabels{service, action}).observe(d)
}

func (m *metrics) observeDecision(decision string) { m.decisions.get(decision).Add(1) }

// write renders every family in the text exposition format.
func (m *metrics) write(w io.Writer) {
	var b strings.Builder
	b.WriteString("# HELP gatehouse_requests_total API requests by service, action and AWS error code (empty when successful).\n")
	b.WriteString("# TYPE gatehouse_requests_total counter\n")
	rk, rv := m.requests.snapshot(func(a, b requestLabels) int {
		return strings.Compare(a.service+"\x00"+a.action+"\x00"+a.code, b.service+"\x00"+b.action+"\x00"+b.code)
	})
	for _, k := range rk {
		fmt.Fprintf(&b, "gatehouse_requests_total{service=%q,action=%q,code=%q} %d\n", k.service, k.action, k.code, rv[k].Load())
	}
	b.WriteString("# HELP gatehouse_request_duration_seconds API request latency by service and action.\n")
	b.WriteString("# TYPE gatehouse_request_duration_seconds histogram\n")
	lk, lv := m.latency.snapshot(func(a, b latencyLabels) int {
		return strings.Compare(a.service+"\x00"+a.action, b.service+"\x00"+b.action)
	})
	for _, k := range lk {
		h := lv[k]
		var cum uint64
		for i := range h.counts {
			cum += h.counts[i].Load()
			le := "+Inf"
			if i < len(latencyBuckets) {
				le = fmt.Sprint(latencyBuckets[i])
			}
			fmt.Fprintf(&b, "gatehouse_request_duration_seconds_bucket{service=%q,action=%q,le=%q} %d\n", k.service, k.action, le, cum)
		}
		fmt.Fprintf(&b, "gatehouse_request_duration_seconds_sum{service=%q,action=%q} %g\n", k.service, k.action, float64(h.sumNs.Load())/1e9)
		fmt.Fprintf(&b, "gatehouse_request_duration_seconds_count{service=%q,action=%q} %d\n", k.service, k.action, cum)
	}
	b.WriteString("# HELP gatehouse_decisions_total Authorization decisions by result.\n")
	b.WriteString("# TYPE gatehouse_decisions_total counter\n")
	dk, dv := m.decisions.snapshot(strings.Compare)
	for _, k := range dk {
		fmt.Fprintf(&b, "gatehouse_decisions_total{decision=%q} %d\n", k, dv[k].Load())
	}
	_, _ = io.WriteString(w, b.String())
}
