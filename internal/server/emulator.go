package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"gatehouse/internal/arn"
	"gatehouse/internal/authz"
	"gatehouse/internal/decisions"
	"gatehouse/internal/ec2"
	"gatehouse/internal/iam"
	"gatehouse/internal/sigv4"
	"gatehouse/internal/sts"
)

// Enforce is emulator mode's enforcement level (DESIGN.md, "Modes"). The zero value is
// Strict, production's behaviour, so a Config that does not say otherwise enforces.
type Enforce uint8

const (
	// Strict enforces every decision for keys Gatehouse issued, exactly as production mode
	// does. An access key Gatehouse does not know still acts as an account's root, as in
	// moto server, whose default is no authentication at all (INITIAL_NO_AUTH_ACTION_COUNT
	// = inf), so a suite written for moto runs unchanged; only once a /moto-api/reset-auth
	// window runs out is such a key InvalidClientTokenId.
	Strict Enforce = iota
	// Soft evaluates and records every decision and allows the would-be denials, logging
	// each one; unknown access keys act as an account's root, as with Off.
	Soft
	// Off lets an unknown access key act as the root of an account without checking its
	// signature; decisions are still evaluated and recorded, never enforced.
	Off
)

func (e Enforce) String() string {
	switch e {
	case Strict:
		return "strict"
	case Soft:
		return "soft"
	case Off:
		return "off"
	}
	return fmt.Sprintf("Enforce(%d)", uint8(e))
}

// ParseEnforce reads the --enforce flag.
func ParseEnforce(s string) (Enforce, error) {
	switch s {
	case "strict":
		return Strict, nil
	case "soft":
		return Soft, nil
	case "off":
		return Off, nil
	}
	return Strict, fmt.Errorf("enforcement level must be off, soft or strict, not %q", s)
}

// emulator is the state emulator mode adds to the server: the decision log, the accounts
// known to exist, and moto's no-auth window.
type emulator struct {
	enforce        Enforce
	defaultAccount string
	log            *decisions.Log

	accounts sync.Map // account ID → struct{}: exists in the store

	// moto server's INITIAL_NO_AUTH_ACTION_COUNT and ActionAuthenticatorMixin.request_count
	// (moto/core/authorization.py): while count < limit a request passes unauthenticated and
	// increments count; once count ≥ limit every request is enforced. +Inf, moto's default,
	// leaves the configured level in force.
	mu    sync.Mutex
	limit float64
	count float64
}

func newEmulator(cfg Config) *emulator {
	return &emulator{enforce: cfg.Enforce, defaultAccount: cfg.Account, log: decisions.NewLog(cfg.DecisionCapacity),
		limit: math.Inf(1)}
}

// admit returns the enforcement level of one API request, counting it against moto's
// no-auth window as moto's _authenticate_and_authorize_action does, and whether the window
// has run out (then every request is authenticated in full, unknown keys refused).
func (e *emulator) admit() (Enforce, bool) {
	lvl, full, _ := e.admitWindow()
	return lvl, full
}

// admitWindow is admit that also reports whether the request falls inside a reset-auth
// window. moto lets such a request through with no authentication at all: it neither
// checks the signature nor the date, whoever's key signed it (moto/core/authorization.py,
// _authenticate_and_authorize_action only calls check_signature once the count is
// reached), so a suite may make setup calls through a client whose secret is wrong and
// expect SignatureDoesNotMatch only after the window (moto's test_auth.py,
// test_s3_signature_does_not_match).
func (e *emulator) admitWindow() (lvl Enforce, full, window bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if math.IsInf(e.limit, 1) {
		return e.enforce, false, false
	}
	// Python's `request_count >= INITIAL_NO_AUTH_ACTION_COUNT`: false for NaN, as in moto.
	if e.count >= e.limit {
		return Strict, true, false
	}
	e.count++
	return Off, false, true
}

// resetAuth sets the no-auth window and returns the previous limit (moto's reset_auth_response).
func (e *emulator) resetAuth(limit float64) float64 {
	e.mu.Lock()
	defer e.mu.Unlock()
	prev := e.limit
	e.limit, e.count = limit, 0
	return prev
}

// level returns the enforcement level of c: Strict outside emulator mode.
func (s *Server) level(c *call) Enforce {
	if s.emu == nil {
		return Strict
	}
	return c.enforce
}

// emulatesUnknownKeys reports whether an access key Gatehouse does not know acts as a root:
// in emulator mode, at every level, until a moto reset-auth window has run out.
func (s *Server) emulatesUnknownKeys(c *call) bool { return s.emu != nil && !c.fullAuth }

// unknownKey decides what an access key Gatehouse did not issue (or a session token that
// does not open) does: in emulator mode it acts as the root of an account — the one moto's
// x-moto-account-id header names, else a 12-digit key ID's, else the default account
// (unknownKeyAccount) — without its signature being checked; otherwise it is
// InvalidClientTokenId.
func (s *Server) unknownKey(c *call, sreq *sigv4.Request) (*caller, error) {
	if !s.emulatesUnknownKeys(c) {
		return nil, sreq.UnknownAccessKey()
	}
	account, err := s.unknownKeyAccount(c, sreq)
	if err != nil {
		return nil, err
	}
	if err := s.ensureAccount(c.r.Context(), account); err != nil {
		return nil, err
	}
	part := arn.PartitionOf(sreq.Region)
	root := "arn:" + part + ":iam::" + account + ":root"
	return &caller{
		principal: authz.Principal{Kind: authz.Root, ARN: root, Partition: part, Account: account, UserID: account},
		account:   iam.Account{ID: account, Partition: part, Caller: root},
		keyID:     sreq.AccessKeyID,
		root:      true,
		emulated:  true,
	}, nil
}

// unknownSession reports whether a request's session token is one Gatehouse cannot open
// (moto's suites sign with AWS_SESSION_TOKEN=testing): in emulator mode such a
// request is an unknown key. An expired token of Gatehouse's own stays ExpiredToken.
func (s *Server) unknownSession(c *call, sreq *sigv4.Request) bool {
	if !s.emulatesUnknownKeys(c) {
		return false
	}
	if !strings.HasPrefix(sreq.AccessKeyID, "ASIA") && s.issuedKey(c.r.Context(), sreq.AccessKeyID) {
		// A long-term key Gatehouse issued, presented with a token, is refused as AWS refuses
		// it; it does not turn into the root.
		return false
	}
	if s.sts == nil || sreq.SecurityToken == "" {
		return true
	}
	_, err := s.openSession(c.r.Context(), sreq.AccessKeyID, sreq.SecurityToken)
	return err != nil && !errors.Is(err, sts.ErrExpiredToken)
}

// issuedKey reports whether id is a long-term access key Gatehouse issued.
func (s *Server) issuedKey(ctx context.Context, id string) bool {
	if s.keys.get(id) != nil {
		return true
	}
	_, err := s.iam.LookupAccessKey(ctx, id)
	return err == nil
}

// ensureAccount creates an account on first use (iam.Bootstrap is idempotent); known
// accounts cost a map lookup.
func (s *Server) ensureAccount(ctx context.Context, account string) error {
	if _, ok := s.emu.accounts.Load(account); ok {
		return nil
	}
	if _, err := s.iam.Bootstrap(ctx, account); err != nil {
		return err
	}
	s.emu.accounts.Store(account, struct{}{})
	return nil
}

// rootPartition gives an account root the partition of the region the request was signed
// for: in emulator mode an account exists in every partition, so a request signed for
// cn-north-1 gets aws-cn ARNs (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html).
// Users and roles keep the partition they were created in.
func (s *Server) rootPartition(cl *caller, region string) {
	if s.emu == nil || !cl.root || cl.session != nil {
		return
	}
	part := arn.PartitionOf(region)
	if part == cl.principal.Partition {
		return
	}
	cl.principal.Partition = part
	cl.principal.ARN = "arn:" + part + ":iam::" + cl.account.ID + ":root"
	cl.account.Partition = part
	cl.account.Caller = cl.principal.ARN
}

// denies reports whether the evaluated request must be refused. In production it is the
// decision itself; in emulator mode every decision is also recorded, and below Strict a
// would-be denial is allowed (Soft logs it with the whole decision).
func (s *Server) denies(c *call, req *authz.Request, res *authz.Result) bool {
	denied := res.Decision != authz.Allowed
	if !denied {
		s.recordAccess(c, req.Action)
	}
	if s.emu == nil {
		return denied
	}
	lvl := c.enforce
	enforced := !denied || lvl == Strict
	r := decisions.Record{
		Time:      s.cfg.Now().UTC(),
		RequestID: c.requestID,
		Principal: req.Principal.ARN,
		Action:    req.Action,
		Resource:  req.Resource,
		Decision:  res.Decision.String(),
		Enforced:  enforced,
		Message:   res.Message(),
	}
	if denied {
		r.DeniedBy = res.DeniedBy.String()
	}
	for _, m := range res.Matched {
		r.Matched = append(r.Matched, decisions.Matched{Policy: m.Policy, Sid: m.Sid, Effect: m.Effect.String()})
	}
	if req.Context != nil {
		keys := req.Context.Keys()
		r.Context = make(map[string][]string, len(keys))
		for _, k := range keys {
			v, _ := req.Context.Values(k)
			r.Context[k] = v
		}
	}
	seq := s.emu.log.Add(r)
	if denied && lvl == Soft {
		s.cfg.Logger.Warn("soft enforcement: would deny", "seq", seq, "request_id", c.requestID,
			"principal", r.Principal, "action", r.Action, "resource", r.Resource, "decision", r.Decision,
			"denied_by", r.DeniedBy, "matched", r.Matched, "context", r.Context, "message", r.Message)
	}
	return denied && lvl == Strict
}

// rootAllowed records, in emulator mode, a request of an account root, which identity
// policies do not govern (the caller counts the decision in the metrics, as production does).
func (s *Server) rootAllowed(c *call, action, resource string) {
	if s.emu == nil {
		return
	}
	s.emu.log.Add(decisions.Record{Time: s.cfg.Now().UTC(), RequestID: c.requestID,
		Principal: c.caller.principal.ARN, Action: action, Resource: resource, Decision: "allowed", Enforced: true})
}

// Reset is moto's /moto-api/reset: every account is emptied, all in one transaction
// (iam.ResetAll: the accounts and their root keys stay, so the credentials file keeps
// working), every instance is terminated, and every cache of the edge is dropped. The
// decision log is kept: it records what a test suite did across its per-test resets, which
// policy generation needs.
func (s *Server) Reset(ctx context.Context) error {
	if err := s.iam.ResetAll(ctx); err != nil {
		return err
	}
	if s.cfg.EC2 != nil {
		if err := terminateAll(ctx, s.cfg.EC2); err != nil {
			return err
		}
	}
	s.keys.mu.Lock()
	clear(s.keys.m)
	s.keys.mu.Unlock()
	s.policies.mu.Lock()
	clear(s.policies.m)
	s.policies.mu.Unlock()
	s.targets.mu.Lock()
	clear(s.targets.m)
	s.targets.mu.Unlock()
	s.sessions.mu.Lock()
	clear(s.sessions.opened)
	clear(s.sessions.sources)
	clear(s.sessions.sessions)
	s.sessions.mu.Unlock()
	return nil
}

func terminateAll(ctx context.Context, svc *ec2.Service) error {
	live, err := svc.All(ctx)
	if err != nil {
		return err
	}
	byAccount := map[ec2.Account][]string{}
	for _, in := range live {
		a := ec2.Account{ID: in.Account, Partition: in.Partition, Caller: "gatehouse:reset"}
		byAccount[a] = append(byAccount[a], in.ID)
	}
	for a, ids := range byAccount {
		if _, err := svc.Terminate(ctx, a, ids); err != nil {
			return fmt.Errorf("terminating the instances of %s: %w", a.ID, err)
		}
	}
	return nil
}

// isMotoPath reports whether p is one of moto server's control paths that Gatehouse serves.
func isMotoPath(p string) bool { return p == "/moto-api/reset" || p == "/moto-api/reset-auth" }

// serveMoto answers moto server's control API byte for byte as moto 5.2.1's
// moto_api/_internal/responses.py does (json.dumps with its default separators).
func (s *Server) serveMoto(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	switch r.URL.Path {
	case "/moto-api/reset":
		if r.Method != http.MethodPost {
			w.WriteHeader(http.StatusBadRequest)
			_, _ = io.WriteString(w, `{"Error": "Need to POST to reset Moto"}`)
			return
		}
		start := time.Now()
		if err := s.Reset(r.Context()); err != nil {
			s.cfg.Logger.Error("moto-api reset", "err", err.Error())
			w.WriteHeader(http.StatusInternalServerError)
			_, _ = io.WriteString(w, `{"Error": "reset failed"}`)
			return
		}
		s.cfg.Logger.Info("moto-api reset", "duration", time.Since(start))
		_, _ = io.WriteString(w, `{"status": "ok"}`)
	case "/moto-api/reset-auth":
		if r.Method != http.MethodPost {
			w.WriteHeader(http.StatusBadRequest)
			_, _ = io.WriteString(w, `{"Error": "Need to POST to reset Moto Auth"}`)
			return
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<10))
		if err != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		n, err := parsePythonFloat(string(body))
		if err != nil {
			// moto raises ValueError (a 500); Gatehouse says what was wrong instead.
			w.WriteHeader(http.StatusBadRequest)
			msg, _ := json.Marshal("could not convert string to float: " + pythonQuote(string(body)))
			_, _ = fmt.Fprintf(w, `{"Error": %s}`, msg)
			return
		}
		prev := s.emu.resetAuth(n)
		s.cfg.Logger.Info("moto-api reset-auth", "initial_no_auth_action_count", formatPythonFloat(n))
		q, _ := json.Marshal(formatPythonFloat(prev))
		_, _ = fmt.Fprintf(w, `{"status": "ok", "PREVIOUS_INITIAL_NO_AUTH_ACTION_COUNT": %s}`, q)
	}
}

// serveDecisions is GET /_gatehouse/decisions: the recorded decisions as JSON lines, oldest
// first. Parameters: denied=true (only denials), principal=ARN, since=SEQ (records after
// that cursor, the last seq a reader saw) or since=RFC3339 time, limit=N.
func (s *Server) serveDecisions(w http.ResponseWriter, r *http.Request) {
	q, err := decisionQuery(r.URL.Query())
	if err != nil {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		_ = json.NewEncoder(w).Encode(map[string]string{"error": err.Error()})
		return
	}
	recs := s.emu.log.Select(q)
	w.Header().Set("Content-Type", "application/x-ndjson")
	enc := json.NewEncoder(w)
	for i := range recs {
		if err := enc.Encode(&recs[i]); err != nil {
			return
		}
	}
}

func decisionQuery(v map[string][]string) (decisions.Query, error) {
	var q decisions.Query
	get := func(k string) string {
		if vs := v[k]; len(vs) > 0 {
			return vs[0]
		}
		return ""
	}
	switch d := get("denied"); d {
	case "", "false":
	case "true":
		q.Denied = true
	default:
		return q, fmt.Errorf("denied must be true or false, not %q", d)
	}
	q.Principal = get("principal")
	if since := get("since"); since != "" {
		if n, err := strconv.ParseUint(since, 10, 64); err == nil {
			q.After = n
		} else if t, err := time.Parse(time.RFC3339Nano, since); err == nil {
			q.Since = t
		} else {
			return q, fmt.Errorf("since must be a sequence number or an RFC 3339 time, not %q", since)
		}
	}
	if l := get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 0 {
			return q, fmt.Errorf("limit must be a non-negative integer, not %q", l)
		}
		q.Limit = n
	}
	return q, nil
}

var errNotAFloat = errors.New("not a float")

// parsePythonFloat parses what Python's float(str) accepts, as moto's reset-auth reads its
// body: surrounding whitespace, an optional sign, decimal digits with single underscores
// between digits, a fraction and exponent, or inf/infinity/nan in any case. Go's
// ParseFloat also accepts hexadecimal and "0x" forms and different underscore rules, so
// the text is checked here first.
func parsePythonFloat(s string) (float64, error) {
	s = strings.TrimSpace(s)
	body := strings.TrimLeft(s, "+-")
	if len(s)-len(body) > 1 || body == "" {
		return 0, errNotAFloat
	}
	switch strings.ToLower(body) {
	case "inf", "infinity", "nan":
		return strconv.ParseFloat(s, 64)
	}
	var clean strings.Builder
	digits, prevDigit := 0, false
	seenDot, seenExp := false, false
	for i := 0; i < len(body); i++ {
		ch := body[i]
		switch {
		case ch >= '0' && ch <= '9':
			clean.WriteByte(ch)
			digits++
			prevDigit = true
			continue
		case ch == '_':
			if !prevDigit || i+1 >= len(body) || body[i+1] < '0' || body[i+1] > '9' {
				return 0, errNotAFloat
			}
		case ch == '.' && !seenDot && !seenExp:
			seenDot = true
			clean.WriteByte(ch)
		case (ch == 'e' || ch == 'E') && !seenExp && digits > 0:
			seenExp = true
			clean.WriteByte('e')
			if i+1 < len(body) && (body[i+1] == '+' || body[i+1] == '-') {
				i++
				clean.WriteByte(body[i])
			}
			if i+1 >= len(body) {
				return 0, errNotAFloat
			}
		default:
			return 0, errNotAFloat
		}
		prevDigit = false
	}
	if digits == 0 {
		return 0, errNotAFloat
	}
	f, err := strconv.ParseFloat(clean.String(), 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return 0, errNotAFloat
	}
	if s[0] == '-' {
		f = -f
	}
	return f, nil
}

// formatPythonFloat is Python's str(float): the shortest repr, "inf", "-inf", "nan",
// integral values with ".0", and scientific notation ("1e+16", "1e-05") when the decimal
// exponent is < -4 or ≥ 16 (Python's float_repr_style "short").
func formatPythonFloat(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	case math.IsNaN(f):
		return "nan"
	}
	e := strconv.FormatFloat(f, 'e', -1, 64) // d.ddde±XX
	mant, exps, _ := strings.Cut(e, "e")
	exp, _ := strconv.Atoi(exps)
	neg := strings.HasPrefix(mant, "-")
	mant = strings.TrimPrefix(mant, "-")
	digits := strings.Replace(mant, ".", "", 1)
	decpt := exp + 1 // position of the decimal point relative to digits
	var out string
	if decpt <= -4 || decpt > 16 {
		m := digits[:1]
		if len(digits) > 1 {
			m += "." + digits[1:]
		}
		sign := "+"
		if exp < 0 {
			sign, exp = "-", -exp
		}
		out = fmt.Sprintf("%se%s%02d", m, sign, exp)
	} else if decpt <= 0 {
		out = "0." + strings.Repeat("0", -decpt) + digits
	} else if decpt >= len(digits) {
		out = digits + strings.Repeat("0", decpt-len(digits)) + ".0"
	} else {
		out = digits[:decpt] + "." + digits[decpt:]
	}
	if neg {
		out = "-" + out
	}
	return out
}

// pythonQuote is Python's repr of a str, as its ValueError message shows the input.
func pythonQuote(s string) string {
	if strings.Contains(s, "'") && !strings.Contains(s, `"`) {
		return `"` + s + `"`
	}
	return "'" + strings.ReplaceAll(s, "'", `\'`) + "'"
}
