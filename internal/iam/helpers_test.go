package iam

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"gatehouse/internal/awserr"
	"gatehouse/internal/kv"
	"gatehouse/internal/store"
)

const testAccount = "123456789012"

// gcmSealer is AES-256-GCM with a fixed test key, the construction internal/seal uses.
type gcmSealer struct{ aead cipher.AEAD }

func newGCMSealer(t testing.TB) *gcmSealer {
	t.Helper()
	block, err := aes.NewCipher(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		t.Fatal(err)
	}
	return &gcmSealer{aead: aead}
}

func (g *gcmSealer) Seal(plaintext, ad []byte) ([]byte, error) {
	nonce := make([]byte, g.aead.NonceSize())
	for i := range nonce {
		nonce[i] = byte(len(ad) + i + len(plaintext))
	}
	return g.aead.Seal(nonce, nonce, plaintext, ad), nil
}

func (g *gcmSealer) Open(sealed, ad []byte) ([]byte, error) {
	n := g.aead.NonceSize()
	if len(sealed) < n {
		return nil, errors.New("short")
	}
	return g.aead.Open(nil, sealed[:n], sealed[n:], ad)
}

// fakeManaged is a ManagedPolicySource with a few AWS managed policies.
type fakeManaged struct{ ps []ManagedPolicy }

func (f fakeManaged) ManagedPolicies() []ManagedPolicy { return f.ps }
func (f fakeManaged) ManagedPolicy(name string) (ManagedPolicy, bool) {
	for _, p := range f.ps {
		if p.Name == name {
			return p, true
		}
	}
	return ManagedPolicy{}, false
}

func testManaged() fakeManaged {
	mk := func(path, name, doc string) ManagedPolicy {
		d := time.Date(2015, 2, 6, 18, 40, 0, 0, time.UTC)
		return ManagedPolicy{Name: name, Path: path, ARN: "arn:aws:iam::aws:policy" + path + name, PolicyID: "ANPA" + strings.ToUpper(fmt.Sprintf("%017x", len(name)))[:17],
			DefaultVersionID: "v1", CreateDate: d, UpdateDate: d, Document: doc}
	}
	return fakeManaged{ps: []ManagedPolicy{
		mk("/", "AdministratorAccess", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`),
		mk("/", "AmazonEC2FullAccess", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ec2:*","Resource":"*"}]}`),
		mk("/", "AmazonS3FullAccess", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`),
		mk("/job-function/", "ViewOnlyAccess", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:List*","Resource":"*"}]}`),
	}}
}

type testEnv struct {
	t       testing.TB
	svc     *Service
	store   kv.Store
	clock   *testClock
	changes *changeLog
}

type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(time.Second)
	return c.t
}

type changeLog struct {
	mu sync.Mutex
	cs []Change
}

func (l *changeLog) add(c Change) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.cs = append(l.cs, c)
}

func (l *changeLog) last() Change {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.cs) == 0 {
		return Change{}
	}
	return l.cs[len(l.cs)-1]
}

// newEnv opens a real SQLite store in a temporary directory and a Service over it.
func newEnv(t testing.TB) *testEnv {
	t.Helper()
	ctx := context.Background()
	st, err := store.OpenSQLite(ctx, filepath.Join(t.TempDir(), "gatehouse.db"), store.Options{UnsafeNoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return newEnvOver(t, st)
}

func newEnvOver(t testing.TB, st kv.Store) *testEnv {
	t.Helper()
	env := &testEnv{t: t, store: st, clock: &testClock{t: time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)}, changes: &changeLog{}}
	svc, err := New(Options{Store: st, Sealer: newGCMSealer(t), ManagedPolicies: testManaged(), Now: env.clock.Now,
		Rand: rand.NewChaCha8([32]byte{1, 2, 3}), OnChange: env.changes.add})
	if err != nil {
		t.Fatal(err)
	}
	env.svc = svc
	if _, err := svc.Bootstrap(ctx(), testAccount); err != nil {
		t.Fatal(err)
	}
	return env
}

func ctx() context.Context { return context.Background() }

func root() Account {
	return Account{ID: testAccount, Partition: "aws", Caller: "arn:aws:iam::" + testAccount + ":root"}
}

// call invokes the Service method named op with in decoded from JSON into its input type, as
// the edge does after decoding a request.
func (e *testEnv) call(a Account, op string, in string) (any, error) {
	e.t.Helper()
	m := reflect.ValueOf(e.svc).MethodByName(op)
	if !m.IsValid() {
		e.t.Fatalf("no method %s", op)
	}
	inType := m.Type().In(2).Elem()
	inV := reflect.New(inType)
	if in == "" {
		in = "{}"
	}
	dec := json.NewDecoder(strings.NewReader(in))
	dec.DisallowUnknownFields()
	if err := dec.Decode(inV.Interface()); err != nil {
		e.t.Fatalf("%s input %s: %v", op, in, err)
	}
	// As the server decodes: leniently under MotoLenient (awsproto.DecodeRequestLenient).
	if v, ok := inV.Interface().(interface{ ValidateLenient() error }); ok && e.svc.opt.MotoLenient {
		if err := v.ValidateLenient(); err != nil {
			return nil, err
		}
	} else if v, ok := inV.Interface().(interface{ Validate() error }); ok {
		if err := v.Validate(); err != nil {
			return nil, err
		}
	}
	res := m.Call([]reflect.Value{reflect.ValueOf(ctx()), reflect.ValueOf(a), inV})
	if err, _ := res[1].Interface().(error); err != nil {
		return nil, err
	}
	return res[0].Interface(), nil
}

// must calls op and fails the test on error.
func (e *testEnv) must(op, in string) any {
	e.t.Helper()
	out, err := e.call(root(), op, in)
	if err != nil {
		e.t.Fatalf("%s %s: %v", op, in, err)
	}
	return out
}

// wantErr checks that err is the AWS error code with message msg ("" = any message).
func wantErr(t testing.TB, err error, code, msg string) {
	t.Helper()
	ae, ok := awserr.As(err)
	if !ok {
		t.Fatalf("got error %v, want %s", err, code)
	}
	if ae.Code != code || (msg != "" && ae.Message != msg) {
		t.Fatalf("got %s: %q, want %s: %q", ae.Code, ae.Message, code, msg)
	}
}

// subset reports where got (any JSON-able value) differs from want (a JSON object that
// lists only what matters).
func subset(got any, want string) error {
	b, err := json.Marshal(got)
	if err != nil {
		return err
	}
	var g, w any
	if err := json.Unmarshal(b, &g); err != nil {
		return err
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		return fmt.Errorf("want %s: %v", want, err)
	}
	return subsetOf(g, w, "$")
}

func subsetOf(g, w any, path string) error {
	switch wv := w.(type) {
	case map[string]any:
		gm, ok := g.(map[string]any)
		if !ok {
			return fmt.Errorf("%s: got %v, want an object", path, g)
		}
		keys := make([]string, 0, len(wv))
		for k := range wv {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if wv[k] == nil {
				if gv, present := gm[k]; present && gv != nil {
					return fmt.Errorf("%s.%s: got %v, want absent", path, k, gv)
				}
				continue
			}
			if err := subsetOf(gm[k], wv[k], path+"."+k); err != nil {
				return err
			}
		}
		return nil
	case []any:
		ga, ok := g.([]any)
		if !ok && len(wv) == 0 && g == nil {
			return nil
		}
		if !ok || len(ga) != len(wv) {
			return fmt.Errorf("%s: got %v, want %d items %v", path, g, len(wv), wv)
		}
		for i := range wv {
			if err := subsetOf(ga[i], wv[i], fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
		return nil
	default:
		if !reflect.DeepEqual(g, w) {
			return fmt.Errorf("%s: got %v, want %v", path, g, w)
		}
		return nil
	}
}

// snapshot returns every key and value in the store.
func snapshot(t testing.TB, st kv.Store) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := st.View(ctx(), func(tx kv.Tx) error {
		ps, err := tx.List("", "", 0)
		for _, p := range ps {
			out[p.Key] = string(p.Value)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
