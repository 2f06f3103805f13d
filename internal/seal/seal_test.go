package seal

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"errors"
	mrand "math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

func testKey(b byte) []byte { return bytes.Repeat([]byte{b}, KeySize) }

func newSealer(t testing.TB, key []byte) *Sealer {
	t.Helper()
	s, err := New(key, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSealOpen(t *testing.T) {
	s := newSealer(t, testKey(1))
	secret := []byte("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
	ad := []byte("AKIAIOSFODNN7EXAMPLE")
	sealed, err := s.Seal(secret, ad)
	if err != nil {
		t.Fatal(err)
	}
	if len(sealed) != len(secret)+29 {
		t.Errorf("sealed length %d, want %d", len(sealed), len(secret)+29)
	}
	if bytes.Contains(sealed, secret) {
		t.Fatal("the sealed form contains the plaintext")
	}
	got, err := s.Open(sealed, ad)
	if err != nil || !bytes.Equal(got, secret) {
		t.Fatalf("Open = %q, %v; want the secret", got, err)
	}
	again, _ := s.Seal(secret, ad)
	if bytes.Equal(again, sealed) {
		t.Error("two seals of one secret are equal: the nonce is not fresh")
	}

	// A ciphertext moved to another access key does not open.
	if _, err := s.Open(sealed, []byte("AKIAOTHERKEYEXAMPLE1")); !errors.Is(err, ErrOpen) {
		t.Errorf("Open with another key ID: got %v, want ErrOpen", err)
	}
	// Nor under another master key.
	if _, err := newSealer(t, testKey(2)).Open(sealed, ad); !errors.Is(err, ErrOpen) {
		t.Errorf("Open under another master key: got %v, want ErrOpen", err)
	}
	// Nor as another kind of ciphertext (domain separation).
	if _, err := s.open(labelKeyring, sealed, ad); !errors.Is(err, ErrOpen) {
		t.Errorf("a sealed secret opened as a keyring: %v", err)
	}
	// Every single-bit change and every truncation is caught.
	for i := range sealed {
		c := bytes.Clone(sealed)
		c[i] ^= 0x01
		if _, err := s.Open(c, ad); !errors.Is(err, ErrOpen) {
			t.Fatalf("bit flip at byte %d: got %v, want ErrOpen", i, err)
		}
		if _, err := s.Open(sealed[:i], ad); !errors.Is(err, ErrOpen) {
			t.Fatalf("truncated to %d bytes: got %v, want ErrOpen", i, err)
		}
	}
}

func TestNewRefusesBadKeys(t *testing.T) {
	for _, n := range []int{0, 16, 24, 31, 33} {
		if _, err := New(make([]byte, n), rand.Reader); err == nil {
			t.Errorf("New accepted a %d-byte key", n)
		}
	}
	if _, err := New(testKey(1), nil); err == nil {
		t.Error("New accepted no randomness")
	}
}

// A failing source of randomness fails Seal instead of reusing a nonce.
func TestSealRandomnessFailure(t *testing.T) {
	s, err := New(testKey(1), bytes.NewReader(make([]byte, 5)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Seal([]byte("x"), nil); err == nil {
		t.Fatal("Seal succeeded with a source of randomness that ran dry")
	}
}

func TestParseMasterKey(t *testing.T) {
	var cases []struct {
		Note  string `json:"note"`
		Input string `json:"input"`
		OK    bool   `json:"ok"`
	}
	b, err := os.ReadFile("testdata/masterkeys.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &cases); err != nil {
		t.Fatal(err)
	}
	want := make([]byte, KeySize)
	for i := range want {
		want[i] = byte(i)
	}
	for _, c := range cases {
		got, err := ParseMasterKey(c.Input)
		if (err == nil) != c.OK {
			t.Errorf("%s: ParseMasterKey error = %v, want ok=%v", c.Note, err, c.OK)
			continue
		}
		if c.OK && !bytes.Equal(got, want) {
			t.Errorf("%s: got %x, want %x", c.Note, got, want)
		}
		if err != nil && len(c.Input) > 8 && strings.Contains(err.Error(), strings.TrimSpace(c.Input)) {
			t.Errorf("%s: the error echoes the key material: %v", c.Note, err)
		}
	}
}

func TestLoadOrCreateMasterKey(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "master.key")
	k1, err := LoadOrCreateMasterKey(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(k1) != KeySize || bytes.Equal(k1, make([]byte, KeySize)) {
		t.Fatalf("created key %x", k1)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("master.key mode %v, want 0600", fi.Mode().Perm())
	}
	k2, err := LoadOrCreateMasterKey(path)
	if err != nil || !bytes.Equal(k1, k2) {
		t.Fatalf("second load = %x, %v; want the created key", k2, err)
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Errorf("the directory holds %d entries, want only master.key (temporary files removed)", len(ents))
	}

	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadOrCreateMasterKey(path); err == nil {
		t.Error("a world-readable master key was accepted")
	}

	bad := filepath.Join(dir, "bad.key")
	if err := os.WriteFile(bad, []byte("not a key\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadOrCreateMasterKey(bad); err == nil {
		t.Error("a master key file of garbage was accepted")
	}
	if _, err := LoadOrCreateMasterKey(filepath.Join(dir, "missing-dir", "master.key")); err == nil {
		t.Error("creating a key in a missing directory succeeded")
	}
}

// Processes starting together agree on one key: the losers of the race read the winner's.
func TestLoadOrCreateMasterKeyRace(t *testing.T) {
	path := filepath.Join(t.TempDir(), "master.key")
	keys := make([][]byte, 8)
	var wg sync.WaitGroup
	for i := range keys {
		wg.Go(func() {
			k, err := LoadOrCreateMasterKey(path)
			if err != nil {
				t.Error(err)
			}
			keys[i] = k
		})
	}
	wg.Wait()
	for i := range keys {
		if !bytes.Equal(keys[i], keys[0]) {
			t.Fatalf("racing creators got different keys: %x and %x", keys[0], keys[i])
		}
	}
}

// fixedRand is a deterministic source of "randomness": fuzz workers are separate processes,
// and each must build the same seed ciphertexts.
func fixedRand() *mrand.ChaCha8 { return mrand.NewChaCha8([32]byte{'g', 'h'}) }

func FuzzOpen(f *testing.F) {
	s, err := New(testKey(7), fixedRand())
	if err != nil {
		f.Fatal(err)
	}
	good, _ := s.Seal([]byte("secret"), []byte("AKIA"))
	f.Add(good, []byte("AKIA"))
	f.Add([]byte{}, []byte{})
	f.Add([]byte{1}, []byte("AKIA"))
	f.Fuzz(func(t *testing.T, sealed, ad []byte) {
		pt, err := s.Open(sealed, ad)
		if err == nil && !(bytes.Equal(sealed, good) && string(ad) == "AKIA") {
			t.Fatalf("Open accepted a forgery: %x → %q", sealed, pt)
		}
		if err != nil && !errors.Is(err, ErrOpen) {
			t.Fatalf("Open error %v, want ErrOpen", err)
		}
	})
}

func FuzzParseMasterKey(f *testing.F) {
	f.Add("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f")
	f.Add("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		k, err := ParseMasterKey(s)
		if err == nil && len(k) != KeySize {
			t.Fatalf("ParseMasterKey(%q) returned %d bytes", s, len(k))
		}
	})
}

// A session record about the size sts seals: key ID, secret, principal, policies, tags,
// times.
var record300 = bytes.Repeat([]byte(`{"k":"ASIAEXAMPLE","s":"secret"}`), 10)[:300]

func BenchmarkSeal(b *testing.B) {
	s := newSealer(b, testKey(1))
	ad := []byte("AKIAIOSFODNN7EXAMPLE")
	b.SetBytes(int64(len(record300)))
	for b.Loop() {
		if _, err := s.Seal(record300, ad); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkOpen(b *testing.B) {
	s := newSealer(b, testKey(1))
	ad := []byte("AKIAIOSFODNN7EXAMPLE")
	sealed, _ := s.Seal(record300, ad)
	b.SetBytes(int64(len(record300)))
	for b.Loop() {
		if _, err := s.Open(sealed, ad); err != nil {
			b.Fatal(err)
		}
	}
}

// When randomness fails, no key file is left behind (a later start must not find a
// half-made key).
func TestLoadOrCreateMasterKeyRandomnessFailure(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "master.key")
	if _, err := loadOrCreateMasterKey(path, bytes.NewReader(make([]byte, 7))); err == nil {
		t.Fatal("a master key was made from 7 bytes of randomness")
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Fatalf("a failed creation left %d files", len(ents))
	}
	// Deterministic randomness makes a deterministic key: the reader is really what is used.
	seed := bytes.Repeat([]byte{0xab}, KeySize)
	k, err := loadOrCreateMasterKey(path, bytes.NewReader(seed))
	if err != nil || !bytes.Equal(k, seed) {
		t.Fatalf("key from injected randomness = %x, %v; want %x", k, err, seed)
	}
}
