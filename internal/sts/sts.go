// Package sts owns temporary credentials: the session a temporary access key stands for,
// sealed into its session token so that any node verifies it without a store read or write
// (DESIGN.md, "Temporary credentials are self-contained"), and the rules of the STS
// operations that issue sessions — AssumeRole, GetSessionToken, GetFederationToken — with
// AWS's parameters, limits and errors
// (https://docs.aws.amazon.com/STS/latest/APIReference/welcome.html).
//
// The package decides what a session would be; it does not authorize. The edge builds the
// plan (AssumeRole, GetSessionToken, GetFederationToken return an unsealed *Session),
// authorizes it with the policy engine (the caller's identity policies and the role's
// trust policy), and only then calls Issue, which mints the key, the secret and the token.
package sts

import (
	"context"
	"crypto/subtle"
	"encoding/base32"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"gatehouse/internal/seal"
)

// Kind is the kind of principal a session acts as.
type Kind uint8

const (
	// AssumedRole is an AssumeRole session: arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION.
	AssumedRole Kind = iota + 1
	// FederatedUser is a GetFederationToken session: arn:aws:sts::ACCOUNT:federated-user/NAME.
	FederatedUser
	// UserSession is a GetSessionToken session of an IAM user: it acts as the user.
	UserSession
	// RootSession is a GetSessionToken session of the account root user.
	RootSession
)

func (k Kind) valid() bool { return k >= AssumedRole && k <= RootSession }

func (k Kind) String() string {
	switch k {
	case AssumedRole:
		return "assumed-role"
	case FederatedUser:
		return "federated-user"
	case UserSession:
		return "user-session"
	case RootSession:
		return "root-session"
	}
	return fmt.Sprintf("Kind(%d)", uint8(k))
}

// Tag is a session tag.
type Tag struct{ Key, Value string }

// ProviderKey is an identity provider's condition key as a federated session carries it:
// a single value, or a set (Multi) that policies test with ForAnyValue / ForAllValues.
type ProviderKey struct {
	Key    string
	Values []string
	Multi  bool
}

// Session is what a temporary access key stands for. A plan (from AssumeRole,
// GetSessionToken, GetFederationToken) has every field but AccessKeyID and the secret;
// Issue fills those; Open returns a complete one.
type Session struct {
	Kind      Kind
	Partition string
	Account   string
	// SourceARN is the identity behind the session: the role's ARN (with its path) for an
	// assumed role; the user's ARN for a user or federated-user session; the root ARN.
	SourceARN string
	// UniqueID is the role's ID (AROA…) or the user's (AIDA…); the account ID for root.
	UniqueID string
	// Name is the role session name, or the federated user's name; "" otherwise.
	Name string
	// Policy is the inline session policy as passed; PolicyARNs the managed session
	// policies. With neither, no session policy caps the session.
	Policy     string
	PolicyARNs []string
	// Tags are the session tags (those passed, and the transitive ones a chained session
	// inherits); TransitiveTagKeys the keys that pass on to a chained session.
	Tags              []Tag
	TransitiveTagKeys []string
	SourceIdentity    string
	MFA               bool
	// Chained marks a session made with another session's credentials (role chaining).
	Chained bool
	Issued  time.Time
	Expires time.Time
	// PackedPolicySize is the percentage of the packed-policy allowance the session
	// policies and tags use (AssumeRole's and GetFederationToken's PackedPolicySize).
	PackedPolicySize int
	// SourceInstanceARN and RoleDelivery are set on the sessions an instance's metadata
	// service vends: the instance's ARN and the IMDS version that may deliver them ("1.0"
	// or "2.0"), which IAM exposes as ec2:SourceInstanceARN and ec2:RoleDelivery
	// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_iam-condition-keys.html#ck_sourceinstancearn).
	// They are sealed in the token, so no caller can claim them through AssumeRole.
	SourceInstanceARN string
	RoleDelivery      string
	// FederatedProvider and ProviderKeys are set on the sessions of a federated identity
	// (AssumeRoleWithWebIdentity, AssumeRoleWithSAML): the identity provider as
	// aws:FederatedProvider names it, and the provider's condition keys that stay in the
	// request context of every request the session makes
	// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-federatedprovider,
	// reference_policies_iam-condition-keys.html#condition-keys-wif and
	// #condition-keys-saml_permission-policy). They are sealed in the token, and a chained
	// session does not inherit them: its role was assumed with AWS credentials, not by the
	// identity provider.
	FederatedProvider string
	ProviderKeys      []ProviderKey

	AccessKeyID string
	secret      [secretBytes]byte
}

// RoleName is the name of an assumed role (the last segment of its ARN).
func (s *Session) RoleName() string {
	return s.SourceARN[strings.LastIndexByte(s.SourceARN, '/')+1:]
}

// ARN is the session principal's ARN as AWS formats it
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html#identifiers-arns):
// the assumed-role or federated-user ARN, or the user's (root's) own ARN for a
// GetSessionToken session.
func (s *Session) ARN() string {
	switch s.Kind {
	case AssumedRole:
		return "arn:" + s.Partition + ":sts::" + s.Account + ":assumed-role/" + s.RoleName() + "/" + s.Name
	case FederatedUser:
		return "arn:" + s.Partition + ":sts::" + s.Account + ":federated-user/" + s.Name
	}
	return s.SourceARN
}

// RoleARN is the role's ARN without its path, as IAM names a session's role in
// aws:PrincipalArn; "" for other kinds.
func (s *Session) RoleARN() string {
	if s.Kind != AssumedRole {
		return ""
	}
	return "arn:" + s.Partition + ":iam::" + s.Account + ":role/" + s.RoleName()
}

// UserID is aws:userid and GetCallerIdentity's UserId: ROLEID:SESSION for an assumed role,
// ACCOUNT:NAME for a federated user, the user's ID (the account ID for root) otherwise
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html#policy-vars-infotouse).
func (s *Session) UserID() string {
	switch s.Kind {
	case AssumedRole:
		return s.UniqueID + ":" + s.Name
	case FederatedUser:
		return s.Account + ":" + s.Name
	}
	return s.UniqueID
}

// HasSessionPolicy reports whether session policies cap the session.
func (s *Session) HasSessionPolicy() bool { return s.Policy != "" || len(s.PolicyARNs) > 0 }

// Secret is the secret access key (40 characters); never log it.
func (s *Session) Secret() string { return base64.StdEncoding.EncodeToString(s.secret[:]) }

// Credentials are what an issuing operation returns.
type Credentials struct {
	AccessKeyID     string
	SecretAccessKey string
	SessionToken    string
	Expiration      time.Time
}

// Sentinels of Open.
var (
	// ErrInvalidToken: the token does not open for the key ID (forged, garbled, sealed for
	// another key ID, or under a key no node holds any more). The edge answers
	// InvalidClientTokenId.
	ErrInvalidToken = errors.New("sts: invalid session token")
	// ErrExpiredToken: the session is past its expiry. The edge answers ExpiredToken.
	ErrExpiredToken = errors.New("sts: session token expired")
)

// Options configure a Service.
type Options struct {
	// Keyring seals and opens tokens; required.
	Keyring *seal.Keyring
	// Reload returns the keyring as the store holds it now; Open calls it once when a
	// token names a data key this node does not hold (another node rotated). Optional.
	Reload func(ctx context.Context) (*seal.Keyring, error)
	Now    func() time.Time
	Rand   io.Reader
}

// Service issues and opens sessions. It is safe for concurrent use.
type Service struct {
	keyring  atomic.Pointer[seal.Keyring]
	reload   func(context.Context) (*seal.Keyring, error)
	reloadMu sync.Mutex
	// lastReload is when reloadKeyring last read the store (under reloadMu), on the
	// process's monotonic clock: the limit is on load, not on any session's validity, so
	// it does not follow the injected clock. mono and wait are that clock and its sleep.
	lastReload time.Time
	mono       func() time.Time
	wait       func(ctx context.Context, d time.Duration) error
	now        func() time.Time
	rand       io.Reader
	randMu     sync.Mutex
}

// New returns a Service.
func New(o Options) (*Service, error) {
	if o.Keyring == nil {
		return nil, errors.New("sts: Options.Keyring is required")
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Rand == nil {
		return nil, errors.New("sts: Options.Rand is required")
	}
	s := &Service{reload: o.Reload, now: o.Now, rand: o.Rand, mono: time.Now, wait: sleepCtx}
	s.keyring.Store(o.Keyring)
	return s, nil
}

// SetKeyring replaces the keyring, after the wiring's periodic seal.Maintain.
func (s *Service) SetKeyring(k *seal.Keyring) {
	if k != nil {
		s.keyring.Store(k)
	}
}

func (s *Service) read(b []byte) error {
	s.randMu.Lock()
	defer s.randMu.Unlock()
	_, err := io.ReadFull(s.rand, b)
	return err
}

// keyIDEncoding is base32 without padding: AWS's access key IDs are upper-case letters and
// the digits 2–7.
var keyIDEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// newAccessKeyID returns ASIA + 16 characters that encode 5 random bytes and the account
// ID in 5 bytes (10^12 < 2^40), so GetAccessKeyInfo answers for a temporary key without
// its token, as AWS's key IDs encode their account. Uniqueness is not what makes a key
// safe — the token is bound to the ID and carries the secret — but 40 random bits keep
// two live sessions of one account from sharing an ID in practice.
func (s *Service) newAccessKeyID(account string) (string, error) {
	var b [10]byte
	if err := s.read(b[:5]); err != nil {
		return "", err
	}
	var n uint64
	for _, c := range account {
		n = n*10 + uint64(c-'0')
	}
	for i := 9; i >= 5; i-- {
		b[i] = byte(n)
		n >>= 8
	}
	return "ASIA" + keyIDEncoding.EncodeToString(b[:]), nil
}

// AccessKeyAccount returns the account a temporary access key ID (ASIA…) was issued in,
// decoded from the ID itself (GetAccessKeyInfo).
func AccessKeyAccount(keyID string) (string, bool) {
	if len(keyID) != 20 || !strings.HasPrefix(keyID, "ASIA") {
		return "", false
	}
	b, err := keyIDEncoding.DecodeString(keyID[4:])
	if err != nil || len(b) != 10 {
		return "", false
	}
	var n uint64
	for _, c := range b[5:] {
		n = n<<8 | uint64(c)
	}
	if n >= 1e12 {
		return "", false
	}
	return fmt.Sprintf("%012d", n), true
}

// Issue mints the session's access key ID, secret and token. sess is a plan an operation
// returned (and the edge authorized); Issue completes it in place. A session whose token
// would not open (longer than seal.MaxTokenLen) is refused with PackedPolicyTooLarge
// (fitToken; the planners have refused it already) and left as it was.
func (s *Service) Issue(sess *Session) (Credentials, error) {
	id, err := s.newAccessKeyID(sess.Account)
	if err != nil {
		return Credentials{}, fmt.Errorf("sts: access key ID: %w", err)
	}
	var secret [secretBytes]byte
	if err := s.read(secret[:]); err != nil {
		return Credentials{}, fmt.Errorf("sts: secret: %w", err)
	}
	plan := *sess
	plan.secret, plan.AccessKeyID = secret, id
	rec := plan.marshal()
	if err := fitRecord(&plan, rec); err != nil {
		return Credentials{}, err
	}
	token, err := s.keyring.Load().SealToken(rec, []byte(id))
	if err != nil {
		return Credentials{}, fmt.Errorf("sts: sealing the session: %w", err)
	}
	if len(token) > seal.MaxTokenLen { // fitRecord keeps the record within seal.MaxRecordLen
		return Credentials{}, fmt.Errorf("sts: a %d-byte record sealed into %d characters, over seal.MaxTokenLen", len(rec), len(token))
	}
	*sess = plan
	return Credentials{AccessKeyID: id, SecretAccessKey: sess.Secret(), SessionToken: token, Expiration: sess.Expires}, nil
}

// Open authenticates a session token presented with keyID and returns its session:
// ErrInvalidToken when it does not open for keyID, ErrExpiredToken when it has expired.
// When the token names a data key this node does not hold, Open reloads the keyring once
// (another node may have rotated) and tries again.
func (s *Service) Open(ctx context.Context, keyID, token string) (*Session, error) {
	if len(keyID) != 20 || !strings.HasPrefix(keyID, "ASIA") {
		return nil, ErrInvalidToken
	}
	rec, err := s.keyring.Load().OpenToken(token, []byte(keyID))
	if errors.Is(err, seal.ErrUnknownKey) && s.reload != nil {
		if k := s.reloadKeyring(ctx); k != nil {
			rec, err = k.OpenToken(token, []byte(keyID))
		}
	}
	if err != nil {
		return nil, ErrInvalidToken
	}
	sess, err := unmarshalSession(rec)
	if err != nil {
		return nil, ErrInvalidToken
	}
	sess.AccessKeyID = keyID
	if acct, ok := AccessKeyAccount(keyID); !ok || subtle.ConstantTimeCompare([]byte(acct), []byte(sess.Account)) != 1 {
		return nil, ErrInvalidToken
	}
	if !s.now().Before(sess.Expires) {
		return nil, ErrExpiredToken
	}
	return sess, nil
}

// Check reports whether a session Open returned earlier is still valid now:
// ErrExpiredToken once it has expired. A server that keeps opened sessions by token calls
// it on every request instead of opening the token again.
func (s *Service) Check(sess *Session) error {
	if !s.now().Before(sess.Expires) {
		return ErrExpiredToken
	}
	return nil
}

// MinReloadInterval is the least time between two keyring reloads. A token naming a data
// key this node does not hold makes it read the keyring from the store: a rotation on
// another node it has not seen yet (the wiring also reloads when the change log reports the
// keyring changed). Anyone can send such tokens — the key ID is in the token's clear
// header — so without a bound every forged request would cost a store read under
// reloadMu. 100 ms caps that at ten reads a second whatever the request rate.
const MinReloadInterval = 100 * time.Millisecond

// reloadKeyring loads the stored keyring, once at a time and at most once per
// MinReloadInterval: a burst of tokens sealed under a key new to this node makes one store
// read, not one per request. A request that finds the last reload too recent waits out the
// interval and then reloads, so a key another node created just after this node's last
// reload still opens (after at most MinReloadInterval), while requests that were waiting
// meanwhile share that one reload.
func (s *Service) reloadKeyring(ctx context.Context) *seal.Keyring {
	before := s.keyring.Load()
	s.reloadMu.Lock()
	defer s.reloadMu.Unlock()
	if k := s.keyring.Load(); k != before {
		return k // another request reloaded while this one waited
	}
	if !s.lastReload.IsZero() {
		if d := MinReloadInterval - s.mono().Sub(s.lastReload); d > 0 {
			if err := s.wait(ctx, d); err != nil {
				return nil
			}
		}
	}
	k, err := s.reload(ctx)
	s.lastReload = s.mono()
	if err != nil || k == nil {
		return nil
	}
	s.keyring.Store(k)
	return k
}

// sleepCtx waits for d or until ctx ends.
func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
