package imds

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"gatehouse/internal/ec2"
	"gatehouse/internal/sts"
)

const testID = "i-0123456789abcdef0"

type fakeInstances struct {
	mu sync.Mutex
	m  map[string]ec2.Instance
}

func (f *fakeInstances) Get(_ context.Context, account, id string) (ec2.Instance, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	in, ok := f.m[id]
	if !ok || in.Account != account {
		return ec2.Instance{}, fmt.Errorf("no instance %s", id)
	}
	return in, nil
}

func (f *fakeInstances) set(in ec2.Instance) {
	f.mu.Lock()
	f.m[in.ID] = in
	f.mu.Unlock()
}

type fakeRoles map[string]sts.Role // by profile ARN

func (f fakeRoles) ProfileRole(_ context.Context, profileARN string) (sts.Role, bool, error) {
	r, ok := f[profileARN]
	return r, ok, nil
}

// countingIssuer mints distinct credentials and counts them; the e2e tests use the real STS.
type countingIssuer struct {
	mu  sync.Mutex
	n   int
	got []*sts.Session
}

func (c *countingIssuer) Issue(s *sts.Session) (sts.Credentials, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n++
	c.got = append(c.got, s)
	return sts.Credentials{AccessKeyID: fmt.Sprintf("ASIAEXAMPLE%09d", c.n), SecretAccessKey: "secret",
		SessionToken: fmt.Sprintf("token-%d", c.n), Expiration: s.Expires}, nil
}

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

const (
	profileARN  = "arn:aws:iam::111122223333:instance-profile/role_1"
	profileARN2 = "arn:aws:iam::111122223333:instance-profile/role_2"
	emptyARN    = "arn:aws:iam::111122223333:instance-profile/empty"
)

type env struct {
	svc    *Service
	ins    *fakeInstances
	issuer *countingIssuer
	clock  *clock
}

func newEnv(t *testing.T) *env {
	t.Helper()
	e := &env{ins: &fakeInstances{m: map[string]ec2.Instance{}}, issuer: &countingIssuer{},
		clock: &clock{t: time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)}}
	roles := fakeRoles{
		profileARN:  {ARN: "arn:aws:iam::111122223333:role/role_1", ID: "AROAEXAMPLE1", Account: "111122223333"},
		profileARN2: {ARN: "arn:aws:iam::111122223333:role/team/role_2", ID: "AROAEXAMPLE2", Account: "111122223333"},
	}
	svc, err := New(Options{Instances: e.ins, Roles: roles, Issuer: e.issuer, Now: e.clock.Now, Rand: rand.NewChaCha8([32]byte{7})})
	if err != nil {
		t.Fatal(err)
	}
	e.svc = svc
	e.ins.set(instance(profileARN))
	return e
}

func instance(profile string) ec2.Instance {
	in := ec2.Instance{ID: testID, Account: "111122223333", Region: "us-east-1", AvailabilityZone: "us-east-1a",
		ImageID: "ami-12345678", Type: "t3.micro", ReservationID: "r-0123456789abcdef0", State: ec2.Running,
		Metadata: ec2.DefaultMetadata}
	if profile != "" {
		in.Association = &ec2.Association{ID: "iip-assoc-0123456789abcdef0", InstanceID: testID,
			Profile: ec2.Profile{ARN: profile, ID: "AIPAEXAMPLE"}, State: ec2.Associated}
	}
	return in
}

func (e *env) do(t *testing.T, method, path string, hdr map[string]string) (int, string) {
	t.Helper()
	r := httptest.NewRequest(method, path, nil)
	for k, v := range hdr {
		r.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	e.svc.Handler("111122223333", testID).ServeHTTP(w, r)
	b, _ := io.ReadAll(w.Result().Body)
	return w.Code, string(b)
}

func TestRequests(t *testing.T) {
	b, err := os.ReadFile("testdata/requests.json")
	if err != nil {
		t.Fatal(err)
	}
	var cases []struct {
		Note, Tokens, Endpoint, Method, Path, State, TokenFor, TTL, Advance string
		WithToken, NoProfile, NoRole                                        bool
		Headers                                                             map[string]string
		Status                                                              int
		Body, Contains, Absent                                              string
	}
	if err := json.Unmarshal(b, &cases); err != nil {
		t.Fatal(err)
	}
	for _, tc := range cases {
		t.Run(tc.Note, func(t *testing.T) {
			e := newEnv(t)
			in := instance(profileARN)
			switch {
			case tc.NoProfile:
				in = instance("")
			case tc.NoRole:
				in = instance(emptyARN)
			}
			if tc.Tokens != "" {
				in.Metadata.Tokens, _ = ec2.ParseTokens(tc.Tokens)
			}
			if tc.Endpoint != "" {
				in.Metadata.Endpoint, _ = ec2.ParseEndpoint(tc.Endpoint)
			}
			if tc.State != "" {
				in.State, _ = ec2.ParseState(tc.State)
			}
			e.ins.set(in)
			hdr := map[string]string{}
			for k, v := range tc.Headers {
				hdr[k] = v
			}
			if tc.WithToken {
				ttl := tc.TTL
				if ttl == "" {
					ttl = "21600"
				}
				st, tok := e.do(t, "PUT", "/latest/api/token", map[string]string{"X-aws-ec2-metadata-token-ttl-seconds": ttl})
				if st != 200 {
					t.Fatalf("token PUT: got %d", st)
				}
				hdr["X-aws-ec2-metadata-token"] = tok
			}
			if tc.TokenFor != "" {
				hdr["X-aws-ec2-metadata-token"] = e.svc.newToken(tc.TokenFor, e.clock.Now().Add(time.Hour))
			}
			if tc.Advance != "" {
				d, _ := time.ParseDuration(tc.Advance)
				e.clock.Add(d)
			}
			method := tc.Method
			if method == "" {
				method = "GET"
			}
			st, body := e.do(t, method, tc.Path, hdr)
			if st != tc.Status {
				t.Fatalf("got status %d, want %d (body %q)", st, tc.Status, body)
			}
			want := strings.ReplaceAll(tc.Body, "$ID", testID)
			if tc.Body != "" && body != want {
				t.Errorf("got body %q, want %q", body, want)
			}
			if c := strings.ReplaceAll(tc.Contains, "$ID", testID); c != "" && !strings.Contains(body, c) {
				t.Errorf("body %q does not contain %q", body, c)
			}
			if tc.Absent != "" && strings.Contains(body, tc.Absent) {
				t.Errorf("body %q contains %q", body, tc.Absent)
			}
		})
	}
}

type credDoc struct {
	Code, LastUpdated, Type, AccessKeyId, SecretAccessKey, Token, Expiration string
}

func (e *env) creds(t *testing.T, role string) credDoc {
	t.Helper()
	st, body := e.do(t, "GET", "/latest/meta-data/iam/security-credentials/"+role, nil)
	if st != 200 {
		t.Fatalf("credentials of %s: got %d %q", role, st, body)
	}
	var d credDoc
	if err := json.Unmarshal([]byte(body), &d); err != nil {
		t.Fatal(err)
	}
	return d
}

func TestCredentialsSessionAndRotation(t *testing.T) {
	e := newEnv(t)
	c1 := e.creds(t, "role_1")
	if c1.Code != "Success" || c1.Type != "AWS-HMAC" || c1.Expiration != "2026-03-04T11:06:07Z" || c1.LastUpdated != "2026-03-04T05:06:07Z" {
		t.Errorf("got %+v, want Success, AWS-HMAC, six hours", c1)
	}
	s := e.issuer.got[0]
	if s.Kind != sts.AssumedRole || s.Name != testID || s.SourceARN != "arn:aws:iam::111122223333:role/role_1" || s.UniqueID != "AROAEXAMPLE1" {
		t.Errorf("session: got %+v, want assumed-role/role_1/%s", s, testID)
	}
	// The same credentials until an hour has passed, then new ones.
	e.clock.Add(59 * time.Minute)
	if c := e.creds(t, "role_1"); c.AccessKeyId != c1.AccessKeyId {
		t.Errorf("after 59m: got %s, want the same %s", c.AccessKeyId, c1.AccessKeyId)
	}
	e.clock.Add(time.Minute)
	c2 := e.creds(t, "role_1")
	if c2.AccessKeyId == c1.AccessKeyId || e.issuer.n != 2 {
		t.Errorf("after 1h: got %s (%d issued), want new credentials", c2.AccessKeyId, e.issuer.n)
	}
	// A replaced association serves the new role at once; the old name is 404.
	in := instance(profileARN2)
	in.Association.ID = "iip-assoc-0000000000000000a"
	e.ins.set(in)
	if st, body := e.do(t, "GET", "/latest/meta-data/iam/security-credentials/", nil); st != 200 || body != "role_2" {
		t.Errorf("after replace: got %d %q, want role_2", st, body)
	}
	if st, _ := e.do(t, "GET", "/latest/meta-data/iam/security-credentials/role_1", nil); st != 404 {
		t.Errorf("old role after replace: got %d, want 404", st)
	}
	if c := e.creds(t, "role_2"); c.AccessKeyId == c2.AccessKeyId {
		t.Errorf("role_2 got role_1's credentials")
	}
	// Removing the association removes the credentials.
	e.ins.set(instance(""))
	if st, _ := e.do(t, "GET", "/latest/meta-data/iam/security-credentials/role_2", nil); st != 404 {
		t.Errorf("after disassociate: got %d, want 404", st)
	}
}

func TestRefreshBeforeExpiry(t *testing.T) {
	e := newEnv(t)
	e.svc.opt.RefreshAfter = 24 * time.Hour // only the remaining lifetime decides
	c1 := e.creds(t, "role_1")
	e.clock.Add(6*time.Hour - minRemaining - time.Second)
	if c := e.creds(t, "role_1"); c.AccessKeyId != c1.AccessKeyId {
		t.Errorf("with more than %v left: got new credentials", minRemaining)
	}
	e.clock.Add(2 * time.Second)
	if c := e.creds(t, "role_1"); c.AccessKeyId == c1.AccessKeyId {
		t.Errorf("with less than %v left: got the old credentials", minRemaining)
	}
}

func TestHostListensPerInstance(t *testing.T) {
	e := newEnv(t)
	dir := t.TempDir()
	h, err := NewHost(e.svc, dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close(context.Background())
	h.Sync(instance(profileARN))
	rec, err := ReadRecord(dir, testID)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(rec.Endpoint + "latest/meta-data/instance-id")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != testID {
		t.Errorf("got %q, want %q", b, testID)
	}
	stopped := instance(profileARN)
	stopped.State = ec2.Stopped
	h.Sync(stopped)
	if _, err := ReadRecord(dir, testID); err == nil {
		t.Errorf("a stopped instance still has a record")
	}
	if _, err := ReadRecord(dir, "../x"); err == nil {
		t.Errorf("ReadRecord accepted a path")
	}
}

func FuzzValidToken(f *testing.F) {
	svc, err := New(Options{Instances: &fakeInstances{}, Roles: fakeRoles{}, Issuer: &countingIssuer{}, Rand: rand.NewChaCha8([32]byte{})})
	if err != nil {
		f.Fatal(err)
	}
	good := svc.newToken(testID, time.Now().Add(time.Hour))
	f.Add(good)
	f.Add("")
	f.Fuzz(func(t *testing.T, tok string) {
		if svc.validToken(tok, testID) && tok != good {
			t.Errorf("token %q accepted", tok)
		}
	})
}
