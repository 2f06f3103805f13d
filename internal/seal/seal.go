// Package seal owns Gatehouse's cryptography at rest: the master key (DIR/master.key or
// GATEHOUSE_MASTER_KEY), the Sealer that encrypts secrets under it (secret access keys, MFA
// seeds), and the Keyring of rotating data keys that seals session tokens.
//
// Everything is AES-256-GCM. The associated data a caller passes binds a ciphertext to its
// owner — a secret access key's ciphertext to its access key ID, a session token to its
// temporary access key ID — so a ciphertext copied to another owner does not open. Each
// use also mixes a fixed label into the associated data (domain separation), so a sealed
// secret never opens as a token or a keyring and the reverse.
//
// Randomness (nonces, keys) and time (key rotation) are injected. GCM draws a random 96-bit
// nonce per message; NIST SP 800-38D §8.3 bounds a key at 2^32 such messages, far beyond
// what a master key seals (one ciphertext per access key) and what a data key seals between
// rotations.
package seal

import (
	"crypto/aes"
	"crypto/cipher"
	"errors"
	"fmt"
	"io"
)

// KeySize is the size of the master key and of each data key: AES-256.
const KeySize = 32

// ErrOpen is the one error of a ciphertext that does not open: wrong key, wrong associated
// data, truncated, tampered with. It deliberately says no more.
var ErrOpen = errors.New("seal: message authentication failed")

// sealVersion prefixes a sealed secret so the format can change later.
const sealVersion = 1

const nonceSize = 12

// Labels mixed into the associated data of each kind of ciphertext.
const (
	labelSecret  = "gatehouse/seal/secret/v1\x00"
	labelKeyring = "gatehouse/seal/keyring/v1\x00"
	labelToken   = "gatehouse/seal/token/v1\x00"
)

// Sealer encrypts and decrypts secrets under the master key. It is safe for concurrent use.
type Sealer struct {
	aead cipher.AEAD
	rand io.Reader
}

// New returns a Sealer for a 32-byte master key. random supplies nonces (crypto/rand.Reader
// in production).
func New(masterKey []byte, random io.Reader) (*Sealer, error) {
	aead, err := newAEAD(masterKey)
	if err != nil {
		return nil, err
	}
	if random == nil {
		return nil, errors.New("seal: no source of randomness")
	}
	return &Sealer{aead: aead, rand: random}, nil
}

func newAEAD(key []byte) (cipher.AEAD, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("seal: key is %d bytes, want %d", len(key), KeySize)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	return cipher.NewGCM(block)
}

// Seal encrypts plaintext bound to associatedData (for a secret access key: its access key
// ID). The result is version(1) ‖ nonce(12) ‖ ciphertext ‖ tag(16): 29 bytes longer than
// plaintext. It fails only if the source of randomness fails.
func (s *Sealer) Seal(plaintext, associatedData []byte) ([]byte, error) {
	return s.seal(labelSecret, plaintext, associatedData)
}

// Open decrypts what Seal returned for the same associatedData, or returns ErrOpen.
func (s *Sealer) Open(sealed, associatedData []byte) ([]byte, error) {
	return s.open(labelSecret, sealed, associatedData)
}

func (s *Sealer) seal(label string, plaintext, ad []byte) ([]byte, error) {
	out := make([]byte, 1+nonceSize, 1+nonceSize+len(plaintext)+s.aead.Overhead())
	out[0] = sealVersion
	if _, err := io.ReadFull(s.rand, out[1:]); err != nil {
		return nil, fmt.Errorf("seal: randomness: %w", err)
	}
	return s.aead.Seal(out, out[1:], plaintext, labelled(label, ad)), nil
}

func (s *Sealer) open(label string, sealed, ad []byte) ([]byte, error) {
	if len(sealed) < 1+nonceSize+s.aead.Overhead() || sealed[0] != sealVersion {
		return nil, ErrOpen
	}
	pt, err := s.aead.Open(nil, sealed[1:1+nonceSize], sealed[1+nonceSize:], labelled(label, ad))
	if err != nil {
		return nil, ErrOpen
	}
	return pt, nil
}

// labelled is the associated data actually authenticated: the label, then the caller's.
func labelled(label string, ad []byte) []byte {
	b := make([]byte, 0, len(label)+len(ad))
	return append(append(b, label...), ad...)
}
