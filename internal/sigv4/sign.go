package sigv4

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"sync"
)

const (
	algorithm   = "AWS4-HMAC-SHA256"
	terminator  = "aws4_request"
	timeFormat  = "20060102T150405Z"
	dateFormat  = "20060102"
	emptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
	hmacBlock   = 64
	ipadByte    = 0x36
	opadByte    = 0x5c
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

// signingKey is a derived key prepared for HMAC: its inner and outer pads, so signing is two
// SHA-256 sums over stack buffers and allocates nothing.
type signingKey struct {
	ipad, opad [hmacBlock]byte
}

func newSigningKey(derived []byte) *signingKey {
	k := new(signingKey)
	copy(k.ipad[:], derived)
	copy(k.opad[:], derived)
	for i := range k.ipad {
		k.ipad[i] ^= ipadByte
		k.opad[i] ^= opadByte
	}
	return k
}

// sign returns HMAC-SHA256(key, msg) where padded is the key's inner pad followed by msg
// (the caller builds the message right after the pad, saving a copy).
func (k *signingKey) sign(padded []byte) [sha256.Size]byte {
	inner := sha256.Sum256(padded)
	var outer [hmacBlock + sha256.Size]byte
	copy(outer[:], k.opad[:])
	copy(outer[hmacBlock:], inner[:])
	return sha256.Sum256(outer[:])
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
// request. The cache is bounded with two generations: when the current one fills, it becomes
// the old one and the previous old one is dropped; a hit in the old generation moves the key
// forward. Keys are held in memory only, like the secrets they come from.
type keyCache struct {
	mu       sync.Mutex
	max      int // per generation
	cur, old map[keyID]*signingKey
}

type keyID struct{ secret, date, region, service string }

func newKeyCache(size int) *keyCache {
	half := max(size/2, 1)
	return &keyCache{max: half, cur: make(map[keyID]*signingKey, half)}
}

func (c *keyCache) get(secret, date, region, service string) *signingKey {
	id := keyID{secret, date, region, service}
	c.mu.Lock()
	k, ok := c.cur[id]
	if !ok {
		if k, ok = c.old[id]; ok {
			c.putLocked(id, k)
		}
	}
	c.mu.Unlock()
	if ok {
		return k
	}
	// Derive outside the lock; two racing derivations of the same key agree.
	k = newSigningKey(deriveKey(secret, date, region, service))
	id = keyID{secret, strings.Clone(date), strings.Clone(region), strings.Clone(service)}
	c.mu.Lock()
	c.putLocked(id, k)
	c.mu.Unlock()
	return k
}

func (c *keyCache) putLocked(id keyID, k *signingKey) {
	if len(c.cur) >= c.max {
		c.old, c.cur = c.cur, make(map[keyID]*signingKey, c.max)
	}
	c.cur[id] = k
}

func (c *keyCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.cur) + len(c.old)
}
