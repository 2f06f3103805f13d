package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gatehouse/internal/decisions"
)

func TestSinceQuery(t *testing.T) {
	now := time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC)
	tests := []struct{ note, in, want, wantErr string }{
		{"absent: everything", "", "", ""},
		{"a sequence number is the server's cursor", "42", "42", ""},
		{"an RFC 3339 time in UTC", "2026-11-30T11:00:00+01:00", "2026-11-30T10:00:00Z", ""},
		{"a duration counts back from now", "10m", "2026-11-30T09:50:00Z", ""},
		{"anything else is refused", "yesterday", "", "want a sequence number"},
		{"a negative duration is refused", "-5m", "", "want a sequence number"},
	}
	for _, tc := range tests {
		got, err := sinceQuery(tc.in, now)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("%s: got %q, %v, want error %q", tc.note, got, err, tc.wantErr)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%s: got %q, %v, want %q", tc.note, got, err, tc.want)
		}
	}
}

// decisionServer serves recs as /_gatehouse/decisions does, filtered by principal and a seq
// cursor, and remembers the last query.
func decisionServer(t *testing.T, recs []decisions.Record) (*httptest.Server, *string) {
	t.Helper()
	var last string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/_gatehouse/decisions" {
			http.NotFound(w, r)
			return
		}
		last = r.URL.RawQuery
		w.Header().Set("Content-Type", "application/x-ndjson")
		enc := json.NewEncoder(w)
		for _, rec := range recs {
			if rec.Principal == r.URL.Query().Get("principal") {
				_ = enc.Encode(rec)
			}
		}
	}))
	t.Cleanup(srv.Close)
	return srv, &last
}

func runGenerate(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := runPolicyGenerate(context.Background(), args, IO{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb})
	return code, out.String(), errb.String()
}

func TestPolicyGenerate(t *testing.T) {
	alice := "arn:aws:iam::123456789012:user/alice"
	recs := []decisions.Record{
		{Seq: 1, Principal: alice, Action: "iam:GetUser", Resource: "arn:aws:iam::123456789012:user/alice", Decision: "implicitDeny"},
		{Seq: 2, Principal: alice, Action: "iam:ListUsers", Resource: "arn:aws:iam::123456789012:user/", Decision: "allowed"},
		{Seq: 3, Principal: "arn:aws:iam::123456789012:user/bob", Action: "iam:DeleteUser", Resource: "*", Decision: "allowed"},
	}
	srv, last := decisionServer(t, recs)

	code, out, errs := runGenerate("--principal", alice, "--endpoint", srv.URL, "--since", "0")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if !strings.Contains(*last, "since=0") || !strings.Contains(*last, "principal=arn%3Aaws%3Aiam%3A%3A123456789012%3Auser%2Falice") {
		t.Errorf("query: got %s, want principal and since", *last)
	}
	want, _ := decisions.Generate(recs[:2])
	if strings.TrimSpace(out) != string(want) {
		t.Errorf("policy: got\n%s\nwant\n%s", out, want)
	}
	if strings.Contains(out, "DeleteUser") {
		t.Errorf("bob's action leaked into alice's policy:\n%s", out)
	}

	// The endpoint comes from DIR/endpoint.json, which serve writes.
	dir := t.TempDir()
	info := endpointInfo{Listen: strings.TrimPrefix(srv.URL, "http://"), Region: "us-east-1", Mode: "emulator"}
	b, _ := json.Marshal(info)
	if err := os.WriteFile(filepath.Join(dir, endpointFile), b, 0o644); err != nil {
		t.Fatal(err)
	}
	if code, out2, errs := runGenerate("--principal", alice, "--data", dir); code != 0 || out2 != out {
		t.Errorf("--data: exit %d %s, got\n%s", code, errs, out2)
	}

	for _, tc := range []struct {
		note     string
		args     []string
		code     int
		inStderr string
	}{
		{"no principal", []string{"--endpoint", srv.URL}, 2, "usage"},
		{"a principal with no decisions", []string{"--principal", "arn:aws:iam::123456789012:user/carol", "--endpoint", srv.URL}, 1, "no decisions recorded"},
		{"a production server has no decision log", []string{"--principal", alice, "--endpoint", srv.URL + "/elsewhere"}, 1, "--mode emulator"},
		{"a bad --since", []string{"--principal", alice, "--endpoint", srv.URL, "--since", "soon"}, 2, "--since"},
	} {
		code, _, errs := runGenerate(tc.args...)
		if code != tc.code || !strings.Contains(errs, tc.inStderr) {
			t.Errorf("%s: got exit %d %q, want %d with %q", tc.note, code, errs, tc.code, tc.inStderr)
		}
	}
}

func FuzzReadDecisions(f *testing.F) {
	f.Add([]byte(`{"seq":1,"principal":"p","action":"iam:GetUser","resource":"*","decision":"allowed"}` + "\n\n"))
	f.Add([]byte("not json\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		recs, err := readDecisions(bytes.NewReader(b))
		if err != nil {
			return
		}
		if _, err := decisions.Generate(recs); err != nil {
			t.Fatalf("Generate of decoded records: %v", err)
		}
	})
}
