// Package server owns Gatehouse's HTTP edge: routing a request to the service named in its
// signing scope, authentication (SigV4), authorization (the policy engine, for every call,
// IAM's own included), dispatch to the domain, and rendering every error as AWS does.
//
// A request's way through (DESIGN.md, "A request's way through"): read the body once,
// bounded → route by the credential scope → verify SigV4 with the key from the cache or the
// store → the caller's principal → decode and validate the operation's input from the API
// model → build the authorization request (action, resource ARN, context keys) → decide
// with the principal's cached, compiled policies → the handler → encode the output. Errors
// travel as Go errors and become AWS error documents in awsproto, once.
package server

import (
	"context"
	"encoding/json"
	"gatehouse/internal/arn"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"gatehouse/internal/awserr"
	"gatehouse/internal/awsproto"
	"gatehouse/internal/awsproto/model"
	"gatehouse/internal/ec2"
	"gatehouse/internal/iam"
	"gatehouse/internal/oidc"
	"gatehouse/internal/policy"
	"gatehouse/internal/sigv4"
	"gatehouse/internal/sts"
)

// Config is what the edge needs to serve; zero fields are filled by withDefaults.
type Config struct {
	Region string
	Mode   string // "production" or "emulator"
	Logger *slog.Logger
	Now    func() time.Time
	// IAM is the IAM domain; required.
	IAM *iam.Service
	// STS issues and opens temporary credentials; nil serves no STS and accepts no
	// temporary credentials.
	STS *sts.Service
	// EC2 is the EC2 domain; nil serves no EC2.
	EC2 *ec2.Service
	// Enforce is emulator mode's enforcement level (emulator.go); production ignores it.
	Enforce Enforce
	// Account is emulator mode's default account: the one an unknown access key that does
	// not name an account acts as the root of.
	Account string
	// DecisionCapacity bounds emulator mode's decision log (decisions.DefaultCapacity when 0).
	DecisionCapacity int
	// OIDC verifies AssumeRoleWithWebIdentity's tokens; nil builds one that trusts the
	// system's roots and each IAM OIDC provider's thumbprints.
	OIDC *oidc.Verifier
}

func (c Config) withDefaults() Config {
	if c.Region == "" {
		c.Region = "us-east-1"
	}
	if c.Mode == "" {
		c.Mode = "production"
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Account == "" {
		c.Account = "123456789012"
	}
	if c.OIDC == nil {
		c.OIDC = oidc.NewVerifier(oidc.Options{Now: c.Now})
	}
	return c
}

// Server is the API endpoint's handler. It is safe for concurrent use.
type Server struct {
	cfg      Config
	started  time.Time
	mux      *http.ServeMux
	metrics  *metrics
	verifier *sigv4.Verifier
	iam      *iam.Service
	keys     *keyCache
	policies *policyCache
	targets  targetCache
	iamCalls map[string]iamMethod
	sts      *sts.Service
	sessions *sessionCaches
	emu      *emulator // nil in production mode
	webid    *oidc.Verifier
	bufs     sync.Pool // *[]byte response buffers
}

// New returns a server ready to handle requests.
func New(cfg Config) *Server {
	cfg = cfg.withDefaults()
	s := &Server{
		cfg:     cfg,
		started: cfg.Now(),
		mux:     http.NewServeMux(),
		metrics: newMetrics(),
		iam:     cfg.IAM,
		verifier: sigv4.New(sigv4.Options{
			Now: cfg.Now,
			// Gatehouse serves one region; IAM is global and the SDKs sign it for
			// us-east-1 on AWS, but for the configured region at a custom endpoint, so
			// either is accepted for IAM.
			RegionFor: nil,
		}),
		keys:     newKeyCache(),
		policies: newPolicyCache(policy.NewCache()),
		sts:      cfg.STS,
		sessions: newSessionCaches(),
		webid:    cfg.OIDC,
	}
	if cfg.IAM != nil {
		s.iamCalls = iamMethods(cfg.IAM)
	}
	s.bufs.New = func() any { b := make([]byte, 0, 4096); return &b }
	s.mux.HandleFunc("GET /_gatehouse/health", s.health)
	if cfg.Mode == "emulator" {
		s.emu = newEmulator(cfg)
		s.mux.HandleFunc("GET /_gatehouse/decisions", s.serveDecisions)
	}
	s.mux.HandleFunc("GET /_gatehouse/metrics", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		s.metrics.write(w)
	})
	return s
}

// Invalidate drops what a committed IAM change made stale; the wiring passes it to
// iam.Options.OnChange.
func (s *Server) Invalidate(c iam.Change) {
	for _, k := range c.AccessKeys {
		s.keys.drop(k)
	}
	for _, p := range c.Principals {
		s.policies.drop(p)
	}
}

// health answers once the server is ready; DESIGN.md's reserved path /_gatehouse/health.
func (s *Server) health(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{
		"status": "ok",
		"mode":   s.cfg.Mode,
		"region": s.cfg.Region,
		"uptime": s.cfg.Now().Sub(s.started).Round(time.Millisecond).String(),
	})
}

// call is one API request on its way through.
type call struct {
	r         *http.Request
	requestID string
	start     time.Time
	body      []byte
	service   *awsproto.Service // nil until routed
	action    string
	caller    *caller
	enforce   Enforce // emulator mode's level for this request; Strict in production
	fullAuth  bool    // emulator mode: a moto reset-auth window has run out; unknown keys are refused
	noAuth    bool    // emulator mode: inside a moto reset-auth window; no signature or date is checked
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/_gatehouse/") {
		s.mux.ServeHTTP(w, r)
		return
	}
	if isMotoPath(r.URL.Path) {
		// moto server's control API exists only in emulator mode; in production an unsigned
		// request for it is simply not found (a signed one is an S3 request like any other).
		if s.emu != nil {
			s.serveMoto(w, r)
			return
		}
		if r.Header.Get("Authorization") == "" && r.URL.Query().Get("X-Amz-Signature") == "" {
			http.NotFound(w, r)
			return
		}
	}
	c := &call{r: r, requestID: newRequestID(), start: time.Now()}
	err := s.serveAPI(w, c)
	code := ""
	if err != nil {
		code = s.writeError(w, c, err)
	}
	svc := "unknown"
	if c.service != nil {
		svc = c.service.Name
	}
	s.metrics.observeRequest(svc, c.action, code, time.Since(c.start))
}

// writeError renders err as the error document the request's client reads (the routed
// service's, or JSON for an awsJson request: awsproto.ErrorService) and logs it: client
// mistakes at debug level, server faults with their full internal detail.
func (s *Server) writeError(w http.ResponseWriter, c *call, err error) string {
	svc := c.service
	if svc == nil {
		svc = awsproto.IAM
	}
	svc = awsproto.ErrorService(svc, c.r.Header)
	bp := s.bufs.Get().(*[]byte)
	b, ae := awsproto.AppendError((*bp)[:0], svc, err, c.requestID)
	h := w.Header()
	awsproto.SetErrorHeaders(h, svc, ae, c.requestID)
	h.Set("x-amzn-RequestId", c.requestID)
	w.WriteHeader(ae.Status)
	_, _ = w.Write(b)
	*bp = b
	s.bufs.Put(bp)
	attrs := []any{"request_id", c.requestID, "service", svc.Name, "action", c.action, "code", ae.Code, "status", ae.Status}
	if c.caller != nil {
		attrs = append(attrs, "caller", c.caller.principal.ARN)
	}
	if ae.Status >= 500 {
		s.cfg.Logger.Error("request failed", append(attrs, "err", err.Error())...)
	} else {
		s.cfg.Logger.Debug("request refused", append(attrs, "message", ae.Message)...)
	}
	return ae.Code
}

// writeOK writes the routed service's response document for op's output out.
func (s *Server) writeOK(w http.ResponseWriter, c *call, op model.Operation, out any) {
	bp := s.bufs.Get().(*[]byte)
	b := c.service.AppendResponse((*bp)[:0], op, out, c.requestID)
	h := w.Header()
	h.Set("Content-Type", "text/xml")
	h.Set("x-amzn-RequestId", c.requestID)
	_, _ = w.Write(b)
	if cap(b) <= 1<<20 { // keep pooled buffers bounded
		*bp = b
		s.bufs.Put(bp)
	}
	if s.cfg.Logger.Enabled(context.Background(), slog.LevelDebug) {
		who := "anonymous" // AssumeRoleWithSAML and AssumeRoleWithWebIdentity come unsigned
		if c.caller != nil {
			who = c.caller.principal.ARN
		}
		s.cfg.Logger.Debug("request", "request_id", c.requestID, "service", c.service.Name, "action", op.Name,
			"caller", who, "duration", time.Since(c.start))
	}
}

// serveAPI authenticates and routes one AWS API request.
func (s *Server) serveAPI(w http.ResponseWriter, c *call) error {
	body, err := readBody(c.r, maxQueryBody)
	if err != nil {
		return err
	}
	c.body = body
	sreq, err := s.verifier.Parse(c.r)
	sreq, skew, err := s.emulatorDate(c, sreq, err)
	if sreq != nil && sreq.Unsigned {
		// An unsigned Query request: route by its Action, for the error document or, for the
		// STS actions that take an identity provider's proof instead of a signature, to STS.
		c.service = s.unsignedService(c)
		if c.service == awsproto.STS && unsignedSTS(c.action) {
			return s.serveSTS(w, c)
		}
		return err
	}
	if err != nil {
		if sreq != nil {
			c.service = serviceFor(sreq.Service)
		}
		return err
	}
	c.service = serviceFor(sreq.Service)
	if c.service == nil {
		return awserr.New(400, "InvalidAction", "Gatehouse does not serve the service %q named in the credential scope.", sreq.Service)
	}
	if s.emu != nil {
		c.enforce, c.fullAuth, c.noAuth = s.emu.admitWindow()
	}
	caller, err := s.authenticate(c, sreq)
	if skew != nil && (err != nil || !caller.emulated && !c.noAuth) {
		return skew // only the stand-in root's requests may be dated anywhere (emulatorDate)
	}
	if err != nil {
		return err
	}
	if s.emu == nil && caller.principal.Partition != "" && arn.PartitionOf(sreq.Region) != caller.principal.Partition {
		// A key exists in one partition only: AWS's China or GovCloud endpoints do not know
		// an aws-partition key and answer as for any unknown key
		// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html, partitions).
		// The emulator instead gives its stand-in root every partition (rootPartition).
		return sreq.UnknownAccessKey()
	}
	c.caller = caller
	switch c.service {
	case awsproto.IAM:
		return s.serveIAM(w, c)
	case awsproto.STS:
		return s.serveSTS(w, c)
	case awsproto.EC2:
		return s.serveEC2(w, c)
	default:
		return awserr.InvalidAction("Gatehouse does not serve %s requests yet.", strings.ToUpper(c.service.Name))
	}
}

func serviceFor(scope string) *awsproto.Service {
	switch scope {
	case "iam":
		return awsproto.IAM
	case "sts":
		return awsproto.STS
	case "ec2":
		return awsproto.EC2
	case "s3":
		return awsproto.S3
	}
	return nil
}

func (s *Server) unsignedService(c *call) *awsproto.Service {
	action := c.r.URL.Query().Get("Action")
	if action == "" && isForm(c.r) {
		if v, err := parseForm(c.body); err == nil {
			action = v.Get("Action")
		}
	}
	if action == "" {
		return awsproto.S3
	}
	c.action = action
	for _, svc := range []*awsproto.Service{awsproto.IAM, awsproto.STS, awsproto.EC2} {
		if _, ok := svc.Operations[action]; ok {
			return svc
		}
	}
	return awsproto.IAM
}
