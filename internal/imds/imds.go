// Package imds owns Gatehouse's instance metadata service: for each instance, an HTTP
// endpoint that answers the paths of EC2's IMDS (IMDSv1 and IMDSv2's session tokens) and
// vends the credentials of the role in the instance's instance profile, as a real STS
// session for arn:aws:sts::ACCOUNT:assumed-role/ROLE/INSTANCE-ID
// (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/instancedata-data-retrieval.html).
//
// Every request reads the instance as the store holds it now, so a changed, replaced or
// removed association, or new metadata options, apply to the very next request.
//
// Where the endpoints listen is the Host's business (host.go): one loopback listener per
// running instance, recorded in DATA/instances/ID.json, because the SDKs take the
// metadata endpoint as a base URL (AWS_EC2_METADATA_SERVICE_ENDPOINT) and append
// /latest/… to it, so every instance needs its own origin.
//
// HttpPutResponseHopLimit is stored and reported but not enforced: it limits how many IP
// hops the token response may travel, which has no meaning for a loopback listener.
package imds

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"gatehouse/internal/ec2"
	"gatehouse/internal/sts"
)

// Instances reads an instance as the store holds it now; ec2.Service implements it.
type Instances interface {
	Get(ctx context.Context, account, id string) (ec2.Instance, error)
}

// Roles finds the role in an instance profile; ok is false when the profile holds none
// (or no longer exists).
type Roles interface {
	ProfileRole(ctx context.Context, profileARN string) (role sts.Role, ok bool, err error)
}

// Issuer mints a session's credentials; sts.Service implements it.
type Issuer interface {
	Issue(sess *sts.Session) (sts.Credentials, error)
}

// Options configure a Service; zero fields are filled by withDefaults.
type Options struct {
	Instances Instances
	Roles     Roles
	Issuer    Issuer
	Now       func() time.Time
	Rand      io.Reader
	// SessionDuration is how long the credentials served live; AWS's instance credentials
	// last about six hours. Default 6h.
	SessionDuration time.Duration
	// RefreshAfter is the age at which the endpoint hands out fresh credentials; AWS makes
	// "new credentials available at least five minutes before the expiration of the old
	// credentials" (iam-roles-for-amazon-ec2.html#instance-metadata-security-credentials),
	// in practice about hourly. Default 1h.
	RefreshAfter time.Duration
}

func (o Options) withDefaults() Options {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Rand == nil {
		o.Rand = rand.Reader
	}
	if o.SessionDuration == 0 {
		o.SessionDuration = 6 * time.Hour
	}
	if o.RefreshAfter == 0 {
		o.RefreshAfter = time.Hour
	}
	return o
}

// minRemaining is the least lifetime credentials served may have left: AWS's five
// minutes, with margin.
const minRemaining = 15 * time.Minute

// Token TTL bounds for PUT /latest/api/token: "a minimum of one second, and a maximum of
// six hours" (configuring-instance-metadata-service.html).
const (
	minTokenTTL = 1
	maxTokenTTL = 21600
)

// Service answers metadata requests for every instance. It is safe for concurrent use.
type Service struct {
	opt Options
	key [32]byte // HMAC key of IMDSv2 session tokens, for this process's life

	mu    sync.Mutex
	creds map[string]*cached // by instance ID
}

type cached struct {
	assocID, roleARN string
	issued           time.Time
	c                sts.Credentials
}

// New returns a Service.
func New(o Options) (*Service, error) {
	if o.Instances == nil || o.Roles == nil || o.Issuer == nil {
		return nil, errors.New("imds: Options.Instances, Roles and Issuer are required")
	}
	s := &Service{opt: o.withDefaults(), creds: make(map[string]*cached)}
	if _, err := io.ReadFull(s.opt.Rand, s.key[:]); err != nil {
		return nil, fmt.Errorf("imds: token key: %w", err)
	}
	return s, nil
}

// Handler is the metadata endpoint of one instance.
func (s *Service) Handler(account, instanceID string) http.Handler {
	return &handler{s: s, account: account, id: instanceID}
}

type handler struct {
	s           *Service
	account, id string
}

// Header names (instancedata-data-retrieval.html).
const (
	hdrToken = "X-Aws-Ec2-Metadata-Token"
	hdrTTL   = "X-Aws-Ec2-Metadata-Token-Ttl-Seconds"
)

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	in, err := h.s.opt.Instances.Get(ctx, h.account, h.id)
	if err != nil || (in.State != ec2.Running && in.State != ec2.Pending) {
		// An instance that is not running has no metadata service to reach.
		http.Error(w, "instance not running", http.StatusServiceUnavailable)
		return
	}
	if in.Metadata.Endpoint == ec2.EndpointDisabled {
		// "If you turn off the IMDS endpoint … you receive a 403 Forbidden error"
		// (configuring-IMDS-existing-instances.html).
		writeText(w, http.StatusForbidden, "")
		return
	}
	if r.URL.Path == "/latest/api/token" {
		h.putToken(w, r)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		writeText(w, http.StatusMethodNotAllowed, "")
		return
	}
	if tok := r.Header.Get(hdrToken); tok != "" {
		if !h.s.validToken(tok, h.id) {
			writeText(w, http.StatusUnauthorized, "")
			return
		}
	} else if in.Metadata.Tokens == ec2.TokensRequired {
		// IMDSv2 only: a request without a session token is refused with 401
		// (configuring-instance-metadata-options.html).
		writeText(w, http.StatusUnauthorized, "")
		return
	}
	body, status := h.get(ctx, &in, strings.TrimPrefix(r.URL.Path, "/"))
	if status != http.StatusOK {
		notFound(w)
		return
	}
	writeText(w, http.StatusOK, body)
}

func writeText(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "text/plain")
	w.Header().Set("Server", "EC2ws")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
}

// notFound is IMDS's 404 page.
func notFound(w http.ResponseWriter) {
	const page = `<?xml version="1.0" encoding="iso-8859-1"?>
<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN"
		 "http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">
<html xmlns="http://www.w3.org/1999/xhtml" xml:lang="en" lang="en">
 <head>
  <title>404 - Not Found</title>
 </head>
 <body>
  <h1>404 - Not Found</h1>
 </body>
</html>
`
	w.Header().Set("Content-Type", "text/html")
	w.Header().Set("Server", "EC2ws")
	w.WriteHeader(http.StatusNotFound)
	_, _ = io.WriteString(w, page)
}

// putToken is IMDSv2's session start: PUT /latest/api/token with the TTL header
// (1..21,600 s, else 400); a request carrying X-Forwarded-For is refused with 403, since
// "PUT requests that contain the X-Forwarded-For header are rejected" — the request went
// through a proxy, which is what the token flow defends against
// (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/instance-metadata-v2-how-it-works.html).
func (h *handler) putToken(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPut {
		w.Header().Set("Allow", "PUT")
		writeText(w, http.StatusMethodNotAllowed, "")
		return
	}
	if len(r.Header.Values("X-Forwarded-For")) > 0 {
		writeText(w, http.StatusForbidden, "")
		return
	}
	ttl, err := strconv.Atoi(r.Header.Get(hdrTTL))
	if err != nil || ttl < minTokenTTL || ttl > maxTokenTTL {
		writeText(w, http.StatusBadRequest, "")
		return
	}
	tok := h.s.newToken(h.id, h.s.opt.Now().Add(time.Duration(ttl)*time.Second))
	w.Header().Set(hdrTTL, strconv.Itoa(ttl))
	writeText(w, http.StatusOK, tok)
}

// newToken returns a session token bound to the instance: its expiry and an HMAC over
// the expiry and the instance ID. A token from one instance's endpoint is worthless at
// another's, as on EC2, and verifying needs no state.
func (s *Service) newToken(instanceID string, exp time.Time) string {
	var b [8 + sha256.Size]byte
	binary.BigEndian.PutUint64(b[:8], uint64(exp.Unix()))
	m := hmac.New(sha256.New, s.key[:])
	m.Write(b[:8])
	m.Write([]byte(instanceID))
	m.Sum(b[8:8])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

func (s *Service) validToken(tok, instanceID string) bool {
	b, err := base64.RawURLEncoding.Strict().DecodeString(tok)
	// Decoders skip newlines; only the exact text issued is a token.
	if err != nil || len(b) != 8+sha256.Size || base64.RawURLEncoding.EncodeToString(b) != tok {
		return false
	}
	m := hmac.New(sha256.New, s.key[:])
	m.Write(b[:8])
	m.Write([]byte(instanceID))
	if subtle.ConstantTimeCompare(m.Sum(nil), b[8:]) != 1 {
		return false
	}
	exp := time.Unix(int64(binary.BigEndian.Uint64(b[:8])), 0)
	return s.opt.Now().Before(exp)
}

// get answers one metadata path; the status is 200 or 404.
func (h *handler) get(ctx context.Context, in *ec2.Instance, p string) (string, int) {
	switch p {
	case "":
		return "latest", 200
	case "latest", "latest/":
		return "dynamic\nmeta-data", 200
	case "latest/meta-data", "latest/meta-data/":
		items := []string{"ami-id", "ami-launch-index", "hostname"}
		if in.Association != nil {
			items = append(items, "iam/")
		}
		items = append(items, "instance-action", "instance-id", "instance-life-cycle", "instance-type",
			"local-hostname", "placement/", "reservation-id")
		return strings.Join(items, "\n"), 200
	case "latest/meta-data/ami-id":
		return in.ImageID, 200
	case "latest/meta-data/ami-launch-index":
		return strconv.Itoa(in.LaunchIndex), 200
	case "latest/meta-data/hostname", "latest/meta-data/local-hostname":
		return hostname(in), 200
	case "latest/meta-data/instance-action":
		return "none", 200
	case "latest/meta-data/instance-id":
		return in.ID, 200
	case "latest/meta-data/instance-life-cycle":
		return "on-demand", 200
	case "latest/meta-data/instance-type":
		return in.Type, 200
	case "latest/meta-data/reservation-id":
		return in.ReservationID, 200
	case "latest/meta-data/placement", "latest/meta-data/placement/":
		return "availability-zone\nregion", 200
	case "latest/meta-data/placement/availability-zone":
		return in.AvailabilityZone, 200
	case "latest/meta-data/placement/region":
		return in.Region, 200
	case "latest/dynamic", "latest/dynamic/":
		return "instance-identity/", 200
	case "latest/dynamic/instance-identity", "latest/dynamic/instance-identity/":
		return "document", 200
	case "latest/dynamic/instance-identity/document":
		return identityDocument(in), 200
	}
	if in.Association == nil {
		return "", 404
	}
	switch p {
	case "latest/meta-data/iam", "latest/meta-data/iam/":
		return "info\nsecurity-credentials/", 200
	case "latest/meta-data/iam/info":
		return h.info(ctx, in)
	case "latest/meta-data/iam/security-credentials", "latest/meta-data/iam/security-credentials/":
		role, ok, err := h.s.opt.Roles.ProfileRole(ctx, in.Association.Profile.ARN)
		if err != nil || !ok {
			return "", 404
		}
		return roleName(role.ARN), 200
	}
	if name, ok := strings.CutPrefix(p, "latest/meta-data/iam/security-credentials/"); ok {
		return h.credentials(ctx, in, name)
	}
	return "", 404
}

func hostname(in *ec2.Instance) string {
	if in.Region == "us-east-1" {
		return "ip-10-0-0-1.ec2.internal"
	}
	return "ip-10-0-0-1." + in.Region + ".compute.internal"
}

func roleName(arn string) string { return arn[strings.LastIndexByte(arn, '/')+1:] }

// jsonDoc renders the JSON documents IMDS serves, indented as EC2 indents them.
func jsonDoc(v any) string {
	b, _ := json.MarshalIndent(v, "", "  ")
	return string(b)
}

func stamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05Z") }

// info is meta-data/iam/info.
func (h *handler) info(ctx context.Context, in *ec2.Instance) (string, int) {
	return jsonDoc(struct {
		Code               string
		LastUpdated        string
		InstanceProfileArn string
		InstanceProfileId  string
	}{"Success", stamp(h.s.opt.Now()), in.Association.Profile.ARN, in.Association.Profile.ID}), 200
}

// credentials is meta-data/iam/security-credentials/ROLE: the role's session for this
// instance, reissued when it reaches RefreshAfter or has less than minRemaining left, or
// when the association or its role changed.
func (h *handler) credentials(ctx context.Context, in *ec2.Instance, name string) (string, int) {
	role, ok, err := h.s.opt.Roles.ProfileRole(ctx, in.Association.Profile.ARN)
	if err != nil || !ok || roleName(role.ARN) != name {
		return "", 404
	}
	c, issued, err := h.s.session(in, role)
	if err != nil {
		return "", 404
	}
	return jsonDoc(struct {
		Code            string
		LastUpdated     string
		Type            string
		AccessKeyId     string
		SecretAccessKey string
		Token           string
		Expiration      string
	}{"Success", stamp(issued), "AWS-HMAC", c.AccessKeyID, c.SecretAccessKey, c.SessionToken, stamp(c.Expiration)}), 200
}

func (s *Service) session(in *ec2.Instance, role sts.Role) (sts.Credentials, time.Time, error) {
	now := s.opt.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.creds[in.ID]; c != nil && c.assocID == in.Association.ID && c.roleARN == role.ARN &&
		now.Sub(c.issued) < s.opt.RefreshAfter && c.c.Expiration.Sub(now) > minRemaining {
		return c.c, c.issued, nil
	}
	p := in.Partition
	if p == "" {
		p = "aws"
	}
	sess := &sts.Session{
		Kind:      sts.AssumedRole,
		Partition: p,
		Account:   in.Account,
		SourceARN: role.ARN,
		UniqueID:  role.ID,
		Name:      in.ID, // "the role session name is the instance ID"
		Issued:    now.UTC().Truncate(time.Second),
		Expires:   now.UTC().Truncate(time.Second).Add(s.opt.SessionDuration),
		// ec2:SourceInstanceARN and ec2:RoleDelivery: "2.0" when the instance accepts
		// only IMDSv2, "1.0" while IMDSv1 may also deliver the credentials
		// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_iam-condition-keys.html#ck_roledelivery).
		SourceInstanceARN: in.ARN(),
		RoleDelivery:      roleDelivery(in),
	}
	c, err := s.opt.Issuer.Issue(sess)
	if err != nil {
		return sts.Credentials{}, time.Time{}, err
	}
	s.creds[in.ID] = &cached{assocID: in.Association.ID, roleARN: role.ARN, issued: sess.Issued, c: c}
	return c, sess.Issued, nil
}

func roleDelivery(in *ec2.Instance) string {
	if in.Metadata.Tokens == ec2.TokensRequired {
		return "2.0"
	}
	return "1.0"
}

// Forget drops what the service holds for an instance (its cached credentials).
func (s *Service) Forget(instanceID string) {
	s.mu.Lock()
	delete(s.creds, instanceID)
	s.mu.Unlock()
}

// identityDocument is dynamic/instance-identity/document
// (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/instance-identity-documents.html).
func identityDocument(in *ec2.Instance) string {
	return jsonDoc(struct {
		AccountID               string   `json:"accountId"`
		Architecture            string   `json:"architecture"`
		AvailabilityZone        string   `json:"availabilityZone"`
		BillingProducts         []string `json:"billingProducts"`
		DevpayProductCodes      []string `json:"devpayProductCodes"`
		MarketplaceProductCodes []string `json:"marketplaceProductCodes"`
		ImageID                 string   `json:"imageId"`
		InstanceID              string   `json:"instanceId"`
		InstanceType            string   `json:"instanceType"`
		KernelID                *string  `json:"kernelId"`
		PendingTime             string   `json:"pendingTime"`
		PrivateIP               string   `json:"privateIp"`
		RamdiskID               *string  `json:"ramdiskId"`
		Region                  string   `json:"region"`
		Version                 string   `json:"version"`
	}{
		AccountID: in.Account, Architecture: "x86_64", AvailabilityZone: in.AvailabilityZone,
		ImageID: in.ImageID, InstanceID: in.ID, InstanceType: in.Type, PendingTime: stamp(in.LaunchTime),
		PrivateIP: "10.0.0.1", Region: in.Region, Version: "2017-09-30",
	})
}
