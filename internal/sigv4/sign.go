package sigv4

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding"
	"encoding/hex"
	"hash"
	"hash/maphash"
	"strings"
	"sync"
	"sync/atomic"
)

const (
	algorithm   = "AWS4-HMAC-SHA256"
	terminator  = "aws4_request"
	timeFormat  = "20060102T150405Z"
	dateFormat  = "20060102"
	emptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
	hmacBlock   = 64
)

// Payload hash values with a meaning of their own
// (https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html).
const (
	UnsignedPayload  = "UNSIGNED-PAYLOAD"
	StreamingPayload = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
)

// hmacSHA256 is HMAC-SHA256 for the key derivation, where speed does not matter (its result
// is cached).
func hmacSHA256(key []byte, data string) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(data))
	return h.Sum(nil)
}

// deriveKey is the signing key for one secret, day, region and service:
// HMAC(HMAC(HMAC(HMAC("AWS4"+secret, date), region), service), "aws4_request")
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html#derive-signing-key).
func deriveKey(secret, date, region, service string) []byte {
	k := hmacSHA256([]byte("AWS4"+secret), date)
	k = hmacSHA256(k, region)
	k = hmacSHA256(k, service)
	return hmacSHA256(k, terminator)
}

// signingKey is a derived key prepared for HMAC: the SHA-256 states after absorbing its inner
// and outer pads, so each signature skips those two blocks. On this code's hot path SHA-256
// blocks are nearly all the cost.
type signingKey struct {
	inner, outer []byte // marshalled sha256 states
}

func newSigningKey(derived []byte) *signingKey {
	var ipad, opad [hmacBlock]byte
	copy(ipad[:], derived)
	copy(opad[:], derived)
	for i := range ipad {
		ipad[i] ^= 0x36
		opad[i] ^= 0x5c
	}
	return &signingKey{inner: padState(ipad[:]), outer: padState(opad[:])}
}

func padState(pad []byte) []byte {
	h := sha256.New()
	h.Write(pad)
	state, err := h.(encoding.BinaryMarshaler).MarshalBinary()
	if err != nil {
		panic("sigv4: sha256 state cannot be marshalled: " + err.Error()) // the standard library guarantees it can
	}
	return state
}

// scratch is a SHA-256 state and the buffers that pass through it. Buffers handed to a
// hash.Hash escape to the heap, so they live in a pooled scratch rather than on the stack:
// signing then allocates nothing.
type scratch struct {
	h   hash.Hash
	msg [256]byte
	sum [2 * sha256.Size]byte
}

var scratches = sync.Pool{New: func() any { return &scratch{h: sha256.New()} }}

func restore(h hash.Hash, state []byte) {
	if err := h.(encoding.BinaryUnmarshaler).UnmarshalBinary(state); err != nil {
		panic("sigv4: sha256 state cannot be restored: " + err.Error()) // we marshalled it
	}
}

// sign returns HMAC-SHA256(key, msg), using s for the work.
func (k *signingKey) sign(s *scratch, msg []byte) [sha256.Size]byte {
	restore(s.h, k.inner)
	s.h.Write(msg)
	inner := s.h.Sum(s.sum[:0])
	restore(s.h, k.outer)
	s.h.Write(inner)
	return [sha256.Size]byte(s.h.Sum(s.sum[:0]))
}

// appendStringToSign appends the string to sign:
//
//	AWS4-HMAC-SHA256 \n RequestDateTime \n CredentialScope \n hex(SHA256(CanonicalRequest))
func appendStringToSign(dst []byte, amzDate, scope string, canonicalHash *[sha256.Size]byte) []byte {
	dst = append(dst, algorithm...)
	dst = append(dst, '\n')
	dst = append(dst, amzDate...)
	dst = append(dst, '\n')
	dst = append(dst, scope...)
	dst = append(dst, '\n')
	return hex.AppendEncode(dst, canonicalHash[:])
}

// keyCache holds derived signing keys per (secret, date, region, service). A derived key is
// good for one day, so a busy server derives each key once a day instead of four HMACs per
// request. It is a bounded, two-way set-associative table of atomic pointers: lookups take no
// lock, so verifications on many cores do not contend, and a full set replaces one of its two
// entries. Keys live in memory only, like the secrets they come from (an entry holds its
// secret to tell keys apart; the secret comes from the server's store, never the client).
type keyCache struct {
	seed  maphash.Seed
	mask  uint64
	slots []atomic.Pointer[keyEntry]
}

type keyID struct{ secret, date, region, service string }

type keyEntry struct {
	id  keyID
	key *signingKey
}

func newKeyCache(size int) *keyCache {
	n := 2
	for n < size {
		n <<= 1
	}
	return &keyCache{seed: maphash.MakeSeed(), mask: uint64(n-1) &^ 1, slots: make([]atomic.Pointer[keyEntry], n)}
}

func (c *keyCache) get(secret, date, region, service string) *signingKey {
	id := keyID{secret, date, region, service}
	h := maphash.Comparable(c.seed, id)
	set := h & c.mask // the even slot of a pair
	for i := set; i <= set+1; i++ {
		if e := c.slots[i].Load(); e != nil && e.id == id {
			return e.key
		}
	}
	k := newSigningKey(deriveKey(secret, date, region, service))
	e := &keyEntry{id: keyID{strings.Clone(secret), strings.Clone(date), strings.Clone(region), strings.Clone(service)}, key: k}
	// An empty slot if there is one, else the one the hash's top bit picks.
	victim := set + h>>63
	if c.slots[set].Load() == nil {
		victim = set
	} else if c.slots[set+1].Load() == nil {
		victim = set + 1
	}
	c.slots[victim].Store(e)
	return k
}

func (c *keyCache) len() int {
	n := 0
	for i := range c.slots {
		if c.slots[i].Load() != nil {
			n++
		}
	}
	return n
}
