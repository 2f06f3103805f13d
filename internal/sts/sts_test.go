package sts

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"gatehouse/internal/awserr"
	"gatehouse/internal/awsproto/stsapi"
	"gatehouse/internal/seal"
)

// clock is a settable test clock.
type clock struct{ t time.Time }

func (c *clock) Now() time.Time { return c.t }

func newService(t testing.TB) (*Service, *clock) {
	t.Helper()
	clk := &clock{t: time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)}
	k, err := seal.NewKeyring(rand.Reader, clk.Now)
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(Options{Keyring: k, Now: clk.Now, Rand: rand.Reader})
	if err != nil {
		t.Fatal(err)
	}
	return s, clk
}

var (
	alice = &Caller{ARN: "arn:aws:iam::111122223333:user/alice", Account: "111122223333", Partition: "aws", UserID: "AIDAALICE"}
	root  = &Caller{ARN: "arn:aws:iam::111122223333:root", Account: "111122223333", Partition: "aws", UserID: "111122223333", Root: true}
	role1 = &Role{ARN: "arn:aws:iam::111122223333:role/app/role_1", ID: "AROAROLE1", Account: "111122223333", Partition: "aws", MaxSessionDuration: 7200}
)

func str(s string) *string { return &s }
func i32(n int32) *int32   { return &n }

func TestSessionRoundTrip(t *testing.T) {
	s, _ := newService(t)
	in := &stsapi.AssumeRoleInput{RoleArn: str(role1.ARN), RoleSessionName: str("s1"),
		Policy:            str(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:Get*","Resource":"*"}]}`),
		PolicyArns:        []stsapi.PolicyDescriptorType{{Arn: str("arn:aws:iam::aws:policy/ReadOnlyAccess")}},
		Tags:              []stsapi.Tag{{Key: str("team"), Value: str("blue")}, {Key: str("cc"), Value: str("42")}},
		TransitiveTagKeys: []string{"team"}, SourceIdentity: str("alice"), DurationSeconds: i32(7200)}
	plan, err := s.AssumeRole(alice, role1, in)
	if err != nil {
		t.Fatal(err)
	}
	// The fields only an instance's metadata service sets travel sealed too.
	plan.SourceInstanceARN = "arn:aws:ec2:us-east-1:111122223333:instance/i-0123456789abcdef0"
	plan.RoleDelivery = "2.0"
	cr, err := s.Issue(plan)
	if err != nil {
		t.Fatal(err)
	}
	if len(cr.AccessKeyID) != 20 || !strings.HasPrefix(cr.AccessKeyID, "ASIA") {
		t.Errorf("access key ID %q, want ASIA and 20 characters", cr.AccessKeyID)
	}
	if len(cr.SecretAccessKey) != 40 {
		t.Errorf("secret has %d characters, want 40", len(cr.SecretAccessKey))
	}
	if len(cr.SessionToken) > 500 {
		t.Errorf("token has %d characters, want a compact one (≤ 500) for this session", len(cr.SessionToken))
	}
	got, err := s.Open(context.Background(), cr.AccessKeyID, cr.SessionToken)
	if err != nil {
		t.Fatal(err)
	}
	// PackedPolicySize is an answer of the issuing call, not part of the session.
	if diff := cmp.Diff(plan, got, cmp.AllowUnexported(Session{}), cmpopts.EquateEmpty(),
		cmpopts.IgnoreFields(Session{}, "PackedPolicySize")); diff != "" {
		t.Errorf("opened session differs from the issued one (-issued +opened):\n%s", diff)
	}
	if got.Secret() != cr.SecretAccessKey {
		t.Error("opened secret differs from the issued one")
	}
	if want := "arn:aws:sts::111122223333:assumed-role/role_1/s1"; got.ARN() != want {
		t.Errorf("ARN %q, want %q", got.ARN(), want)
	}
	if want := "AROAROLE1:s1"; got.UserID() != want {
		t.Errorf("UserID %q, want %q", got.UserID(), want)
	}
	if want := "arn:aws:iam::111122223333:role/role_1"; got.RoleARN() != want {
		t.Errorf("RoleARN %q, want %q", got.RoleARN(), want)
	}
	if acct, ok := AccessKeyAccount(cr.AccessKeyID); !ok || acct != "111122223333" {
		t.Errorf("AccessKeyAccount = %q, %v; want 111122223333", acct, ok)
	}
}

func issue(t *testing.T, s *Service) Credentials {
	t.Helper()
	plan, err := s.AssumeRole(alice, role1, &stsapi.AssumeRoleInput{RoleArn: str(role1.ARN), RoleSessionName: str("s1"), DurationSeconds: i32(900)})
	if err != nil {
		t.Fatal(err)
	}
	cr, err := s.Issue(plan)
	if err != nil {
		t.Fatal(err)
	}
	return cr
}

func TestOpenRejects(t *testing.T) {
	s, clk := newService(t)
	cr := issue(t, s)
	other := issue(t, s)
	flip := []byte(cr.SessionToken)
	flip[len(flip)/2] ^= 1
	if flip[len(flip)/2] == '-'^1 || flip[len(flip)/2] == '_'^1 {
		flip[len(flip)/2] = 'A'
	}
	tests := []struct {
		note         string
		keyID, token string
		want         error
	}{
		{"a token presented with another session's key ID", other.AccessKeyID, cr.SessionToken, ErrInvalidToken},
		{"a token with one character changed", cr.AccessKeyID, string(flip), ErrInvalidToken},
		{"a truncated token", cr.AccessKeyID, cr.SessionToken[:len(cr.SessionToken)-4], ErrInvalidToken},
		{"garbage", cr.AccessKeyID, "not-a-token", ErrInvalidToken},
		{"an empty token", cr.AccessKeyID, "", ErrInvalidToken},
		{"a long-term key ID", "AKIA" + cr.AccessKeyID[4:], cr.SessionToken, ErrInvalidToken},
	}
	for _, tc := range tests {
		if _, err := s.Open(context.Background(), tc.keyID, tc.token); !errors.Is(err, tc.want) {
			t.Errorf("%s: got %v, want %v", tc.note, err, tc.want)
		}
	}
	// Another node's keyring (another master secret) does not open the token.
	s2, _ := newService(t)
	if _, err := s2.Open(context.Background(), cr.AccessKeyID, cr.SessionToken); !errors.Is(err, ErrInvalidToken) {
		t.Errorf("a token under a foreign keyring: got %v, want ErrInvalidToken", err)
	}
	// Expiry: valid one second before, expired at the instant.
	clk.t = clk.t.Add(900*time.Second - time.Second)
	if _, err := s.Open(context.Background(), cr.AccessKeyID, cr.SessionToken); err != nil {
		t.Errorf("one second before expiry: got %v, want the session", err)
	}
	clk.t = clk.t.Add(time.Second)
	if _, err := s.Open(context.Background(), cr.AccessKeyID, cr.SessionToken); !errors.Is(err, ErrExpiredToken) {
		t.Errorf("at expiry: got %v, want ErrExpiredToken", err)
	}
}

// A token sealed by a node that rotated opens on a node holding the older keyring: Open
// reloads once.
func TestOpenReloadsKeyring(t *testing.T) {
	clk := &clock{t: time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)}
	k1, err := seal.NewKeyring(rand.Reader, clk.Now)
	if err != nil {
		t.Fatal(err)
	}
	sealer, err := seal.New(make([]byte, seal.KeySize), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	stored, err := seal.MarshalKeyring(sealer, k1)
	if err != nil {
		t.Fatal(err)
	}
	k2, err := seal.UnmarshalKeyring(sealer, stored, rand.Reader, clk.Now)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := k2.Rotate(); err != nil {
		t.Fatal(err)
	}
	reloads := 0
	old, err := New(Options{Keyring: k1, Now: clk.Now, Rand: rand.Reader,
		Reload: func(context.Context) (*seal.Keyring, error) { reloads++; return k2, nil }})
	if err != nil {
		t.Fatal(err)
	}
	rotated, err := New(Options{Keyring: k2, Now: clk.Now, Rand: rand.Reader})
	if err != nil {
		t.Fatal(err)
	}
	cr := issue(t, rotated)
	if _, err := old.Open(context.Background(), cr.AccessKeyID, cr.SessionToken); err != nil {
		t.Fatalf("a token under a rotated key: got %v, want the session after a reload", err)
	}
	if _, err := old.Open(context.Background(), cr.AccessKeyID, cr.SessionToken); err != nil {
		t.Fatal(err)
	}
	if reloads != 1 {
		t.Errorf("reloaded %d times, want 1", reloads)
	}
}

// planCase is one case of testdata/plans.json.
type planCase struct {
	Note   string `json:"note"`
	Op     string `json:"op"` // AssumeRole, GetSessionToken, GetFederationToken
	Caller struct {
		Root    bool `json:"root"`
		Session *struct {
			Tags              map[string]string `json:"tags"`
			TransitiveTagKeys []string          `json:"transitiveTagKeys"`
			SourceIdentity    string            `json:"sourceIdentity"`
		} `json:"session"`
	} `json:"caller"`
	MaxSessionDuration int             `json:"maxSessionDuration"`
	Input              json.RawMessage `json:"input"`
	WantCode           string          `json:"wantCode"`
	WantMessage        string          `json:"wantMessage"`
	// On success:
	WantDuration int               `json:"wantDuration"`
	WantTags     map[string]string `json:"wantTags"`
	WantSource   string            `json:"wantSourceIdentity"`
	WantPacked   int               `json:"wantPackedPolicySize"`
}

func TestPlans(t *testing.T) {
	data, err := os.ReadFile("testdata/plans.json")
	if err != nil {
		t.Fatal(err)
	}
	var cases []planCase
	if err := json.Unmarshal(data, &cases); err != nil {
		t.Fatal(err)
	}
	s, clk := newService(t)
	for _, tc := range cases {
		t.Run(tc.Note, func(t *testing.T) {
			c := *alice
			if tc.Caller.Root {
				c = *root
			}
			if cs := tc.Caller.Session; cs != nil {
				c.Session = &Session{Kind: AssumedRole, SourceIdentity: cs.SourceIdentity, TransitiveTagKeys: cs.TransitiveTagKeys}
				for k, v := range cs.Tags {
					c.Session.Tags = append(c.Session.Tags, Tag{k, v})
				}
			}
			role := *role1
			if tc.MaxSessionDuration != 0 {
				role.MaxSessionDuration = tc.MaxSessionDuration
			}
			var plan *Session
			var err error
			switch tc.Op {
			case "AssumeRole":
				in := new(stsapi.AssumeRoleInput)
				decode(t, tc.Input, in)
				plan, err = s.AssumeRole(&c, &role, in)
			case "GetSessionToken":
				in := new(stsapi.GetSessionTokenInput)
				decode(t, tc.Input, in)
				plan, err = s.GetSessionToken(&c, in)
			case "GetFederationToken":
				in := new(stsapi.GetFederationTokenInput)
				decode(t, tc.Input, in)
				plan, err = s.GetFederationToken(&c, in)
			default:
				t.Fatalf("unknown op %q", tc.Op)
			}
			if tc.WantCode != "" {
				ae, ok := awserr.As(err)
				if !ok {
					t.Fatalf("got %v, want %s", err, tc.WantCode)
				}
				if ae.Code != tc.WantCode || (tc.WantMessage != "" && ae.Message != tc.WantMessage) {
					t.Errorf("got %s %q, want %s %q", ae.Code, ae.Message, tc.WantCode, tc.WantMessage)
				}
				return
			}
			if err != nil {
				t.Fatalf("got %v, want a session", err)
			}
			if d := int(plan.Expires.Sub(plan.Issued) / time.Second); d != tc.WantDuration {
				t.Errorf("duration %d s, want %d", d, tc.WantDuration)
			}
			if !plan.Issued.Equal(clk.t) {
				t.Errorf("issued %v, want %v", plan.Issued, clk.t)
			}
			tags := map[string]string{}
			for _, tg := range plan.Tags {
				tags[tg.Key] = tg.Value
			}
			if diff := cmp.Diff(tc.WantTags, tags, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("tags (-want +got):\n%s", diff)
			}
			if plan.SourceIdentity != tc.WantSource {
				t.Errorf("source identity %q, want %q", plan.SourceIdentity, tc.WantSource)
			}
			if plan.PackedPolicySize != tc.WantPacked {
				t.Errorf("packed policy size %d%%, want %d%%", plan.PackedPolicySize, tc.WantPacked)
			}
		})
	}
}

// decode reads a case's input, in the wire's member names, into an stsapi input and runs
// the model's Validate first, as the edge does.
func decode(t *testing.T, raw json.RawMessage, in interface{ Validate() error }) {
	t.Helper()
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, in); err != nil {
			t.Fatal(err)
		}
	}
	if err := in.Validate(); err != nil {
		t.Fatalf("the case's input fails the model's Validate: %v", err)
	}
}

func TestAccessKeyAccount(t *testing.T) {
	s, _ := newService(t)
	for _, acct := range []string{"000000000000", "123456789012", "999999999999"} {
		id, err := s.newAccessKeyID(acct)
		if err != nil {
			t.Fatal(err)
		}
		if got, ok := AccessKeyAccount(id); !ok || got != acct {
			t.Errorf("AccessKeyAccount(%s) = %q, %v; want %s", id, got, ok, acct)
		}
	}
	for _, id := range []string{"", "AKIAIOSFODNN7EXAMPLE", "ASIA", "ASIA7777777777777777", "ASIA11111111111111!1"} {
		if got, ok := AccessKeyAccount(id); ok {
			t.Errorf("AccessKeyAccount(%q) = %q, want none", id, got)
		}
	}
}

func FuzzUnmarshalSession(f *testing.F) {
	s, _ := newService(f)
	plan, err := s.AssumeRole(alice, role1, &stsapi.AssumeRoleInput{RoleArn: str(role1.ARN), RoleSessionName: str("s1"),
		Tags: []stsapi.Tag{{Key: str("k"), Value: str("v")}}, TransitiveTagKeys: []string{"k"}})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(plan.marshal())
	fed := *plan
	fed.FederatedProvider = "arn:aws:iam::111122223333:oidc-provider/idp.example.com"
	fed.ProviderKeys = []ProviderKey{{Key: "idp.example.com:sub", Values: []string{"u1"}}, {Key: "idp.example.com:amr", Values: []string{"a", "b"}, Multi: true}}
	f.Add(fed.marshal())
	f.Add([]byte{recordVersion})
	f.Fuzz(func(t *testing.T, b []byte) {
		sess, err := unmarshalSession(b)
		if err != nil {
			return
		}
		// What decodes survives a round trip unchanged.
		again, err := unmarshalSession(sess.marshal())
		if err != nil {
			t.Fatalf("a decoded record re-encodes to one that does not decode: %v", err)
		}
		if diff := cmp.Diff(sess, again, cmp.AllowUnexported(Session{}), cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("round trip changed the session (-first +second):\n%s", diff)
		}
	})
}

// FuzzOpen: whatever a client sends as a token, Open answers ErrInvalidToken (or, for a
// real token, the session) and never panics.
func FuzzOpen(f *testing.F) {
	s, _ := newService(f)
	plan, err := s.AssumeRole(alice, role1, &stsapi.AssumeRoleInput{RoleArn: str(role1.ARN), RoleSessionName: str("s1")})
	if err != nil {
		f.Fatal(err)
	}
	cr, err := s.Issue(plan)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(cr.AccessKeyID, cr.SessionToken)
	f.Add(cr.AccessKeyID, cr.SessionToken[:40])
	f.Add("ASIA", "")
	f.Fuzz(func(t *testing.T, keyID, token string) {
		sess, err := s.Open(context.Background(), keyID, token)
		if err != nil {
			if !errors.Is(err, ErrInvalidToken) && !errors.Is(err, ErrExpiredToken) {
				t.Fatalf("Open: %v, want ErrInvalidToken or ErrExpiredToken", err)
			}
			return
		}
		if sess.AccessKeyID != keyID || keyID != cr.AccessKeyID {
			t.Fatalf("a token opened for key %q, issued for %q", keyID, cr.AccessKeyID)
		}
	})
}

// Tokens naming a data key that no keyring holds (anyone can forge the header) reload the
// keyring at most once per MinReloadInterval, however many arrive at once; a key another
// node created just after this node's last reload still opens its tokens, after a wait.
func TestReloadKeyringRateLimited(t *testing.T) {
	k1, err := seal.NewKeyring(rand.Reader, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	sealer, err := seal.New(make([]byte, seal.KeySize), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	stored, err := seal.MarshalKeyring(sealer, k1)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	reloads := 0
	svc, err := New(Options{Keyring: k1, Rand: rand.Reader, Reload: func(context.Context) (*seal.Keyring, error) {
		mu.Lock()
		defer mu.Unlock()
		reloads++
		return seal.UnmarshalKeyring(sealer, stored, rand.Reader, time.Now)
	}})
	if err != nil {
		t.Fatal(err)
	}
	// A forger's token: sealed under key 3 of a keyring of its own.
	forger, _ := seal.NewKeyring(rand.Reader, time.Now)
	for range 3 {
		if _, err := forger.Rotate(); err != nil {
			t.Fatal(err)
		}
	}
	forgerSvc, err := New(Options{Keyring: forger, Rand: rand.Reader})
	if err != nil {
		t.Fatal(err)
	}
	forged := issue(t, forgerSvc)

	start := time.Now()
	var wg sync.WaitGroup
	for range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 4 {
				if _, err := svc.Open(context.Background(), forged.AccessKeyID, forged.SessionToken); !errors.Is(err, ErrInvalidToken) {
					t.Errorf("a forged token: got %v, want ErrInvalidToken", err)
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	mu.Lock()
	n := reloads
	mu.Unlock()
	if limit := 2 + int(elapsed/MinReloadInterval); n > limit {
		t.Errorf("160 forged tokens in %v reloaded the keyring %d times, want at most %d", elapsed, n, limit)
	}

	// Another node rotates right after this node's last reload: its token still opens here.
	k2, err := seal.UnmarshalKeyring(sealer, stored, rand.Reader, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := k2.Rotate(); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	if stored, err = seal.MarshalKeyring(sealer, k2); err != nil {
		t.Fatal(err)
	}
	mu.Unlock()
	rotated, err := New(Options{Keyring: k2, Rand: rand.Reader})
	if err != nil {
		t.Fatal(err)
	}
	cr := issue(t, rotated)
	if _, err := svc.Open(context.Background(), cr.AccessKeyID, cr.SessionToken); err != nil {
		t.Fatalf("a token under a key another node just made: got %v, want the session", err)
	}
}
