package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"gatehouse/internal/analyzer"
	"gatehouse/internal/decisions"
	"gatehouse/internal/policy"
)

func init() {
	policyCommands["generate"] = command{
		summary: "print a least-privilege policy from what a principal did (emulator mode's decisions)",
		run:     runPolicyGenerate,
	}
}

// runPolicyGenerate is `gatehouse policy generate --principal ARN [--since T] [--data DIR |
// --endpoint URL]`: it reads the decisions the running emulator recorded for the principal
// (GET /_gatehouse/decisions) and prints the minimal identity policy that allows all of
// them (decisions.Generate), checked with the same analyzer as `policy validate`.
func runPolicyGenerate(ctx context.Context, args []string, std IO) int {
	fs := newFlagSet("policy generate", std)
	principal := fs.String("principal", "", "the principal's ARN: a user, a role (what its sessions did), or one assumed-role session")
	since := fs.String("since", "", "only decisions after this: a sequence number, an RFC 3339 time, or a duration ago (10m)")
	data := fs.String("data", "./gatehouse-data", "the state directory of the running server (its endpoint.json)")
	endpoint := fs.String("endpoint", "", "the server's URL (default: read from DIR/endpoint.json)")
	if err := parseWithEnv(fs, args, osGetenv); err != nil {
		return 2
	}
	if *principal == "" || fs.NArg() > 0 {
		fmt.Fprintln(std.Stderr, "usage: gatehouse policy generate --principal ARN [--since T] [--data DIR | --endpoint URL]")
		return 2
	}
	sinceParam, err := sinceQuery(*since, time.Now())
	if err != nil {
		fmt.Fprintf(std.Stderr, "gatehouse policy generate: --since: %v\n", err)
		return 2
	}
	base := *endpoint
	if base == "" {
		dir, err := filepath.Abs(*data)
		if err == nil {
			var info endpointInfo
			info, err = readEndpointInfo(dir)
			base = "http://" + info.Listen
		}
		if err != nil {
			fmt.Fprintf(std.Stderr, "gatehouse policy generate: %v\n", err)
			return 1
		}
	}
	recs, err := fetchDecisions(ctx, base, *principal, sinceParam)
	if err != nil {
		fmt.Fprintf(std.Stderr, "gatehouse policy generate: %v\n", err)
		return 1
	}
	if len(recs) == 0 {
		fmt.Fprintf(std.Stderr, "gatehouse policy generate: no decisions recorded for %s (is the server in emulator mode?)\n", *principal)
		return 1
	}
	doc, err := decisions.Generate(recs)
	if err != nil {
		fmt.Fprintf(std.Stderr, "gatehouse policy generate: %v\n", err)
		return 1
	}
	if fs := analyzer.Analyze(doc, policy.Identity); analyzer.HasError(fs) {
		// Generate's own output must always be valid; say so loudly if it is not.
		fmt.Fprintf(std.Stderr, "gatehouse policy generate: the generated policy does not validate: %v\n", fs)
		return 1
	}
	_, _ = std.Stdout.Write(append(doc, '\n'))
	return 0
}

// sinceQuery turns --since into the server's since parameter: a sequence number as is, an
// RFC 3339 time, or a Go duration counted back from now.
func sinceQuery(s string, now time.Time) (string, error) {
	if s == "" {
		return "", nil
	}
	if _, err := strconv.ParseUint(s, 10, 64); err == nil {
		return s, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC().Format(time.RFC3339Nano), nil
	}
	if d, err := time.ParseDuration(s); err == nil && d >= 0 {
		return now.Add(-d).UTC().Format(time.RFC3339Nano), nil
	}
	return "", fmt.Errorf("want a sequence number, an RFC 3339 time or a duration, got %q", s)
}

// fetchDecisions reads every decision of principal from the server, as JSON lines.
func fetchDecisions(ctx context.Context, base, principal, since string) ([]decisions.Record, error) {
	q := url.Values{"principal": {principal}}
	if since != "" {
		q.Set("since", since)
	}
	u := strings.TrimRight(base, "/") + "/_gatehouse/decisions?" + q.Encode()
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNotFound {
		return nil, errors.New("the server at " + base + " records no decisions: start it with --mode emulator")
	}
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<10))
		return nil, fmt.Errorf("GET %s: %s: %s", u, resp.Status, strings.TrimSpace(string(b)))
	}
	return readDecisions(resp.Body)
}

// readDecisions decodes JSON lines of decisions.Record.
func readDecisions(r io.Reader) ([]decisions.Record, error) {
	var out []decisions.Record
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for n := 1; sc.Scan(); n++ {
		line := sc.Bytes()
		if len(strings.TrimSpace(string(line))) == 0 {
			continue
		}
		var rec decisions.Record
		if err := json.Unmarshal(line, &rec); err != nil {
			return nil, fmt.Errorf("decision line %d: %w", n, err)
		}
		out = append(out, rec)
	}
	return out, sc.Err()
}
