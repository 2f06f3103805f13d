package iam

import (
	"context"
	"crypto/rand"
	"errors"
	"io"
	"slices"
	"sync"
	"time"

	"gatehouse/internal/kv"
)

// Sealer seals secrets at rest (AES-256-GCM in internal/seal). The associated data binds a
// ciphertext to what it belongs to: a secret access key is sealed with its key ID, so a
// ciphertext moved to another key's record does not open.
type Sealer interface {
	Seal(plaintext, ad []byte) ([]byte, error)
	Open(sealed, ad []byte) ([]byte, error)
}

// ManagedPolicy is one AWS managed policy as the catalog holds it.
type ManagedPolicy struct {
	Name             string
	Path             string
	ARN              string // arn:aws:iam::aws:policy<Path><Name>
	PolicyID         string
	DefaultVersionID string
	Description      string
	CreateDate       time.Time
	UpdateDate       time.Time
	Document         string // the default version's JSON
}

// ManagedPolicySource is where the AWS managed policies come from: internal/catalog
// (CatalogPolicies) unless a test injects its own.
type ManagedPolicySource interface {
	// ManagedPolicies returns every AWS managed policy, in any order; the caller must not
	// modify the slice.
	ManagedPolicies() []ManagedPolicy
	// ManagedPolicy returns the AWS managed policy of that exact name.
	ManagedPolicy(name string) (ManagedPolicy, bool)
}

// Options configure a Service. Store is required; zero fields are filled by withDefaults.
type Options struct {
	Store           kv.Store
	Sealer          Sealer
	ManagedPolicies ManagedPolicySource
	Now             func() time.Time
	Rand            io.Reader
	// Quotas raise IAM's adjustable account quotas; zero fields keep AWS's defaults.
	Quotas Quotas
	// OnChange, if set, is called after every committed mutation with what it changed, so
	// that the server can drop cached policy sets and key lookups (see the package doc).
	OnChange func(Change)
	// MotoLenient is emulator mode's `--enforce off`: what moto server accepts and AWS
	// refuses, where a suite written for moto relies on it (docs/emulator.md, "What
	// --enforce off accepts that AWS refuses"). CreateRole keeps a trust policy that fails
	// validation ("some policy", a principal that does not exist) verbatim and
	// UpdateAssumeRolePolicy accepts principals that do not exist, which moto's validator
	// never looks up; entity paths and path prefixes need not begin and end with "/"
	// (paths.go).
	MotoLenient bool
}

func (o Options) withDefaults() Options {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Rand == nil {
		o.Rand = rand.Reader
	} else {
		o.Rand = &lockedReader{r: o.Rand}
	}
	o.Quotas = o.Quotas.withDefaults()
	if o.ManagedPolicies == nil {
		o.ManagedPolicies = CatalogPolicies()
	}
	return o
}

// lockedReader makes an injected random source safe for concurrent mutations.
type lockedReader struct {
	mu sync.Mutex
	r  io.Reader
}

func (l *lockedReader) Read(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.r.Read(p)
}

type noManagedPolicies struct{}

func (noManagedPolicies) ManagedPolicies() []ManagedPolicy           { return nil }
func (noManagedPolicies) ManagedPolicy(string) (ManagedPolicy, bool) { return ManagedPolicy{}, false }

// Account is whom a call acts for: the caller's account and partition, and the caller's ARN,
// which the audit record names.
type Account struct {
	ID        string // 12 digits
	Partition string // "aws" when empty
	Caller    string // the authenticated principal's ARN, for the audit trail
}

func (a Account) partition() string {
	if a.Partition == "" {
		return "aws"
	}
	return a.Partition
}

func (a Account) arn(kind entityKind, path, name string) string {
	return arnOf(a.partition(), a.ID, kind.resourceType(), path, name)
}

// Service is the IAM domain. Its methods are safe for concurrent use.
type Service struct {
	opt Options

	genMu sync.Mutex
	gens  map[string]uint64 // account → last generation this node committed or read

	usage  usageBuffer
	access accessBuffer // service last accessed notes (lastaccessed.go)
	users  userCache    // GetUser's read cache (readcache.go)
}

// New returns a Service over opt.Store.
func New(opt Options) (*Service, error) {
	if opt.Store == nil {
		return nil, errors.New("iam: Options.Store is required")
	}
	if opt.Sealer == nil {
		return nil, errors.New("iam: Options.Sealer is required")
	}
	return &Service{opt: opt.withDefaults(), gens: map[string]uint64{}}, nil
}

// Change is what one committed mutation changed, for cache invalidation.
type Change struct {
	Account string
	// Generation is the account's generation after the change; it only grows.
	Generation uint64
	// Principals are the ARNs of users and roles whose PolicySet (policies, boundary, tags,
	// identity) changed.
	Principals []string
	// AccessKeys are the IDs of access keys whose LookupAccessKey answer changed.
	AccessKeys []string
}

// txn is one mutation: the transaction, its account, its clock, and what it changed.
type txn struct {
	s    *Service
	tx   kv.Tx
	acct Account
	k    keys
	now  time.Time

	st *acctState // loaded on first use

	principals map[string]bool
	trusting   map[string]uint64 // other accounts whose trust policies name a touched principal → their new generation (bumpTrusting)
	groups     map[string]bool   // lower-cased group names whose members' policy sets changed
	policies   map[policyRef]bool
	accessKeys map[string]bool
}

func (s *Service) newTxn(tx kv.Tx, acct Account) *txn {
	return &txn{s: s, tx: tx, acct: acct, k: keysFor(acct.ID), now: s.now(),
		principals: map[string]bool{}, groups: map[string]bool{}, policies: map[policyRef]bool{}, accessKeys: map[string]bool{}}
}

// update runs fn as one atomic mutation of acct, with its audit record and generation bump
// in the same transaction. action and target name the change in the audit trail.
func (s *Service) update(ctx context.Context, acct Account, action string, target func() string, fn func(t *txn) error) error {
	var change Change
	var trusting map[string]uint64
	err := s.opt.Store.Update(ctx, func(tx kv.Tx) error {
		t := s.newTxn(tx, acct)
		if err := fn(t); err != nil {
			return err
		}
		var err error
		if change, err = t.finish(action, target()); err != nil {
			return err
		}
		trusting = t.trusting
		return nil
	})
	if err != nil {
		return err
	}
	s.noteGeneration(change.Account, change.Generation)
	for other, g := range trusting {
		s.noteGeneration(other, g)
	}
	if s.opt.OnChange != nil {
		s.opt.OnChange(change)
	}
	return nil
}

// finish expands what changed into principal ARNs, bumps the generation and writes the audit
// record.
func (t *txn) finish(action, target string) (Change, error) {
	for ref := range t.policies {
		if err := t.touchPolicyHolders(ref); err != nil {
			return Change{}, err
		}
	}
	for g := range t.groups {
		members, err := listAll(t.tx, t.k.groupUserPrefix(g))
		if err != nil {
			return Change{}, err
		}
		for _, m := range members {
			if err := t.touchUserByLC(m.Key[len(t.k.groupUserPrefix(g)):]); err != nil {
				return Change{}, err
			}
		}
	}
	if err := t.bumpTrusting(); err != nil {
		return Change{}, err
	}
	gen, err := t.bumpGeneration()
	if err != nil {
		return Change{}, err
	}
	id, err := randomString(t.s.opt.Rand, idAlphabet, 8)
	if err != nil {
		return Change{}, err
	}
	rec := auditRecord{Time: t.now, Account: t.acct.ID, Caller: t.acct.Caller, Action: action, Target: target}
	key := auditAccountPrefix(t.acct.ID) + t.now.UTC().Format("20060102T150405.000000000Z") + "/" + id
	if err := putJSON(t.tx, key, rec); err != nil {
		return Change{}, err
	}
	c := Change{Account: t.acct.ID, Generation: gen}
	for p := range t.principals {
		c.Principals = append(c.Principals, p)
	}
	for k := range t.accessKeys {
		c.AccessKeys = append(c.AccessKeys, k)
	}
	slices.Sort(c.Principals)
	slices.Sort(c.AccessKeys)
	return c, nil
}

// acctState is the account's generation and entity counts, in one record that every
// mutation reads and writes once.
type acctState struct {
	Gen    uint64             `json:"gen"`
	Counts map[entityKind]int `json:"counts,omitempty"`
}

func readState(tx kv.Tx, k keys) (acctState, error) {
	var st acctState
	_, err := getJSON(tx, k.state(), &st)
	return st, err
}

// state loads the account state once per transaction.
func (t *txn) state() (*acctState, error) {
	if t.st == nil {
		st, err := readState(t.tx, t.k)
		if err != nil {
			return nil, err
		}
		t.st = &st
	}
	return t.st, nil
}

// bumpGeneration advances the generation and writes the state.
func (t *txn) bumpGeneration() (uint64, error) {
	st, err := t.state()
	if err != nil {
		return 0, err
	}
	st.Gen++
	return st.Gen, putJSON(t.tx, t.k.state(), st)
}

func readGeneration(tx kv.Tx, k keys) (uint64, error) {
	st, err := readState(tx, k)
	return st.Gen, err
}

// touchPrincipal records that the policy set of the user or role at arn changed.
func (t *txn) touchPrincipal(arn string) { t.principals[arn] = true }

// touchUserByLC records a user's policy-set change by its lower-cased name.
func (t *txn) touchUserByLC(lc string) error {
	var u userRecord
	found, err := getJSON(t.tx, t.k.entity(kindUser, lc), &u)
	if err != nil || !found {
		return err
	}
	t.touchPrincipal(t.acct.arn(kindUser, u.Path, u.Name))
	return nil
}

// touchGroup records that every member of the group had its policy set changed; expanded to
// the members at commit, after the mutation has run.
func (t *txn) touchGroup(name string) { t.groups[lower(name)] = true }

// touchPolicy records that every holder of a managed policy (attached or as boundary) had
// its policy set changed.
func (t *txn) touchPolicy(ref policyRef) { t.policies[ref] = true }

func (t *txn) touchPolicyHolders(ref policyRef) error {
	for _, prefix := range []string{t.k.policyEntityPrefix(ref), t.k.policyBoundaryPrefix(ref)} {
		ps, err := listAll(t.tx, prefix)
		if err != nil {
			return err
		}
		for _, p := range ps {
			kind, name, ok := cutKindName(p.Key[len(prefix):])
			if !ok {
				continue
			}
			switch kind {
			case kindUser:
				if err := t.touchUserByLC(name); err != nil {
					return err
				}
			case kindGroup:
				t.touchGroup(name)
				// Expand now: finish ranges over t.groups after policies.
			case kindRole:
				var r roleRecord
				found, err := getJSON(t.tx, t.k.entity(kindRole, name), &r)
				if err != nil {
					return err
				}
				if found {
					t.touchPrincipal(t.acct.arn(kindRole, r.Path, r.Name))
				}
			}
		}
	}
	return nil
}

func cutKindName(s string) (entityKind, string, bool) {
	for i := 0; i < len(s); i++ {
		if s[i] == '/' {
			return entityKind(s[:i]), s[i+1:], true
		}
	}
	return "", "", false
}

// view runs fn in a read-only snapshot.
func (s *Service) view(ctx context.Context, fn func(tx kv.Tx) error) error {
	return s.opt.Store.View(ctx, fn)
}

// now is the clock, in UTC whole seconds as IAM reports times.
func (s *Service) now() time.Time { return s.opt.Now().UTC().Truncate(time.Second) }

// noteGeneration records the highest generation seen for an account on this node.
func (s *Service) noteGeneration(acct string, g uint64) {
	s.genMu.Lock()
	defer s.genMu.Unlock()
	if g > s.gens[acct] {
		s.gens[acct] = g
	}
}

// Generation returns the account's generation as this node last committed or read it, without
// touching the store. A server that caches policy sets stamps each with PolicySet.Generation
// and treats entries older than this as stale.
func (s *Service) Generation(account string) uint64 {
	s.genMu.Lock()
	defer s.genMu.Unlock()
	return s.gens[account]
}

// StoredGeneration reads the account's generation from the store: what other nodes committed.
func (s *Service) StoredGeneration(ctx context.Context, account string) (uint64, error) {
	var g uint64
	err := s.view(ctx, func(tx kv.Tx) error {
		var err error
		g, err = readGeneration(tx, keysFor(account))
		return err
	})
	if err == nil {
		s.noteGeneration(account, g)
	}
	return g, err
}

// GenerationKey is the store key that holds an account's generation; a kv.Watcher reporting it
// means another node changed that account.
func GenerationKey(account string) string { return keysFor(account).state() }

// count adjusts the number of entities of a kind in the account and enforces its quota;
// finish writes it with the generation.
func (t *txn) count(kind entityKind, delta int, limit int, quotaName string) error {
	st, err := t.state()
	if err != nil {
		return err
	}
	n := st.Counts[kind]
	if delta > 0 && limit > 0 && n+delta > limit {
		return quota(quotaName, limit)
	}
	if st.Counts == nil {
		st.Counts = map[entityKind]int{}
	}
	st.Counts[kind] = max(n+delta, 0)
	return nil
}

func readCount(tx kv.Tx, k keys, kind entityKind) (int, error) {
	st, err := readState(tx, k)
	return st.Counts[kind], err
}
