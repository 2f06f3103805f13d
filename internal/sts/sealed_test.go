package sts

import (
	"context"
	"crypto/rand"
	"errors"
	"testing"

	"gatehouse/internal/seal"
)

// TestSealedRecords: a record opens only for the associated data it was sealed with, a
// session token never opens as a record, and a record under a key another node rotated
// in opens after one reload.
func TestSealedRecords(t *testing.T) {
	s, _ := newService(t)
	ctx := context.Background()
	ad := []byte("gatehouse/authorization-message/111122223333")
	sealed, err := s.SealRecord([]byte("record"), ad)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := s.OpenRecord(ctx, sealed, ad); err != nil || string(got) != "record" {
		t.Fatalf("OpenRecord: got (%q, %v), want the record", got, err)
	}
	cr := issue(t, s)
	for _, tc := range []struct {
		note, sealed string
		ad           []byte
	}{
		{"other associated data", sealed, []byte("gatehouse/authorization-message/444455556666")},
		{"a session token for its key ID", cr.SessionToken, []byte(cr.AccessKeyID)},
		{"a session token as a record", cr.SessionToken, ad},
		{"garbage", "garbage", ad},
	} {
		if got, err := s.OpenRecord(ctx, tc.sealed, tc.ad); !errors.Is(err, ErrInvalidRecord) || got != nil {
			t.Errorf("%s: got (%q, %v), want ErrInvalidRecord", tc.note, got, err)
		}
	}
	if _, err := s.Open(ctx, cr.AccessKeyID, sealed); !errors.Is(err, ErrInvalidToken) {
		t.Errorf("a record as a session token: got %v, want ErrInvalidToken", err)
	}

	// Another node rotated: this node reloads once and opens the record.
	sealer, err := seal.New(make([]byte, seal.KeySize), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	clk := &clock{t: s.now()}
	k1, _ := seal.NewKeyring(rand.Reader, clk.Now)
	stored, _ := seal.MarshalKeyring(sealer, k1)
	k2, err := seal.UnmarshalKeyring(sealer, stored, rand.Reader, clk.Now)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := k2.Rotate(); err != nil {
		t.Fatal(err)
	}
	reloads := 0
	old, _ := New(Options{Keyring: k1, Now: clk.Now, Rand: rand.Reader,
		Reload: func(context.Context) (*seal.Keyring, error) { reloads++; return k2, nil }})
	rotated, _ := New(Options{Keyring: k2, Now: clk.Now, Rand: rand.Reader})
	rec, err := rotated.SealRecord([]byte("r2"), ad)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := old.OpenRecord(ctx, rec, ad); err != nil || string(got) != "r2" || reloads != 1 {
		t.Errorf("a record under a rotated key: got (%q, %v) after %d reloads, want it after 1", got, err, reloads)
	}
}
