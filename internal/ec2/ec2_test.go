package ec2

import (
	"context"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"gatehouse/internal/awserr"
	"gatehouse/internal/kv"
	"gatehouse/internal/store"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

type env struct {
	svc     *Service
	clock   *clock
	changes []Instance
}

var acct = Account{ID: "111122223333", Caller: "arn:aws:iam::111122223333:root"}

func newEnv(t testing.TB) *env {
	t.Helper()
	ctx := context.Background()
	st, err := store.OpenSQLite(ctx, filepath.Join(t.TempDir(), "g.db"), store.Options{UnsafeNoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return newEnvOver(t, st)
}

func newEnvOver(t testing.TB, st kv.Store) *env {
	t.Helper()
	e := &env{clock: &clock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}}
	svc, err := New(Options{Store: st, Now: e.clock.Now, Rand: rand.NewChaCha8([32]byte{1}),
		MaxInstances: 20, OnChange: func(i Instance) { e.changes = append(e.changes, i) }})
	if err != nil {
		t.Fatal(err)
	}
	e.svc = svc
	return e
}

func (e *env) run(t testing.TB, spec LaunchSpec) Reservation {
	t.Helper()
	if spec.MinCount == 0 {
		spec.MinCount, spec.MaxCount = 1, 1
	}
	if spec.ImageID == "" {
		spec.ImageID = "ami-12345678"
	}
	if spec.Metadata == (MetadataOptions{}) {
		spec.Metadata = DefaultMetadata
	}
	r, err := e.svc.Run(context.Background(), acct, spec)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	return r
}

func code(err error) string {
	if err == nil {
		return ""
	}
	var ae *awserr.Error
	if errors.As(err, &ae) {
		return ae.Code
	}
	return "internal: " + err.Error()
}

func TestRunReportsPendingStoresRunning(t *testing.T) {
	e := newEnv(t)
	r := e.run(t, LaunchSpec{MinCount: 2, MaxCount: 3, Tags: []Tag{{"Name", "web"}}})
	if len(r.Instances) != 3 {
		t.Fatalf("got %d instances, want 3", len(r.Instances))
	}
	for i, in := range r.Instances {
		if in.State != Pending || in.LaunchIndex != i || !validID(in.ID, "i-") || len(in.ID) != 19 {
			t.Errorf("instance %d: got state %v index %d id %q, want pending, %d, i-+17 hex", i, in.State, in.LaunchIndex, in.ID, i)
		}
		got, err := e.svc.Get(context.Background(), acct.ID, in.ID)
		if err != nil || got.State != Running || got.Type != "m1.small" {
			t.Errorf("Get(%s): got %v %v %v, want running m1.small", in.ID, got.State, got.Type, err)
		}
	}
	if len(e.changes) != 3 {
		t.Errorf("OnChange called %d times, want 3", len(e.changes))
	}
}

func TestRunCounts(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	for _, tc := range []struct {
		note     string
		min, max int
		want     int
		code     string
	}{
		{"min above max", 3, 2, 0, "InvalidParameterValue"},
		{"zero min", 0, 2, 0, "InvalidParameterValue"},
		{"max capped by the quota of 20 when min fits", 1, 50, 20, ""},
		{"quota exhausted: min cannot be met, nothing launches", 1, 1, 0, "InstanceLimitExceeded"},
	} {
		r, err := e.svc.Run(ctx, acct, LaunchSpec{ImageID: "ami-12345678", MinCount: tc.min, MaxCount: tc.max, Metadata: DefaultMetadata})
		if code(err) != tc.code || len(r.Instances) != tc.want {
			t.Errorf("%s: got %d instances, %q; want %d, %q", tc.note, len(r.Instances), code(err), tc.want, tc.code)
		}
	}
	// Terminated instances free the quota; stopped ones do not.
	all, _, err := e.svc.Describe(ctx, acct, Query{})
	if err != nil || len(all) != 20 {
		t.Fatalf("got %d instances, %v", len(all), err)
	}
	if _, err := e.svc.Stop(ctx, acct, []string{all[0].ID}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Terminate(ctx, acct, []string{all[1].ID, all[2].ID, all[2].ID}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Terminate(ctx, acct, []string{all[1].ID}); err != nil { // already terminated: no change
		t.Fatal(err)
	}
	r, err := e.svc.Run(ctx, acct, LaunchSpec{ImageID: "ami-12345678", MinCount: 1, MaxCount: 5, Metadata: DefaultMetadata})
	if err != nil || len(r.Instances) != 2 {
		t.Errorf("after terminating 2: got %d instances, %v; want 2", len(r.Instances), err)
	}
}

func TestTransitions(t *testing.T) {
	b, err := os.ReadFile("testdata/transitions.json")
	if err != nil {
		t.Fatal(err)
	}
	var cases []struct{ Note, From, Op, Current, Stored, Error string }
	if err := json.Unmarshal(b, &cases); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	ops := map[string]func(*Service) func(context.Context, Account, []string) ([]StateChange, error){
		"start": func(s *Service) func(context.Context, Account, []string) ([]StateChange, error) { return s.Start },
		"stop":  func(s *Service) func(context.Context, Account, []string) ([]StateChange, error) { return s.Stop },
		"terminate": func(s *Service) func(context.Context, Account, []string) ([]StateChange, error) {
			return s.Terminate
		},
	}
	for _, tc := range cases {
		t.Run(tc.Note, func(t *testing.T) {
			e := newEnv(t)
			id := e.run(t, LaunchSpec{}).Instances[0].ID
			switch tc.From {
			case "stopped":
				if _, err := e.svc.Stop(ctx, acct, []string{id}); err != nil {
					t.Fatal(err)
				}
			case "terminated":
				if _, err := e.svc.Terminate(ctx, acct, []string{id}); err != nil {
					t.Fatal(err)
				}
			}
			from, _ := ParseState(tc.From)
			ch, err := ops[tc.Op](e.svc)(ctx, acct, []string{id})
			if code(err) != tc.Error {
				t.Fatalf("got error %q, want %q", code(err), tc.Error)
			}
			if err != nil {
				return
			}
			want := []StateChange{{InstanceID: id, Previous: from, Current: mustState(t, tc.Current)}}
			if d := cmp.Diff(want, ch); d != "" {
				t.Errorf("state change (-want +got):\n%s", d)
			}
			got, err := e.svc.Get(ctx, acct.ID, id)
			if err != nil || got.State != mustState(t, tc.Stored) {
				t.Errorf("stored: got %v, %v; want %s", got.State, err, tc.Stored)
			}
		})
	}
}

func mustState(t *testing.T, s string) State {
	t.Helper()
	st, ok := ParseState(s)
	if !ok {
		t.Fatalf("bad state %q", s)
	}
	return st
}

func TestTerminatedVisibleForAnHour(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	id := e.run(t, LaunchSpec{Profile: &Profile{ARN: "arn:aws:iam::111122223333:instance-profile/p", ID: "AIPAEXAMPLE"}}).Instances[0].ID
	if _, err := e.svc.Terminate(ctx, acct, []string{id}); err != nil {
		t.Fatal(err)
	}
	in, err := e.svc.Get(ctx, acct.ID, id)
	if err != nil || in.Association != nil {
		t.Fatalf("after terminate: got %+v, %v; want visible without association", in.Association, err)
	}
	e.clock.Add(time.Hour)
	if _, err := e.svc.Get(ctx, acct.ID, id); code(err) != "InvalidInstanceID.NotFound" {
		t.Errorf("an hour later: got %q, want InvalidInstanceID.NotFound", code(err))
	}
	if _, err := e.svc.Terminate(ctx, acct, []string{id}); code(err) != "InvalidInstanceID.NotFound" {
		t.Errorf("terminate an hour later: got %q, want InvalidInstanceID.NotFound", code(err))
	}
}

func TestIDErrors(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	for _, tc := range []struct {
		note string
		ids  []string
		code string
	}{
		{"no such instance", []string{"i-0123456789abcdef0"}, "InvalidInstanceID.NotFound"},
		{"old 8-digit form is well formed", []string{"i-01234567"}, "InvalidInstanceID.NotFound"},
		{"upper-case hex is malformed", []string{"i-0123456789ABCDEF0"}, "InvalidInstanceID.Malformed"},
		{"wrong prefix", []string{"ami-0123456789abcdef0"}, "InvalidInstanceID.Malformed"},
		{"wrong length", []string{"i-0123"}, "InvalidInstanceID.Malformed"},
	} {
		_, err := e.svc.Stop(ctx, acct, tc.ids)
		if code(err) != tc.code {
			t.Errorf("%s: got %q, want %q", tc.note, code(err), tc.code)
		}
	}
}

func TestDescribeFiltersAndPages(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	prof := &Profile{ARN: "arn:aws:iam::111122223333:instance-profile/role_1", ID: "AIPAEXAMPLE1"}
	web := e.run(t, LaunchSpec{MinCount: 3, MaxCount: 3, Tags: []Tag{{"Name", "web"}, {"env", "prod"}}, Profile: prof})
	db := e.run(t, LaunchSpec{MinCount: 2, MaxCount: 2, Tags: []Tag{{"Name", "db/primary"}}})
	if _, err := e.svc.Stop(ctx, acct, []string{db.Instances[0].ID}); err != nil {
		t.Fatal(err)
	}
	ids := func(ins []Instance) map[string]bool {
		m := map[string]bool{}
		for _, in := range ins {
			m[in.ID] = true
		}
		return m
	}
	all := append(append([]Instance{}, web.Instances...), db.Instances...)
	for _, tc := range []struct {
		note    string
		filters []Filter
		want    []Instance
		code    string
	}{
		{"no filter: all", nil, all, ""},
		{"tag value", []Filter{{"tag:Name", []string{"web"}}}, web.Instances, ""},
		{"tag wildcard with a slash", []Filter{{"tag:Name", []string{"db/*"}}}, db.Instances, ""},
		{"tag ? wildcard", []Filter{{"tag:Name", []string{"w?b"}}}, web.Instances, ""},
		{"state", []Filter{{"instance-state-name", []string{"stopped"}}}, db.Instances[:1], ""},
		{"two values OR", []Filter{{"instance-state-name", []string{"stopped", "pending"}}}, db.Instances[:1], ""},
		{"two filters AND", []Filter{{"tag:Name", []string{"*"}}, {"instance-state-name", []string{"running"}}}, append(append([]Instance{}, web.Instances...), db.Instances[1]), ""},
		{"profile ARN", []Filter{{"iam-instance-profile.arn", []string{prof.ARN}}}, web.Instances, ""},
		{"instance-id", []Filter{{"instance-id", []string{db.Instances[1].ID}}}, db.Instances[1:], ""},
		{"tag-key", []Filter{{"tag-key", []string{"env"}}}, web.Instances, ""},
		{"unknown filter", []Filter{{"colour", []string{"x"}}}, nil, "InvalidParameterValue"},
	} {
		got, next, err := e.svc.Describe(ctx, acct, Query{Filters: tc.filters})
		if code(err) != tc.code || next != "" {
			t.Errorf("%s: got %q next %q, want %q", tc.note, code(err), next, tc.code)
			continue
		}
		if d := cmp.Diff(ids(tc.want), ids(got)); d != "" {
			t.Errorf("%s: (-want +got)\n%s", tc.note, d)
		}
	}

	// Pages of 5 over 5 instances then 6: every instance once, in ID order.
	e.run(t, LaunchSpec{})
	var seen []string
	tok := ""
	for pages := 0; ; pages++ {
		got, next, err := e.svc.Describe(ctx, acct, Query{MaxResults: 5, NextToken: tok})
		if err != nil {
			t.Fatal(err)
		}
		for _, in := range got {
			seen = append(seen, in.ID)
		}
		if next == "" {
			if pages != 1 {
				t.Errorf("got %d pages, want 2", pages+1)
			}
			break
		}
		tok = next
	}
	if len(seen) != 6 {
		t.Errorf("paged through %d instances, want 6", len(seen))
	}
	for i := 1; i < len(seen); i++ {
		if seen[i-1] >= seen[i] {
			t.Errorf("page order: %s before %s", seen[i-1], seen[i])
		}
	}
	for _, tc := range []struct {
		note string
		q    Query
		code string
	}{
		{"MaxResults below 5", Query{MaxResults: 4}, "InvalidParameterValue"},
		{"MaxResults above 1000", Query{MaxResults: 1001}, "InvalidParameterValue"},
		{"MaxResults with IDs", Query{MaxResults: 5, IDs: []string{web.Instances[0].ID}}, "InvalidParameterCombination"},
		{"garbled token", Query{NextToken: "%%%"}, "InvalidNextToken"},
		{"an association token", Query{NextToken: encodeToken("a", "x")}, "InvalidNextToken"},
		{"one missing ID among found ones", Query{IDs: []string{web.Instances[0].ID, "i-0000000000000000f"}}, "InvalidInstanceID.NotFound"},
	} {
		if _, _, err := e.svc.Describe(ctx, acct, tc.q); code(err) != tc.code {
			t.Errorf("%s: got %q, want %q", tc.note, code(err), tc.code)
		}
	}
	other := Account{ID: "444455556666"}
	if got, _, err := e.svc.Describe(ctx, other, Query{}); err != nil || len(got) != 0 {
		t.Errorf("another account sees %d instances (%v), want none", len(got), err)
	}
}

func TestAssociations(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	p1 := Profile{ARN: "arn:aws:iam::111122223333:instance-profile/role_1", ID: "AIPA1"}
	p2 := Profile{ARN: "arn:aws:iam::111122223333:instance-profile/role_2", ID: "AIPA2"}
	id := e.run(t, LaunchSpec{}).Instances[0].ID

	a, err := e.svc.Associate(ctx, acct, id, p1)
	if err != nil || a.State != Associating || !validAssocID(a.ID) {
		t.Fatalf("Associate: got %+v, %v; want associating iip-assoc-…", a, err)
	}
	if _, err := e.svc.Associate(ctx, acct, id, p2); code(err) != "IncorrectState" {
		t.Errorf("second Associate: got %q, want IncorrectState", code(err))
	}
	r, err := e.svc.Replace(ctx, acct, a.ID, p2)
	if err != nil || r.ID == a.ID || r.Profile != p2 {
		t.Fatalf("Replace: got %+v, %v; want a new association with role_2", r, err)
	}
	if _, err := e.svc.Disassociate(ctx, acct, a.ID); code(err) != "InvalidAssociationID.NotFound" {
		t.Errorf("Disassociate the replaced association: got %q, want InvalidAssociationID.NotFound", code(err))
	}
	list, _, err := e.svc.DescribeAssociations(ctx, acct, AssociationQuery{Filters: []Filter{{"instance-id", []string{id}}}})
	if err != nil || len(list) != 1 || list[0].ID != r.ID || list[0].State != Associated {
		t.Fatalf("DescribeAssociations: got %+v, %v", list, err)
	}
	d, err := e.svc.Disassociate(ctx, acct, r.ID)
	if err != nil || d.State != Disassociating {
		t.Fatalf("Disassociate: got %+v, %v", d, err)
	}
	in, _ := e.svc.Get(ctx, acct.ID, id)
	if in.Association != nil {
		t.Errorf("after Disassociate the instance still has %+v", in.Association)
	}
	if _, err := e.svc.Terminate(ctx, acct, []string{id}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Associate(ctx, acct, id, p1); code(err) != "IncorrectInstanceState" {
		t.Errorf("Associate on a terminated instance: got %q, want IncorrectInstanceState", code(err))
	}
}

func validAssocID(id string) bool {
	return len(id) == len("iip-assoc-")+17 && validID(id, "iip-assoc-")
}

func TestMetadataOptions(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	if m, err := CheckMetadata(MetadataChange{}); err != nil || m != DefaultMetadata {
		t.Errorf("defaults: got %+v, %v", m, err)
	}
	for _, n := range []int{-1, 65} {
		if _, err := CheckMetadata(MetadataChange{HopLimit: n}); code(err) != "InvalidParameterValue" {
			t.Errorf("hop limit %d: got %q, want InvalidParameterValue", n, code(err))
		}
	}
	id := e.run(t, LaunchSpec{}).Instances[0].ID
	in, err := e.svc.ModifyMetadata(ctx, acct, id, MetadataChange{Tokens: TokensRequired, HopLimit: 2})
	want := MetadataOptions{Tokens: TokensRequired, HopLimit: 2, Endpoint: EndpointEnabled}
	if err != nil || in.Metadata != want {
		t.Errorf("ModifyMetadata: got %+v, %v; want %+v", in.Metadata, err, want)
	}
}

func TestStateCodes(t *testing.T) {
	want := map[State]int32{Pending: 0, Running: 16, ShuttingDown: 32, Terminated: 48, Stopping: 64, Stopped: 80}
	for s, c := range want {
		if s.Code() != c {
			t.Errorf("%v.Code() = %d, want %d", s, s.Code(), c)
		}
		if p, ok := ParseState(s.String()); !ok || p != s {
			t.Errorf("ParseState(%q) = %v, %v", s.String(), p, ok)
		}
	}
}

func FuzzWildcard(f *testing.F) {
	for _, s := range [][2]string{{"a*", "abc"}, {"a?c", "abc"}, {`a\*`, "a*"}, {"[x", "[x"}, {"db/*", "db/p"}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, pattern, s string) {
		got := wildcard(pattern, s)
		if pattern == s && !got && !containsAny(pattern, `*?\`) {
			t.Errorf("literal %q does not match itself", pattern)
		}
		if pattern == "*" && !got && utf8.ValidString(s) {
			t.Errorf("* does not match %q", s)
		}
	})
}

func FuzzDecodeToken(f *testing.F) {
	f.Add(encodeToken("i", "i-0123456789abcdef0"))
	f.Add("")
	f.Fuzz(func(t *testing.T, tok string) {
		after, err := decodeToken("i", tok)
		if err == nil && encodeToken("i", after) != tok {
			t.Errorf("token %q decodes to %q which encodes differently", tok, after)
		}
	})
}

func containsAny(s, chars string) bool {
	for _, c := range s {
		for _, d := range chars {
			if c == d {
				return true
			}
		}
	}
	return false
}

func TestClientTokenIdempotency(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	spec := LaunchSpec{ImageID: "ami-12345678", MinCount: 2, MaxCount: 2, Metadata: DefaultMetadata, ClientToken: "tok-1"}
	first, err := e.svc.Run(ctx, acct, spec)
	if err != nil {
		t.Fatal(err)
	}
	again, err := e.svc.Run(ctx, acct, spec)
	if err != nil || again.ID != first.ID || len(again.Instances) != 2 || again.Instances[0].ID != first.Instances[0].ID {
		t.Fatalf("retry with the same token: got %+v, %v; want reservation %s again", again, err, first.ID)
	}
	if all, _, _ := e.svc.Describe(ctx, acct, Query{}); len(all) != 2 {
		t.Errorf("the retry launched again: %d instances", len(all))
	}
	spec.Type = "t3.micro"
	if _, err := e.svc.Run(ctx, acct, spec); code(err) != "IdempotentParameterMismatch" {
		t.Errorf("same token, other parameters: got %q, want IdempotentParameterMismatch", code(err))
	}
	if _, err := e.svc.Run(ctx, Account{ID: "444455556666"}, LaunchSpec{ImageID: "ami-12345678", MinCount: 1, MaxCount: 1, Metadata: DefaultMetadata, ClientToken: "tok-1"}); err != nil {
		t.Errorf("the same token in another account: %v", err)
	}
}
