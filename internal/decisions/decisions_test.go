package decisions

import (
	"encoding/json"
	"os"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"gatehouse/internal/analyzer"
	"gatehouse/internal/policy"
)

func TestGenerate(t *testing.T) {
	b, err := os.ReadFile("testdata/generate.json")
	if err != nil {
		t.Fatal(err)
	}
	var cases []struct {
		Note    string          `json:"note"`
		Records []Record        `json:"records"`
		Want    json.RawMessage `json:"want"`
	}
	if err := json.Unmarshal(b, &cases); err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		t.Run(c.Note, func(t *testing.T) {
			got, err := Generate(c.Records)
			if err != nil {
				t.Fatal(err)
			}
			var g, w any
			_ = json.Unmarshal(got, &g)
			_ = json.Unmarshal(c.Want, &w)
			if d := cmp.Diff(w, g); d != "" {
				t.Errorf("policy (-want +got):\n%s", d)
			}
			// What is generated must be a valid identity policy (`gatehouse policy validate`).
			if _, err := policy.Parse(got, policy.Identity); err != nil {
				t.Errorf("generated policy does not parse: %v\n%s", err, got)
			}
			if analyzer.HasError(analyzer.Analyze(got, policy.Identity)) {
				t.Errorf("generated policy has validation errors:\n%s", got)
			}
		})
	}
}

func TestLogSelect(t *testing.T) {
	l := NewLog(3)
	t0 := time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC)
	for i, d := range []string{"allowed", "implicitDeny", "allowed", "explicitDeny"} {
		l.Add(Record{Time: t0.Add(time.Duration(i) * time.Minute), Principal: "p", Action: "iam:GetUser", Decision: d})
	}
	all := l.Select(Query{})
	if len(all) != 3 || all[0].Seq != 2 || all[2].Seq != 4 {
		t.Fatalf("ring of 3 after 4 adds: got seqs %v, want 2..4", seqs(all))
	}
	if got := seqs(l.Select(Query{Denied: true})); !cmp.Equal(got, []uint64{2, 4}) {
		t.Errorf("denied: got %v, want [2 4]", got)
	}
	if got := seqs(l.Select(Query{After: 2})); !cmp.Equal(got, []uint64{3, 4}) {
		t.Errorf("after cursor 2: got %v, want [3 4]", got)
	}
	if got := seqs(l.Select(Query{Since: t0.Add(3 * time.Minute)})); !cmp.Equal(got, []uint64{4}) {
		t.Errorf("since t0+3m: got %v, want [4]", got)
	}
	if got := seqs(l.Select(Query{Principal: "q"})); len(got) != 0 {
		t.Errorf("other principal: got %v, want none", got)
	}
	roles := NewLog(10)
	for _, p := range []string{
		"arn:aws:iam::123456789012:role/app/worker",
		"arn:aws:sts::123456789012:assumed-role/worker/i-0abc",
		"arn:aws:sts::123456789012:assumed-role/worker2/s",
		"arn:aws:sts::111122223333:assumed-role/worker/s",
	} {
		roles.Add(Record{Principal: p})
	}
	if got := seqs(roles.Select(Query{Principal: "arn:aws:iam::123456789012:role/app/worker"})); !cmp.Equal(got, []uint64{1, 2}) {
		t.Errorf("a role and its sessions: got %v, want [1 2] (not worker2's, not another account's)", got)
	}
	if got := seqs(roles.Select(Query{Principal: "arn:aws:sts::123456789012:assumed-role/worker/i-0abc"})); !cmp.Equal(got, []uint64{2}) {
		t.Errorf("one session: got %v, want [2]", got)
	}
	l.Reset()
	if got := l.Select(Query{}); len(got) != 0 {
		t.Errorf("after Reset: got %d records, want 0", len(got))
	}
	if seq := l.Add(Record{}); seq != 5 {
		t.Errorf("Seq after Reset: got %d, want 5 (cursors stay valid)", seq)
	}
}

func seqs(rs []Record) []uint64 {
	var out []uint64
	for _, r := range rs {
		out = append(out, r.Seq)
	}
	return out
}
