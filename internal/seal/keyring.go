package seal

import (
	"context"
	"crypto/cipher"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"gatehouse/internal/kv"
)

// KeyID names a data key inside a token. One byte keeps tokens short; an ID is reused only
// after the key that held it was pruned, so 256 IDs outlast any sane rotation schedule
// (daily rotation with 36-hour tokens keeps two or three keys).
type KeyID uint8

// ErrUnknownKey: a token names a data key this keyring does not hold. Another node may have
// rotated since this keyring was loaded; reload it (LoadKeyring) and try again. The token
// may also be forged or sealed under a pruned key.
var ErrUnknownKey = errors.New("seal: token names an unknown data key")

// StoreKey is where SaveKeyring and LoadKeyring keep the sealed keyring in the kv space.
const StoreKey = "seal/keyring"

// MaxTokenLen bounds what OpenToken decodes: a session record is a few hundred bytes, and
// AWS documents session tokens of up to a few KB; nothing legitimate comes near 16 KiB.
// SealToken does not enforce it: an issuer refuses a record over MaxRecordLen, whose token
// would not open.
const MaxTokenLen = 16 << 10

// MaxRecordLen is the longest record whose token stays within MaxTokenLen: base64 keeps
// 3 bytes in 4 characters (MaxTokenLen is a multiple of 4), less what a token adds.
const MaxRecordLen = MaxTokenLen/4*3 - tokenOverhead

// tokenOverhead is what a token adds to its record before base64: key ID, nonce, GCM tag.
const tokenOverhead = 1 + nonceSize + 16

// DataKeyInfo describes a data key without its secret.
type DataKeyInfo struct {
	ID      KeyID
	Created time.Time
	// Retired is when the key stopped sealing new tokens (zero for the current key). It
	// still opens tokens until Prune drops it.
	Retired time.Time
}

// Keyring holds the data keys that seal session tokens: one current key that seals, and
// older keys that still open the tokens they sealed until those expire. Seal and open are
// lock-free and safe for concurrent use; Rotate and Prune are serialized.
type Keyring struct {
	rand  io.Reader
	now   func() time.Time
	mu    sync.Mutex // serializes Rotate and Prune
	state atomic.Pointer[ringState]
}

// ringState is immutable once published.
type ringState struct {
	current KeyID
	keys    [256]*dataKey
}

type dataKey struct {
	DataKeyInfo
	key  []byte
	aead cipher.AEAD
}

// NewKeyring returns a keyring holding one fresh data key. random supplies keys and nonces
// (crypto/rand.Reader in production); now stamps key creation and retirement.
func NewKeyring(random io.Reader, now func() time.Time) (*Keyring, error) {
	k := &Keyring{rand: random, now: now}
	if random == nil || now == nil {
		return nil, errors.New("seal: NewKeyring needs randomness and a clock")
	}
	dk, err := k.newKey(0)
	if err != nil {
		return nil, err
	}
	st := &ringState{current: 0}
	st.keys[0] = dk
	k.state.Store(st)
	return k, nil
}

func (k *Keyring) newKey(id KeyID) (*dataKey, error) {
	key := make([]byte, KeySize)
	if _, err := io.ReadFull(k.rand, key); err != nil {
		return nil, fmt.Errorf("seal: randomness: %w", err)
	}
	return makeKey(DataKeyInfo{ID: id, Created: k.now().UTC()}, key)
}

func makeKey(info DataKeyInfo, key []byte) (*dataKey, error) {
	aead, err := newAEAD(key)
	if err != nil {
		return nil, err
	}
	return &dataKey{DataKeyInfo: info, key: key, aead: aead}, nil
}

// Current is the ID of the key that seals new tokens.
func (k *Keyring) Current() KeyID { return k.state.Load().current }

// Keys describes every key held, in ID order.
func (k *Keyring) Keys() []DataKeyInfo {
	st := k.state.Load()
	var out []DataKeyInfo
	for _, dk := range st.keys {
		if dk != nil {
			out = append(out, dk.DataKeyInfo)
		}
	}
	return out
}

// Rotate makes a fresh key current; the previous one is retired and keeps opening its
// tokens. It fails only when all 256 IDs are taken (Prune was never called) or randomness
// fails.
func (k *Keyring) Rotate() (KeyID, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	old := k.state.Load()
	id, ok := old.current, false
	for range 255 {
		id++
		if old.keys[id] == nil {
			ok = true
			break
		}
	}
	if !ok {
		return 0, errors.New("seal: keyring is full (256 keys); prune retired keys")
	}
	dk, err := k.newKey(id)
	if err != nil {
		return 0, err
	}
	st := *old
	retired := *st.keys[old.current]
	retired.Retired = k.now().UTC()
	st.keys[old.current] = &retired
	st.keys[id] = dk
	st.current = id
	k.state.Store(&st)
	return id, nil
}

// Prune drops retired keys that stopped sealing more than maxTokenLifetime ago: every
// token they sealed has expired. It returns how many keys it dropped.
func (k *Keyring) Prune(maxTokenLifetime time.Duration) int {
	k.mu.Lock()
	defer k.mu.Unlock()
	old := k.state.Load()
	cutoff := k.now().Add(-maxTokenLifetime)
	st := *old
	n := 0
	for i, dk := range st.keys {
		if dk != nil && !dk.Retired.IsZero() && dk.Retired.Before(cutoff) {
			st.keys[i] = nil
			n++
		}
	}
	if n > 0 {
		k.state.Store(&st)
	}
	return n
}

// SealToken seals a session record into a token bound to associatedData (the temporary
// access key ID the token travels with). The token is base64url without padding of
// keyID(1) ‖ nonce(12) ‖ ciphertext ‖ tag(16): about 4/3 × (len(record) + 29) characters,
// safe in a header and in a presigned URL's query without escaping.
func (k *Keyring) SealToken(record, associatedData []byte) (string, error) {
	dk := k.state.Load()
	key := dk.keys[dk.current]
	raw := make([]byte, 1+nonceSize, tokenOverhead+len(record))
	raw[0] = byte(key.ID)
	if _, err := io.ReadFull(k.rand, raw[1:]); err != nil {
		return "", fmt.Errorf("seal: randomness: %w", err)
	}
	raw = key.aead.Seal(raw, raw[1:1+nonceSize], record, tokenAD(key.ID, associatedData))
	return base64.RawURLEncoding.EncodeToString(raw), nil
}

// OpenToken returns the record sealed in token for associatedData. A token that is not
// base64url, too short or too long, or fails authentication returns ErrOpen; one whose key
// this keyring does not hold returns ErrUnknownKey.
func (k *Keyring) OpenToken(token string, associatedData []byte) ([]byte, error) {
	if len(token) > MaxTokenLen || len(token) < base64.RawURLEncoding.EncodedLen(tokenOverhead) {
		return nil, ErrOpen
	}
	raw, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil {
		return nil, ErrOpen
	}
	id := KeyID(raw[0])
	key := k.state.Load().keys[id]
	if key == nil {
		return nil, ErrUnknownKey
	}
	rec, err := key.aead.Open(nil, raw[1:1+nonceSize], raw[1+nonceSize:], tokenAD(id, associatedData))
	if err != nil {
		return nil, ErrOpen
	}
	return rec, nil
}

// tokenAD binds a token to its key ID as well as to the caller's data.
func tokenAD(id KeyID, ad []byte) []byte {
	b := make([]byte, 0, len(labelToken)+1+len(ad))
	b = append(b, labelToken...)
	b = append(b, byte(id))
	return append(b, ad...)
}

// keyringJSON is the keyring's plaintext form, which exists only inside a sealed blob.
type keyringJSON struct {
	Current KeyID         `json:"current"`
	Keys    []dataKeyJSON `json:"keys"`
}

type dataKeyJSON struct {
	ID      KeyID     `json:"id"`
	Key     []byte    `json:"key"`
	Created time.Time `json:"created"`
	Retired time.Time `json:"retired,omitzero"`
}

// MarshalKeyring seals the keyring under the master key.
func MarshalKeyring(s *Sealer, k *Keyring) ([]byte, error) {
	st := k.state.Load()
	j := keyringJSON{Current: st.current}
	for _, dk := range st.keys {
		if dk != nil {
			j.Keys = append(j.Keys, dataKeyJSON{ID: dk.ID, Key: dk.key, Created: dk.Created, Retired: dk.Retired})
		}
	}
	pt, err := json.Marshal(j)
	if err != nil {
		return nil, fmt.Errorf("seal: marshal keyring: %w", err)
	}
	return s.seal(labelKeyring, pt, nil)
}

// UnmarshalKeyring opens a keyring that MarshalKeyring sealed. random and now serve the
// returned keyring as in NewKeyring.
func UnmarshalKeyring(s *Sealer, sealed []byte, random io.Reader, now func() time.Time) (*Keyring, error) {
	if random == nil || now == nil {
		return nil, errors.New("seal: UnmarshalKeyring needs randomness and a clock")
	}
	pt, err := s.open(labelKeyring, sealed, nil)
	if err != nil {
		return nil, fmt.Errorf("seal: keyring: %w (wrong master key?)", err)
	}
	var j keyringJSON
	if err := json.Unmarshal(pt, &j); err != nil {
		return nil, fmt.Errorf("seal: keyring: %w", err)
	}
	st := &ringState{current: j.Current}
	for _, jk := range j.Keys {
		if st.keys[jk.ID] != nil {
			return nil, fmt.Errorf("seal: keyring: key %d appears twice", jk.ID)
		}
		dk, err := makeKey(DataKeyInfo{ID: jk.ID, Created: jk.Created, Retired: jk.Retired}, jk.Key)
		if err != nil {
			return nil, fmt.Errorf("seal: keyring: key %d: %w", jk.ID, err)
		}
		st.keys[jk.ID] = dk
	}
	if st.keys[st.current] == nil {
		return nil, fmt.Errorf("seal: keyring: current key %d is missing", st.current)
	}
	if !st.keys[st.current].Retired.IsZero() {
		// Prune would drop it, and every token it sealed with it.
		return nil, fmt.Errorf("seal: keyring: current key %d is marked retired", st.current)
	}
	k := &Keyring{rand: random, now: now}
	k.state.Store(st)
	return k, nil
}

// LoadKeyring reads the keyring from StoreKey; kv.ErrNotFound when there is none yet.
func LoadKeyring(tx kv.Tx, s *Sealer, random io.Reader, now func() time.Time) (*Keyring, error) {
	b, err := tx.Get(StoreKey)
	if err != nil {
		return nil, err
	}
	return UnmarshalKeyring(s, b, random, now)
}

// SaveKeyring writes the keyring, sealed, to StoreKey.
func SaveKeyring(tx kv.Tx, s *Sealer, k *Keyring) error {
	b, err := MarshalKeyring(s, k)
	if err != nil {
		return err
	}
	return tx.Put(StoreKey, b)
}

// Rotation says when Maintain rotates and prunes.
type Rotation struct {
	// Every is the age at which the current key is replaced (e.g. 24 h).
	Every time.Duration
	// MaxTokenLifetime is the longest a token lives (STS: 36 h for GetSessionToken, 12 h
	// for AssumeRole); a retired key is dropped this long after it stopped sealing.
	MaxTokenLifetime time.Duration
}

// Maintain loads the keyring from the store, creating it on first use, rotates it when its
// current key is older than r.Every, prunes keys no token can need, and saves it if it
// changed — all in one Update, so nodes running it at once agree on one keyring. Call it at
// startup and then periodically (hourly); reload (LoadKeyring) when OpenToken says
// ErrUnknownKey.
func Maintain(ctx context.Context, st kv.Store, s *Sealer, random io.Reader, now func() time.Time, r Rotation) (*Keyring, error) {
	var out *Keyring
	err := st.Update(ctx, func(tx kv.Tx) error {
		out = nil // fn may run more than once
		k, err := LoadKeyring(tx, s, random, now)
		changed := false
		switch {
		case errors.Is(err, kv.ErrNotFound):
			if k, err = NewKeyring(random, now); err != nil {
				return err
			}
			changed = true
		case err != nil:
			return err
		}
		cur := k.state.Load().keys[k.Current()]
		if r.Every > 0 && now().Sub(cur.Created) >= r.Every {
			if _, err := k.Rotate(); err != nil {
				return err
			}
			changed = true
		}
		if r.MaxTokenLifetime > 0 && k.Prune(r.MaxTokenLifetime) > 0 {
			changed = true
		}
		if changed {
			if err := SaveKeyring(tx, s, k); err != nil {
				return err
			}
		}
		out = k
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
