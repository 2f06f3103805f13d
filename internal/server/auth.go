package server

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"gatehouse/internal/authz"
	"gatehouse/internal/awserr"
	"gatehouse/internal/iam"
	"gatehouse/internal/sigv4"
	"gatehouse/internal/sts"
)

// caller is the authenticated principal of a request.
type caller struct {
	principal authz.Principal
	account   iam.Account
	keyID     string
	root      bool
	session   *sts.Session // temporary credentials; nil for a long-term key
	// emulated marks emulator mode's stand-in root: an access key Gatehouse did not issue.
	emulated bool
}

// keyCache holds long-term access keys by ID so that a signed request in steady state does
// not touch the store. IAM's OnChange drops a key the moment it changes on this node.
type keyCache struct {
	mu sync.RWMutex
	m  map[string]*cachedKey
}

type cachedKey struct {
	id     iam.AccessKeyIdentity
	caller caller
}

func newKeyCache() *keyCache { return &keyCache{m: make(map[string]*cachedKey)} }

func (k *keyCache) get(id string) *cachedKey {
	k.mu.RLock()
	e := k.m[id]
	k.mu.RUnlock()
	return e
}

func (k *keyCache) put(id string, e *cachedKey) {
	k.mu.Lock()
	k.m[id] = e
	k.mu.Unlock()
}

func (k *keyCache) drop(id string) {
	k.mu.Lock()
	delete(k.m, id)
	k.mu.Unlock()
}

// authenticate finds the signing key and verifies the signature
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv.html). An unknown key, an
// inactive key, or a long-term key presented with a session token is InvalidClientTokenId,
// as IAM answers; a wrong signature is SignatureDoesNotMatch.
func (s *Server) authenticate(c *call, sreq *sigv4.Request) (*caller, error) {
	if strings.HasPrefix(sreq.AccessKeyID, "ASIA") || sreq.SecurityToken != "" {
		if s.unknownSession(c, sreq) {
			return s.unknownKey(c, sreq)
		}
		return s.authenticateSession(c, sreq)
	}
	e := s.keys.get(sreq.AccessKeyID)
	if e == nil {
		id, err := s.iam.LookupAccessKey(c.r.Context(), sreq.AccessKeyID)
		if errors.Is(err, iam.ErrNoSuchAccessKey) {
			return s.unknownKey(c, sreq)
		}
		if err != nil {
			return nil, err
		}
		e = &cachedKey{id: id, caller: callerFor(id)}
		s.keys.put(sreq.AccessKeyID, e)
	}
	if e.id.Status != "Active" || sreq.SecurityToken != "" {
		return nil, sreq.UnknownAccessKey()
	}
	if err := s.verify(c, sreq, e.id.Secret); err != nil {
		return nil, err
	}
	s.iam.RecordAccessKeyUse(sreq.AccessKeyID, sreq.Service, sreq.Region, s.cfg.Now())
	cl := e.caller
	s.rootPartition(&cl, sreq.Region)
	return &cl, nil
}

// verify checks the request's signature with the key's secret, except inside a moto
// reset-auth window, where moto authenticates nothing (emulator.admitWindow): the key still
// names the caller, so what the request does is done as that user or session.
func (s *Server) verify(c *call, sreq *sigv4.Request, secret string) error {
	if c.noAuth {
		return nil
	}
	return sreq.Verify(secret, bodyHash(c.body))
}

func callerFor(id iam.AccessKeyIdentity) caller {
	p := authz.Principal{Kind: authz.User, ARN: id.Principal, Partition: id.Partition, Account: id.Account,
		Name: id.UserName, UserID: id.UserID}
	if id.Root {
		p.Kind = authz.Root
		p.Name = ""
	}
	if p.Partition == "" {
		p.Partition = "aws"
	}
	return caller{
		principal: p,
		account:   iam.Account{ID: id.Account, Partition: p.Partition, Caller: id.Principal},
		keyID:     id.AccessKeyID,
		root:      id.Root,
	}
}

// emptyHash is the SHA-256 of no bytes, the payload hash of a bodiless request.
const emptyHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

func bodyHash(b []byte) string {
	if len(b) == 0 {
		return emptyHash
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// isForm reports whether the body is form-encoded Query parameters.
func isForm(r *http.Request) bool {
	return strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded")
}

// sourceIP is aws:SourceIp: the address the request came from.
func sourceIP(remoteAddr string) string {
	host, _, err := net.SplitHostPort(remoteAddr)
	if err != nil {
		return remoteAddr
	}
	return host
}

// parseForm decodes an application/x-www-form-urlencoded body.
func parseForm(body []byte) (url.Values, error) {
	v, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, awserr.New(400, "MalformedQueryString", "The query string or form body is malformed.")
	}
	return v, nil
}
