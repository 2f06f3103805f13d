package server

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"gatehouse/internal/awsproto/iamapi"
	"gatehouse/internal/decisions"
	"gatehouse/internal/ec2"
	"gatehouse/internal/iam"
	"gatehouse/internal/seal"
	"gatehouse/internal/store"
	"gatehouse/internal/sts"
)

// The reset-auth body is read as Python's float() reads it and echoed as Python's str():
// cases generated with CPython 3.11 (float(body), str(float(body))).
func TestPythonFloat(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("testdata", "pyfloat.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cases []struct {
		Note  string `json:"note"`
		Body  string `json:"body"`
		Str   string `json:"str"`
		Error bool   `json:"error"`
	}
	if err := json.Unmarshal(b, &cases); err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		f, err := parsePythonFloat(c.Body)
		if c.Error {
			if err == nil {
				t.Errorf("%s: float(%q): got %v, want an error", c.Note, c.Body, f)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: float(%q): got error %v, want %s", c.Note, c.Body, err, c.Str)
			continue
		}
		if got := formatPythonFloat(f); got != c.Str {
			t.Errorf("%s: str(float(%q)): got %s, want %s", c.Note, c.Body, got, c.Str)
		}
	}
}

func FuzzParsePythonFloat(f *testing.F) {
	for _, s := range []string{"inf", "4", "1_000", "1e-05", " 2.5\n", "0x10", "nan", "1e400"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := parsePythonFloat(s)
		if err != nil || math.IsNaN(v) {
			return
		}
		// What str() prints, float() reads back to the same value.
		out := formatPythonFloat(v)
		back, err := parsePythonFloat(out)
		if err != nil || back != v {
			t.Fatalf("float(%q) = %v; str = %q; float(str) = %v, %v", s, v, out, back, err)
		}
	})
}

// emuFixture is an emulator-mode server over a real SQLite file, with the first account's
// root key (the credentials file's) and an issued user key.
type emuFixture struct {
	t                  testing.TB
	srv                *Server
	iam                *iam.Service
	store              *store.SQLite
	account            string
	rootID, rootSecret string
}

func newEmuFixture(t testing.TB, mode string, enforce Enforce) *emuFixture {
	t.Helper()
	ctx := context.Background()
	// As `serve` opens it: emulator mode does not fsync (its state is a test's; cli/state.go).
	st, err := store.OpenSQLite(ctx, filepath.Join(t.TempDir(), "gatehouse.db"), store.Options{UnsafeNoSync: mode == "emulator"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	master := make([]byte, seal.KeySize)
	_, _ = rand.Read(master)
	sealer, err := seal.New(master, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	f := &emuFixture{t: t, store: st}
	svc, err := iam.New(iam.Options{Store: st, Sealer: sealer, OnChange: func(c iam.Change) {
		if f.srv != nil {
			f.srv.Invalidate(c)
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	b, err := svc.Bootstrap(ctx, "123456789012")
	if err != nil {
		t.Fatal(err)
	}
	f.iam, f.account, f.rootID, f.rootSecret = svc, b.Account, b.RootKeyID, b.RootKeySecret
	keyring, err := seal.Maintain(ctx, st, sealer, rand.Reader, time.Now, seal.Rotation{Every: 24 * time.Hour, MaxTokenLifetime: sts.MaxTokenLifetime})
	if err != nil {
		t.Fatal(err)
	}
	stsSvc, err := sts.New(sts.Options{Keyring: keyring, Rand: rand.Reader})
	if err != nil {
		t.Fatal(err)
	}
	ec2Svc, err := ec2.New(ec2.Options{Store: st, Region: "us-east-1"})
	if err != nil {
		t.Fatal(err)
	}
	f.srv = New(Config{Mode: mode, Enforce: enforce, Account: f.account, IAM: svc, STS: stsSvc, EC2: ec2Svc,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	return f
}

// call signs a Query call for service in region as the SDK does and serves it.
func (f *emuFixture) call(service, region, keyID, secret, token string, params url.Values) *httptest.ResponseRecorder {
	f.t.Helper()
	if params.Get("Version") == "" {
		params.Set("Version", map[string]string{"iam": "2010-05-08", "sts": "2011-06-15", "ec2": "2016-11-15"}[service])
	}
	body := []byte(params.Encode())
	req := httptest.NewRequest("POST", "http://127.0.0.1:7474/", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	sum := sha256.Sum256(body)
	err := v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: keyID, SecretAccessKey: secret, SessionToken: token},
		req, hex.EncodeToString(sum[:]), service, region, time.Now())
	if err != nil {
		f.t.Fatal(err)
	}
	w := httptest.NewRecorder()
	f.srv.ServeHTTP(w, req)
	return w
}

func (f *emuFixture) root(service string, params url.Values) *httptest.ResponseRecorder {
	return f.call(service, "us-east-1", f.rootID, f.rootSecret, "", params)
}

func (f *emuFixture) post(path, body string) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	f.srv.ServeHTTP(w, httptest.NewRequest("POST", path, strings.NewReader(body)))
	return w
}

// user creates user name with an access key (and, when doc is set, an inline policy).
func (f *emuFixture) user(name, doc string) (id, secret string) {
	f.t.Helper()
	if w := f.root("iam", url.Values{"Action": {"CreateUser"}, "UserName": {name}}); w.Code != 200 {
		f.t.Fatalf("CreateUser: %d %s", w.Code, w.Body)
	}
	if doc != "" {
		if w := f.root("iam", url.Values{"Action": {"PutUserPolicy"}, "UserName": {name}, "PolicyName": {"p"}, "PolicyDocument": {doc}}); w.Code != 200 {
			f.t.Fatalf("PutUserPolicy: %d %s", w.Code, w.Body)
		}
	}
	w := f.root("iam", url.Values{"Action": {"CreateAccessKey"}, "UserName": {name}})
	return between(w.Body.String(), "<AccessKeyId>", "</AccessKeyId>"), between(w.Body.String(), "<SecretAccessKey>", "</SecretAccessKey>")
}

func between(s, a, b string) string {
	_, s, _ = strings.Cut(s, a)
	s, _, _ = strings.Cut(s, b)
	return s
}

var getCallerIdentity = url.Values{"Action": {"GetCallerIdentity"}}

// What an access key Gatehouse did not issue does at each enforcement level (DESIGN.md,
// "Modes"; docs/emulator.md).
func TestEmulatorUnknownKeys(t *testing.T) {
	tests := []struct {
		note            string
		enforce         Enforce
		key, token      string
		region          string
		wantStatus      int
		wantARN, wantIn string
	}{
		{"off: moto's test key is the default account's root", Off, "testing", "", "us-east-1", 200, "arn:aws:iam::123456789012:root", ""},
		{"off: moto's test key with its test session token", Off, "testing", "testing", "us-east-1", 200, "arn:aws:iam::123456789012:root", ""},
		{"off: a 12-digit key names its account, created on first use", Off, "111122223333", "", "us-east-1", 200, "arn:aws:iam::111122223333:root", "111122223333"},
		{"off: a key signed for cn-north-1 is in aws-cn", Off, "AKIAIOSFODNN7EXAMPLE", "", "cn-north-1", 200, "arn:aws-cn:iam::123456789012:root", ""},
		{"off: us-gov-west-1 is aws-us-gov", Off, "testing", "", "us-gov-west-1", 200, "arn:aws-us-gov:iam::123456789012:root", ""},
		{"off: us-iso-east-1 is aws-iso", Off, "testing", "", "us-iso-east-1", 200, "arn:aws-iso:iam::123456789012:root", ""},
		{"off: us-isob-east-1 is aws-iso-b", Off, "testing", "", "us-isob-east-1", 200, "arn:aws-iso-b:iam::123456789012:root", ""},
		{"soft: unknown keys act as root too, so suites run unchanged", Soft, "testing", "", "us-east-1", 200, "arn:aws:iam::123456789012:root", ""},
		{"strict: moto's test key is still the root (moto server authenticates nothing until reset-auth)", Strict, "testing", "", "us-east-1", 200, "arn:aws:iam::123456789012:root", ""},
		{"strict: with moto's test session token too", Strict, "testing", "testing", "us-east-1", 200, "arn:aws:iam::123456789012:root", ""},
	}
	for _, tc := range tests {
		t.Run(tc.note, func(t *testing.T) {
			f := newEmuFixture(t, "emulator", tc.enforce)
			w := f.call("sts", tc.region, tc.key, "any secret: not checked", tc.token, getCallerIdentity)
			if w.Code != tc.wantStatus {
				t.Fatalf("got %d %s, want %d", w.Code, w.Body, tc.wantStatus)
			}
			if tc.wantStatus != 200 {
				if !strings.Contains(w.Body.String(), "<Code>InvalidClientTokenId</Code>") {
					t.Errorf("got %s, want InvalidClientTokenId", w.Body)
				}
				return
			}
			if got := between(w.Body.String(), "<Arn>", "</Arn>"); got != tc.wantARN {
				t.Errorf("caller: got %s, want %s", got, tc.wantARN)
			}
			if tc.wantIn != "" {
				accts, _ := f.iam.Accounts(context.Background())
				if !strings.Contains(strings.Join(accts, ","), tc.wantIn) {
					t.Errorf("accounts: got %v, want %s among them", accts, tc.wantIn)
				}
			}
		})
	}
}

// Keys Gatehouse issued keep their identity and their signatures are verified at every level;
// users an emulated root creates in aws-cn have aws-cn ARNs.
func TestEmulatorIssuedKeysAndPartitions(t *testing.T) {
	f := newEmuFixture(t, "emulator", Off)
	if w := f.call("sts", "us-east-1", f.rootID, "wrong secret", "", getCallerIdentity); w.Code != 403 ||
		!strings.Contains(w.Body.String(), "SignatureDoesNotMatch") {
		t.Errorf("the root key with a wrong secret: got %d %s, want SignatureDoesNotMatch", w.Code, w.Body)
	}
	id, secret := f.user("alice", "")
	if w := f.call("sts", "us-east-1", id, secret, "testing", getCallerIdentity); w.Code != 403 ||
		!strings.Contains(w.Body.String(), "InvalidClientTokenId") {
		t.Errorf("alice's key with a stray session token: got %d %s, want InvalidClientTokenId, not the root", w.Code, w.Body)
	}
	w := f.call("sts", "us-east-1", id, secret, "", getCallerIdentity)
	if got := between(w.Body.String(), "<Arn>", "</Arn>"); got != "arn:aws:iam::123456789012:user/alice" {
		t.Errorf("alice's key: got %s (%d), want her user ARN", got, w.Code)
	}
	w = f.call("iam", "cn-north-1", "testing", "testing", "", url.Values{"Action": {"CreateUser"}, "UserName": {"li"}})
	if got := between(w.Body.String(), "<Arn>", "</Arn>"); got != "arn:aws-cn:iam::123456789012:user/li" {
		t.Errorf("CreateUser signed for cn-north-1: got %s (%d %s), want an aws-cn ARN", got, w.Code, w.Body)
	}
	w = f.call("sts", "cn-north-1", f.rootID, f.rootSecret, "", getCallerIdentity)
	if got := between(w.Body.String(), "<Arn>", "</Arn>"); got != "arn:aws-cn:iam::123456789012:root" {
		t.Errorf("the root key signed for cn-north-1: got %s, want the aws-cn root", got)
	}
}

// moto's control API: reset empties every account; reset-auth opens a window of N
// unauthenticated requests and enforces everything after it.
func TestMotoAPI(t *testing.T) {
	f := newEmuFixture(t, "emulator", Off)
	f.user("alice", "")
	f.call("iam", "us-east-1", "111122223333", "x", "", url.Values{"Action": {"CreateUser"}, "UserName": {"bob"}})
	if w := f.root("ec2", url.Values{"Action": {"RunInstances"}, "ImageId": {"ami-0123456789abcdef0"}, "MinCount": {"1"}, "MaxCount": {"1"}}); w.Code != 200 {
		t.Fatalf("RunInstances: %d %s", w.Code, w.Body)
	}
	if w := f.post("/moto-api/reset", ""); w.Code != 200 || w.Body.String() != `{"status": "ok"}` {
		t.Fatalf("reset: got %d %s", w.Code, w.Body)
	}
	for _, k := range []string{f.rootID, "111122223333"} {
		w := f.call("iam", "us-east-1", k, f.rootSecret, "", url.Values{"Action": {"ListUsers"}})
		if w.Code != 200 || strings.Contains(w.Body.String(), "<UserName>") {
			t.Errorf("ListUsers as %s after reset: got %d %s, want no users", k, w.Code, w.Body)
		}
	}
	w := f.root("ec2", url.Values{"Action": {"DescribeInstances"}})
	if !strings.Contains(w.Body.String(), "<name>terminated</name>") || strings.Contains(w.Body.String(), "<name>running</name>") {
		t.Errorf("an instance after reset: got %d %s, want it terminated", w.Code, w.Body)
	}
	w = httptest.NewRecorder()
	f.srv.ServeHTTP(w, httptest.NewRequest("GET", "/moto-api/reset", nil))
	if w.Code != 400 || w.Body.String() != `{"Error": "Need to POST to reset Moto"}` {
		t.Errorf("GET reset: got %d %s", w.Code, w.Body)
	}

	steps := []struct {
		note       string
		resetAuth  string // a reset-auth body, or "" for an API call
		want       string // the reset-auth answer
		key        string
		secret     string // the signing secret, or "" for the root key's own
		wantStatus int
	}{
		{note: "the window opens; moto's default was inf", resetAuth: "4", want: `{"status": "ok", "PREVIOUS_INITIAL_NO_AUTH_ACTION_COUNT": "inf"}`},
		{note: "request 1 of 4 passes", key: "testing", wantStatus: 200},
		{note: "request 2 of 4 passes", key: "testing", wantStatus: 200},
		{note: "request 3 of 4 passes", key: "testing", wantStatus: 200},
		{note: "request 4 of 4 passes, an issued key's signature unchecked as moto checks none", key: f.rootID, secret: "wrong", wantStatus: 200},
		{note: "request 5 is enforced: an unknown key", key: "testing", wantStatus: 403},
		{note: "the issued root key still verifies", key: f.rootID, wantStatus: 200},
		{note: "and its signature is checked again", key: f.rootID, secret: "wrong", wantStatus: 403},
		{note: "back to moto's default, as its decorator does", resetAuth: "inf", want: `{"status": "ok", "PREVIOUS_INITIAL_NO_AUTH_ACTION_COUNT": "4.0"}`},
		{note: "the configured level again", key: "testing", wantStatus: 200},
		{note: "zero: everything enforced", resetAuth: "0", want: `{"status": "ok", "PREVIOUS_INITIAL_NO_AUTH_ACTION_COUNT": "inf"}`},
		{note: "enforced at once", key: "testing", wantStatus: 403},
		{note: "Infinity, as the issue spells it", resetAuth: "Infinity", want: `{"status": "ok", "PREVIOUS_INITIAL_NO_AUTH_ACTION_COUNT": "0.0"}`},
	}
	for _, s := range steps {
		if s.resetAuth != "" {
			w := f.post("/moto-api/reset-auth", s.resetAuth)
			if w.Code != 200 || w.Body.String() != s.want {
				t.Errorf("%s: got %d %s, want %s", s.note, w.Code, w.Body, s.want)
			}
			continue
		}
		secret := f.rootSecret
		if s.secret != "" {
			secret = s.secret
		}
		w := f.call("sts", "us-east-1", s.key, secret, "", getCallerIdentity)
		if w.Code != s.wantStatus {
			t.Errorf("%s: got %d %s, want %d", s.note, w.Code, w.Body, s.wantStatus)
		}
	}
	if w := f.post("/moto-api/reset-auth", "four"); w.Code != 400 || !strings.Contains(w.Body.String(), "could not convert string to float: 'four'") {
		t.Errorf("reset-auth four: got %d %s", w.Code, w.Body)
	}
}

// Production has no moto API and no decision log.
func TestProductionHasNoEmulatorPaths(t *testing.T) {
	f := newEmuFixture(t, "production", Off)
	for _, p := range []string{"/moto-api/reset", "/moto-api/reset-auth"} {
		if w := f.post(p, "4"); w.Code != 404 {
			t.Errorf("POST %s: got %d, want 404", p, w.Code)
		}
	}
	w := httptest.NewRecorder()
	f.srv.ServeHTTP(w, httptest.NewRequest("GET", "/_gatehouse/decisions", nil))
	if w.Code != 404 {
		t.Errorf("GET /_gatehouse/decisions: got %d, want 404", w.Code)
	}
	// Enforce is an emulator setting: production ignores Off.
	if w := f.call("sts", "us-east-1", "testing", "x", "", getCallerIdentity); w.Code != 403 {
		t.Errorf("an unknown key in production: got %d, want 403", w.Code)
	}
}

// Soft mode allows a would-be denial and records it; strict refuses it; both record.
func TestSoftEnforcementRecords(t *testing.T) {
	for _, tc := range []struct {
		enforce    Enforce
		wantStatus int
		enforced   bool
	}{{Soft, 200, false}, {Strict, 403, true}, {Off, 200, false}} {
		t.Run(tc.enforce.String(), func(t *testing.T) {
			f := newEmuFixture(t, "emulator", tc.enforce)
			id, secret := f.user("alice", `{"Version":"2012-10-17","Statement":[{"Sid":"Read","Effect":"Allow","Action":"iam:GetUser","Resource":"*"}]}`)
			if w := f.call("iam", "us-east-1", id, secret, "", url.Values{"Action": {"GetUser"}}); w.Code != 200 {
				t.Fatalf("GetUser: %d %s", w.Code, w.Body)
			}
			w := f.call("iam", "us-east-1", id, secret, "", url.Values{"Action": {"ListUsers"}})
			if w.Code != tc.wantStatus {
				t.Fatalf("ListUsers: got %d %s, want %d", w.Code, w.Body, tc.wantStatus)
			}
			alice := "arn:aws:iam::123456789012:user/alice"
			recs := f.decisions(t, "principal="+url.QueryEscape(alice))
			if len(recs) != 2 || recs[0].Action != "iam:GetUser" || recs[0].Decision != "allowed" ||
				len(recs[0].Matched) != 1 || recs[0].Matched[0].Sid != "Read" {
				t.Fatalf("alice's decisions: got %+v, want GetUser allowed by Read, then ListUsers", recs)
			}
			d := recs[1]
			if d.Action != "iam:ListUsers" || d.Decision != "implicitDeny" || d.DeniedBy == "" || d.Enforced != tc.enforced ||
				d.Resource != "arn:aws:iam::123456789012:user/" && d.Resource == "" || d.Context["aws:username"] == nil || d.Message == "" {
				t.Errorf("the denial: got %+v", d)
			}
			denied := f.decisions(t, "denied=true")
			if len(denied) != 1 || denied[0].Seq != d.Seq {
				t.Errorf("denied=true: got %+v, want only seq %d", denied, d.Seq)
			}
			if after := f.decisions(t, fmt.Sprintf("since=%d", d.Seq)); len(after) != 0 {
				t.Errorf("since the last seq: got %d records, want none", len(after))
			}
			w = httptest.NewRecorder()
			f.srv.ServeHTTP(w, httptest.NewRequest("GET", "/_gatehouse/decisions?since=yesterday", nil))
			if w.Code != 400 {
				t.Errorf("since=yesterday: got %d, want 400", w.Code)
			}
		})
	}
}

func (f *emuFixture) decisions(t *testing.T, query string) []decisions.Record {
	t.Helper()
	w := httptest.NewRecorder()
	f.srv.ServeHTTP(w, httptest.NewRequest("GET", "/_gatehouse/decisions?"+query, nil))
	if w.Code != 200 || w.Header().Get("Content-Type") != "application/x-ndjson" {
		t.Fatalf("decisions?%s: %d %s", query, w.Code, w.Body)
	}
	var out []decisions.Record
	sc := bufio.NewScanner(w.Body)
	for sc.Scan() {
		var r decisions.Record
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	return out
}

// moto's suites assume roles with their test keys; the emulated root may.
func TestEmulatedRootAssumesRoles(t *testing.T) {
	f := newEmuFixture(t, "emulator", Off)
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole"}]}`
	if w := f.call("iam", "us-east-1", "testing", "x", "", url.Values{"Action": {"CreateRole"}, "RoleName": {"r"}, "AssumeRolePolicyDocument": {trust}}); w.Code != 200 {
		t.Fatalf("CreateRole: %d %s", w.Code, w.Body)
	}
	w := f.call("sts", "us-east-1", "testing", "x", "", url.Values{"Action": {"AssumeRole"}, "RoleArn": {"arn:aws:iam::123456789012:role/r"}, "RoleSessionName": {"sess"}})
	if w.Code != 200 || !strings.Contains(w.Body.String(), "assumed-role/r/sess") {
		t.Errorf("AssumeRole with a test key: got %d %s", w.Code, w.Body)
	}
	w = f.call("sts", "us-east-1", "testing", "x", "", url.Values{"Action": {"GetFederationToken"}, "Name": {"bob"}})
	if w.Code != 200 || !strings.Contains(w.Body.String(), "<Arn>arn:aws:sts::123456789012:federated-user/bob</Arn>") {
		t.Errorf("GetFederationToken with a test key: got %d %s", w.Code, w.Body)
	}
	// The issued root key is AWS's root: it may not.
	w = f.root("sts", url.Values{"Action": {"AssumeRole"}, "RoleArn": {"arn:aws:iam::123456789012:role/r"}, "RoleSessionName": {"sess"}})
	if w.Code != 403 {
		t.Errorf("AssumeRole with the root key: got %d, want 403", w.Code)
	}
}

// BenchmarkReset is /moto-api/reset over an account of 1,000 entities (250 users with an
// access key, 250 groups, 250 roles, 250 managed policies): issue 6 asks for ≤ 20 ms. Each
// iteration refills the account outside the timer, so run it with a fixed count
// (-benchtime=10x).
func BenchmarkReset(b *testing.B) {
	for _, n := range []int{0, 1000} {
		b.Run(fmt.Sprintf("entities=%d", n), func(b *testing.B) { benchmarkReset(b, n) })
	}
}

func benchmarkReset(b *testing.B, n int) {
	f := newEmuFixture(b, "emulator", Off)
	ctx := context.Background()
	a := iam.Account{ID: f.account, Caller: "bench"}
	doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	fill := func() {
		for i := range n / 4 {
			n := aws.String(fmt.Sprintf("e%03d", i))
			if _, err := f.iam.CreateUser(ctx, a, &iamapi.CreateUserInput{UserName: n}); err != nil {
				b.Fatal(err)
			}
			if _, err := f.iam.CreateAccessKey(ctx, a, &iamapi.CreateAccessKeyInput{UserName: n}); err != nil {
				b.Fatal(err)
			}
			if _, err := f.iam.CreateGroup(ctx, a, &iamapi.CreateGroupInput{GroupName: n}); err != nil {
				b.Fatal(err)
			}
			if _, err := f.iam.CreateRole(ctx, a, &iamapi.CreateRoleInput{RoleName: n, AssumeRolePolicyDocument: &trust}); err != nil {
				b.Fatal(err)
			}
			if _, err := f.iam.CreatePolicy(ctx, a, &iamapi.CreatePolicyInput{PolicyName: n, PolicyDocument: &doc}); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportAllocs()
	var cpu time.Duration
	for b.Loop() {
		b.StopTimer()
		fill()
		runtime.GC() // the fill's garbage is not the reset's
		c0 := rusageCPU()
		b.StartTimer()
		if w := f.post("/moto-api/reset", ""); w.Code != 200 {
			b.Fatalf("reset: %d %s", w.Code, w.Body)
		}
		cpu += rusageCPU() - c0
	}
	// On a loaded machine wall time includes waiting for a core and the commit's fsync;
	// the process CPU per reset is the part the code decides.
	b.ReportMetric(float64(cpu.Microseconds())/1000/float64(b.N), "cpu-ms/op")
}

func rusageCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkRecordedDecision is one signed, allowed GetUser of a user with a policy through
// ServeHTTP: production, and emulator mode where the decision is also recorded (soft).
func BenchmarkRecordedDecision(b *testing.B) {
	for _, mode := range []string{"production", "emulator"} {
		b.Run(mode, func(b *testing.B) {
			f := newEmuFixture(b, mode, Soft)
			id, secret := f.user("alice", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:GetUser","Resource":"*"}]}`)
			params := url.Values{"Action": {"GetUser"}, "Version": {"2010-05-08"}}
			body := []byte(params.Encode())
			req := httptest.NewRequest("POST", "http://127.0.0.1:7474/", nil)
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
			sum := sha256.Sum256(body)
			if err := v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: id, SecretAccessKey: secret},
				req, hex.EncodeToString(sum[:]), "iam", "us-east-1", time.Now()); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			c0 := rusageCPU()
			defer func() { b.ReportMetric(float64(rusageCPU()-c0)/float64(b.N), "cpu-ns/op") }()
			for b.Loop() {
				r := req.Clone(req.Context())
				r.Body = io.NopCloser(bytes.NewReader(body))
				w := httptest.NewRecorder()
				f.srv.ServeHTTP(w, r)
				if w.Code != 200 {
					b.Fatalf("GetUser: %d %s", w.Code, w.Body)
				}
			}
		})
	}
}

func FuzzDecisionQuery(f *testing.F) {
	for _, q := range []string{"denied=true&since=42&principal=arn:aws:iam::123456789012:user/a", "since=2026-11-30T10:00:00Z&limit=5", "denied=maybe", "limit=-1", "since=%zz"} {
		f.Add(q)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		v, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		q, err := decisionQuery(v)
		if err != nil {
			return
		}
		if q.Limit < 0 || (q.After != 0 && !q.Since.IsZero()) {
			t.Fatalf("%q: got %+v", raw, q)
		}
	})
}
