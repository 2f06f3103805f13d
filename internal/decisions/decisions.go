// Package decisions owns the record of authorization decisions that the server keeps in
// emulator mode: every evaluated request with its principal, action, resource, the context
// keys it carried, the statements that matched and the policy type that denied it. Soft
// enforcement (`--enforce soft`) allows would-be denials and records them here; the records
// are served as JSON lines from /_gatehouse/decisions, and Generate turns what a principal
// did into a least-privilege policy (`gatehouse policy generate`).
package decisions

import (
	"strings"
	"sync"
	"time"
)

// Record is one decision.
type Record struct {
	Seq       uint64              `json:"seq"`
	Time      time.Time           `json:"time"`
	RequestID string              `json:"requestId"`
	Principal string              `json:"principal"`
	Action    string              `json:"action"`
	Resource  string              `json:"resource"`
	Decision  string              `json:"decision"` // allowed, explicitDeny, implicitDeny
	DeniedBy  string              `json:"deniedBy,omitempty"`
	Enforced  bool                `json:"enforced"` // false when soft mode let a denial through
	Message   string              `json:"message,omitempty"`
	Matched   []Matched           `json:"matchedStatements,omitempty"`
	Context   map[string][]string `json:"context,omitempty"`
}

// Matched is a statement that applied.
type Matched struct {
	Policy string `json:"policy"`
	Sid    string `json:"sid,omitempty"`
	Effect string `json:"effect"`
}

// Denied reports whether the engine's answer was a denial, enforced or not.
func (r *Record) Denied() bool { return r.Decision != "allowed" }

// Log is a bounded, ordered log of decisions. The oldest records are dropped once it holds
// Capacity; a reader's cursor (the last Seq it saw) survives that, it simply skips ahead.
type Log struct {
	mu   sync.Mutex
	ring []Record // grows to capacity, then wraps
	cap  int
	head int    // index of the oldest record
	n    int    // records held
	seq  uint64 // Seq of the newest record
}

// DefaultCapacity bounds memory: a record with the context keys of a request takes about
// 1.2 KB (measured: server.BenchmarkRecordedDecision), so a full log holds about 60 MB.
const DefaultCapacity = 50_000

// NewLog returns a log holding at most capacity records (DefaultCapacity when ≤ 0).
func NewLog(capacity int) *Log {
	if capacity <= 0 {
		capacity = DefaultCapacity
	}
	// The ring grows as records arrive rather than being allocated whole: records hold
	// pointers, and the garbage collector scans every slot of an allocated ring on every
	// cycle (a full 100,000-slot ring costs each request in the process measurably).
	return &Log{cap: capacity}
}

// Add appends r, assigning its Seq, and returns it.
func (l *Log) Add(r Record) uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.seq++
	r.Seq = l.seq
	if l.n < l.cap {
		if l.n < len(l.ring) {
			l.ring[(l.head+l.n)%len(l.ring)] = r
		} else {
			l.ring = append(l.ring, r)
		}
		l.n++
	} else {
		l.ring[l.head] = r
		l.head = (l.head + 1) % len(l.ring)
	}
	return r.Seq
}

// Query selects records.
type Query struct {
	After     uint64    // only records with Seq > After (the `since` cursor)
	Since     time.Time // only records at or after this time
	Principal string    // only this principal's records ("" for all); a role's include its sessions
	Denied    bool      // only denials
	Limit     int       // at most this many (≤ 0: all)
}

// Select returns the matching records, oldest first.
func (l *Log) Select(q Query) []Record {
	sessions := roleSessions(q.Principal)
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []Record
	for i := 0; i < l.n; i++ {
		r := &l.ring[(l.head+i)%len(l.ring)]
		if r.Seq <= q.After || (!q.Since.IsZero() && r.Time.Before(q.Since)) ||
			(q.Principal != "" && r.Principal != q.Principal && (sessions == "" || !strings.HasPrefix(r.Principal, sessions))) ||
			(q.Denied && !r.Denied()) {
			continue
		}
		out = append(out, *r)
		if q.Limit > 0 && len(out) == q.Limit {
			break
		}
	}
	return out
}

// roleSessions returns the ARN prefix of a role's sessions
// (arn:aws:iam::A:role/PATH/NAME → arn:aws:sts::A:assumed-role/NAME/), or "" when arn is not
// a role's: what a role did is what its sessions did, and a policy is generated for the
// role (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html#identifiers-arns).
func roleSessions(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "iam" || !strings.HasPrefix(parts[5], "role/") {
		return ""
	}
	name := parts[5][strings.LastIndexByte(parts[5], '/')+1:]
	if name == "" {
		return ""
	}
	return "arn:" + parts[1] + ":sts::" + parts[4] + ":assumed-role/" + name + "/"
}

// Reset drops every record (moto's /moto-api/reset).
func (l *Log) Reset() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.head, l.n = 0, 0
	l.ring = nil
}
