package seal

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"gatehouse/internal/kv"
	"gatehouse/internal/store"
)

// clock is a settable test clock.
type clock struct{ t time.Time }

func (c *clock) Now() time.Time          { return c.t }
func (c *clock) Advance(d time.Duration) { c.t = c.t.Add(d) }

func newClock() *clock { return &clock{t: time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)} }

func TestKeyringTokens(t *testing.T) {
	clk := newClock()
	k, err := NewKeyring(rand.Reader, clk.Now)
	if err != nil {
		t.Fatal(err)
	}
	ad := []byte("ASIAIOSFODNN7EXAMPLE")
	tok, err := k.SealToken(record300, ad)
	if err != nil {
		t.Fatal(err)
	}
	if want := base64.RawURLEncoding.EncodedLen(len(record300) + tokenOverhead); len(tok) != want {
		t.Errorf("token of a 300-byte record is %d characters, want %d", len(tok), want)
	}
	got, err := k.OpenToken(tok, ad)
	if err != nil || string(got) != string(record300) {
		t.Fatalf("OpenToken = %q, %v", got, err)
	}
	// The token travels with its access key ID; with another one it is worthless.
	if _, err := k.OpenToken(tok, []byte("ASIAOTHEREXAMPLE0000")); !errors.Is(err, ErrOpen) {
		t.Errorf("token with another access key ID: got %v, want ErrOpen", err)
	}
	// Another keyring (another deployment) cannot open it.
	other, _ := NewKeyring(rand.Reader, clk.Now)
	if _, err := other.OpenToken(tok, ad); !errors.Is(err, ErrOpen) {
		t.Errorf("token opened by another keyring: got %v, want ErrOpen", err)
	}
	// Tampering anywhere fails; changing the key ID byte names a key that is not there.
	raw, _ := base64.RawURLEncoding.DecodeString(tok)
	for i := range raw {
		c := append([]byte(nil), raw...)
		c[i] ^= 0x20
		_, err := k.OpenToken(base64.RawURLEncoding.EncodeToString(c), ad)
		if i == 0 && !errors.Is(err, ErrUnknownKey) {
			t.Errorf("token with another key ID: got %v, want ErrUnknownKey", err)
		}
		if i > 0 && !errors.Is(err, ErrOpen) {
			t.Fatalf("token changed at byte %d: got %v, want ErrOpen", i, err)
		}
	}
	for _, bad := range []string{"", "!!!!", tok[:20], tok + "A", "=" + tok, string(make([]byte, MaxTokenLen+1))} {
		if _, err := k.OpenToken(bad, ad); err == nil {
			t.Errorf("OpenToken(%.30q…) succeeded", bad)
		}
	}
}

// TestKeyringMaxRecordLen: a record of MaxRecordLen bytes seals into a token that opens,
// one byte more into a token OpenToken refuses, so an issuer that keeps its records within
// MaxRecordLen never hands out a token that does not open.
func TestKeyringMaxRecordLen(t *testing.T) {
	k, err := NewKeyring(rand.Reader, newClock().Now)
	if err != nil {
		t.Fatal(err)
	}
	ad := []byte("ASIAIOSFODNN7EXAMPLE")
	for _, tc := range []struct {
		n     int
		opens bool
	}{{MaxRecordLen, true}, {MaxRecordLen + 1, false}} {
		tok, err := k.SealToken(bytes.Repeat([]byte{'r'}, tc.n), ad)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := k.OpenToken(tok, ad); (err == nil) != tc.opens {
			t.Errorf("record of %d bytes (token %d, MaxTokenLen %d): OpenToken error %v, want opens=%v", tc.n, len(tok), MaxTokenLen, err, tc.opens)
		}
	}
}

func TestKeyringRotateAndPrune(t *testing.T) {
	clk := newClock()
	k, _ := NewKeyring(rand.Reader, clk.Now)
	ad := []byte("ASIA1")
	old, _ := k.SealToken([]byte("old session"), ad)
	first := k.Current()

	clk.Advance(24 * time.Hour)
	id, err := k.Rotate()
	if err != nil {
		t.Fatal(err)
	}
	if id == first || k.Current() != id {
		t.Fatalf("Rotate made %d current (was %d; Current says %d)", id, first, k.Current())
	}
	fresh, _ := k.SealToken([]byte("new session"), ad)
	if rawOld, rawFresh := decode(t, old), decode(t, fresh); rawOld[0] != byte(first) || rawFresh[0] != byte(id) {
		t.Errorf("tokens name keys %d and %d, want %d (before rotation) and %d", rawOld[0], rawFresh[0], first, id)
	}
	for _, tc := range []struct{ tok, want string }{{old, "old session"}, {fresh, "new session"}} {
		if got, err := k.OpenToken(tc.tok, ad); err != nil || string(got) != tc.want {
			t.Errorf("after rotation OpenToken = %q, %v; want %q", got, err, tc.want)
		}
	}
	infos := k.Keys()
	if len(infos) != 2 || infos[0].Retired != clk.Now() || !infos[1].Retired.IsZero() {
		t.Errorf("keys after rotation: %+v", infos)
	}

	// Within the token lifetime the retired key stays; after it, it goes and its tokens die.
	clk.Advance(12 * time.Hour)
	if n := k.Prune(36 * time.Hour); n != 0 {
		t.Errorf("Prune dropped %d keys while their tokens may live", n)
	}
	clk.Advance(25 * time.Hour)
	if n := k.Prune(36 * time.Hour); n != 1 {
		t.Errorf("Prune dropped %d keys, want the 1 retired 37 h ago", n)
	}
	if _, err := k.OpenToken(old, ad); !errors.Is(err, ErrUnknownKey) {
		t.Errorf("token of a pruned key: got %v, want ErrUnknownKey", err)
	}
	if got, err := k.OpenToken(fresh, ad); err != nil || string(got) != "new session" {
		t.Errorf("current key's token after Prune: %q, %v", got, err)
	}
	// IDs wrap around and reuse freed slots.
	for range 300 {
		if _, err := k.Rotate(); err != nil {
			t.Fatalf("Rotate: %v", err)
		}
		clk.Advance(time.Hour)
		k.Prune(0)
	}
	if len(k.Keys()) > 2 {
		t.Errorf("%d keys held after rotating and pruning", len(k.Keys()))
	}
}

func TestKeyringFull(t *testing.T) {
	k, _ := NewKeyring(rand.Reader, newClock().Now)
	for range 255 {
		if _, err := k.Rotate(); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := k.Rotate(); err == nil {
		t.Fatal("the 257th key was accepted: a key ID would be shared")
	}
}

func TestKeyringMarshal(t *testing.T) {
	clk := newClock()
	s := newSealer(t, testKey(3))
	k, _ := NewKeyring(rand.Reader, clk.Now)
	t1, _ := k.SealToken([]byte("one"), []byte("A"))
	clk.Advance(time.Hour)
	k.Rotate()
	t2, _ := k.SealToken([]byte("two"), []byte("B"))

	blob, err := MarshalKeyring(s, k)
	if err != nil {
		t.Fatal(err)
	}
	for _, dk := range k.state.Load().keys {
		if dk != nil && bytes.Contains(blob, dk.key) {
			t.Fatal("the marshalled keyring holds a data key in the clear")
		}
	}
	k2, err := UnmarshalKeyring(s, blob, rand.Reader, clk.Now)
	if err != nil {
		t.Fatal(err)
	}
	if k2.Current() != k.Current() || len(k2.Keys()) != 2 {
		t.Fatalf("unmarshalled keyring: current %d, keys %+v", k2.Current(), k2.Keys())
	}
	for _, tc := range []struct{ tok, ad, want string }{{t1, "A", "one"}, {t2, "B", "two"}} {
		if got, err := k2.OpenToken(tc.tok, []byte(tc.ad)); err != nil || string(got) != tc.want {
			t.Errorf("unmarshalled keyring opens %q, %v; want %q", got, err, tc.want)
		}
	}
	if _, err := UnmarshalKeyring(newSealer(t, testKey(4)), blob, rand.Reader, clk.Now); err == nil {
		t.Error("a keyring opened under another master key")
	}
	// A sealed secret is not a keyring, even under the same master key.
	secret, _ := s.Seal(blob, nil)
	if _, err := UnmarshalKeyring(s, secret, rand.Reader, clk.Now); err == nil {
		t.Error("a sealed secret unmarshalled as a keyring")
	}
}

func decode(t *testing.T, tok string) []byte {
	t.Helper()
	raw, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func TestMaintain(t *testing.T) {
	st, err := store.OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "g.db"), store.Options{UnsafeNoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	s := newSealer(t, testKey(5))
	clk := newClock()
	rot := Rotation{Every: 24 * time.Hour, MaxTokenLifetime: 36 * time.Hour}
	ctx := context.Background()

	k1, err := Maintain(ctx, st, s, rand.Reader, clk.Now, rot)
	if err != nil {
		t.Fatal(err)
	}
	tok, _ := k1.SealToken([]byte("session"), []byte("ASIA1"))
	// Another node maintaining at the same moment gets the same keyring, not a new one.
	k2, err := Maintain(ctx, st, s, rand.Reader, clk.Now, rot)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := k2.OpenToken(tok, []byte("ASIA1")); err != nil || string(got) != "session" {
		t.Fatalf("second node opens %q, %v", got, err)
	}
	clk.Advance(25 * time.Hour)
	k3, _ := Maintain(ctx, st, s, rand.Reader, clk.Now, rot)
	if k3.Current() == k1.Current() {
		t.Error("Maintain did not rotate a 25-hour-old key")
	}
	if _, err := k3.OpenToken(tok, []byte("ASIA1")); err != nil {
		t.Errorf("token of the retired key: %v", err)
	}
	// The rotation is in the store: a node that loads it sees the new current key.
	var loaded *Keyring
	err = st.View(ctx, func(tx kv.Tx) error {
		var err error
		loaded, err = LoadKeyring(tx, s, rand.Reader, clk.Now)
		return err
	})
	if err != nil || loaded.Current() != k3.Current() {
		t.Fatalf("LoadKeyring: %v (current %v, want %d)", err, loaded, k3.Current())
	}
	clk.Advance(37 * time.Hour)
	k4, _ := Maintain(ctx, st, s, rand.Reader, clk.Now, rot)
	if _, err := k4.OpenToken(tok, []byte("ASIA1")); !errors.Is(err, ErrUnknownKey) {
		t.Errorf("token older than any session after pruning: got %v, want ErrUnknownKey", err)
	}
}

func FuzzOpenToken(f *testing.F) {
	k, err := NewKeyring(fixedRand(), newClock().Now)
	if err != nil {
		f.Fatal(err)
	}
	good, _ := k.SealToken([]byte("session"), []byte("ASIA"))
	f.Add(good, []byte("ASIA"))
	f.Add("", []byte{})
	f.Add("AAAA", []byte("ASIA"))
	f.Fuzz(func(t *testing.T, tok string, ad []byte) {
		rec, err := k.OpenToken(tok, ad)
		if err == nil && !(tok == good && string(ad) == "ASIA") {
			t.Fatalf("OpenToken accepted a forgery %q → %q", tok, rec)
		}
		if err != nil && !errors.Is(err, ErrOpen) && !errors.Is(err, ErrUnknownKey) {
			t.Fatalf("OpenToken error %v", err)
		}
	})
}

func BenchmarkSealToken(b *testing.B) {
	k, _ := NewKeyring(rand.Reader, time.Now)
	ad := []byte("ASIAIOSFODNN7EXAMPLE")
	b.SetBytes(int64(len(record300)))
	for b.Loop() {
		if _, err := k.SealToken(record300, ad); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkOpenToken(b *testing.B) {
	k, _ := NewKeyring(rand.Reader, time.Now)
	ad := []byte("ASIAIOSFODNN7EXAMPLE")
	tok, _ := k.SealToken(record300, ad)
	b.SetBytes(int64(len(record300)))
	for b.Loop() {
		if _, err := k.OpenToken(tok, ad); err != nil {
			b.Fatal(err)
		}
	}
}

// Keyrings that decrypt but make no sense are refused rather than half-used.
func TestUnmarshalKeyringRejectsInconsistent(t *testing.T) {
	s := newSealer(t, testKey(6))
	key := make([]byte, KeySize)
	created := newClock().Now()
	cases := []struct {
		note string
		j    keyringJSON
	}{
		{"current key missing", keyringJSON{Current: 2, Keys: []dataKeyJSON{{ID: 1, Key: key, Created: created}}}},
		{"duplicate ID", keyringJSON{Current: 1, Keys: []dataKeyJSON{{ID: 1, Key: key, Created: created}, {ID: 1, Key: key, Created: created}}}},
		{"short key", keyringJSON{Current: 1, Keys: []dataKeyJSON{{ID: 1, Key: key[:16], Created: created}}}},
		{"current key retired", keyringJSON{Current: 1, Keys: []dataKeyJSON{{ID: 1, Key: key, Created: created, Retired: created}}}},
		{"no keys", keyringJSON{}},
	}
	for _, c := range cases {
		pt, err := json.Marshal(c.j)
		if err != nil {
			t.Fatal(err)
		}
		blob, err := s.seal(labelKeyring, pt, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := UnmarshalKeyring(s, blob, rand.Reader, newClock().Now); err == nil {
			t.Errorf("%s: UnmarshalKeyring accepted it", c.note)
		}
	}
}
