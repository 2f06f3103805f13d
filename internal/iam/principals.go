package iam

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"gatehouse/internal/awserr"
	"gatehouse/internal/kv"
)

// What the server calls on its authentication and authorization paths: LookupAccessKey
// (SigV4, long-term keys), PrincipalPolicies (the policies a principal's requests are decided
// with) and Bootstrap (first start). The server caches what these return; see the package doc
// for how it learns what to drop.

// ErrNoSuchAccessKey is returned by LookupAccessKey for a key ID the store does not hold.
var ErrNoSuchAccessKey = errors.New("iam: no such access key")

// ErrNoSuchPrincipal is returned by PrincipalPolicies for an ARN that names no user or role.
var ErrNoSuchPrincipal = errors.New("iam: no such principal")

// AccessKeyIdentity is a long-term access key and the principal it belongs to.
type AccessKeyIdentity struct {
	AccessKeyID string
	Secret      string // the secret access key, unsealed; never log it
	Status      string // "Active" or "Inactive"
	Account     string
	Partition   string
	Root        bool   // the account's root user
	UserName    string // "" for root
	UserID      string // the user's unique ID (AIDA…); the account ID for root
	Principal   string // the user's ARN, or arn:<partition>:iam::<account>:root
	Created     time.Time
}

// LookupAccessKey returns the access key with its unsealed secret and its principal.
func (s *Service) LookupAccessKey(ctx context.Context, id string) (AccessKeyIdentity, error) {
	var out AccessKeyIdentity
	err := s.view(ctx, func(tx kv.Tx) error {
		var rec accessKeyRecord
		found, err := getJSON(tx, accessKeyKey(id), &rec)
		if err != nil {
			return err
		}
		if !found {
			return ErrNoSuchAccessKey
		}
		part := rec.Partition
		if part == "" {
			part = "aws"
		}
		secret, err := s.opt.Sealer.Open(rec.Sealed, []byte(rec.ID))
		if err != nil {
			return fmt.Errorf("iam: open secret of %s: %w", rec.ID, err)
		}
		out = AccessKeyIdentity{AccessKeyID: rec.ID, Secret: string(secret), Status: rec.Status,
			Account: rec.Account, Partition: part, Created: rec.Created}
		if rec.User == "" {
			out.Root, out.UserID = true, rec.Account
			out.Principal = "arn:" + part + ":iam::" + rec.Account + ":root"
			return nil
		}
		if rec.UserID == "" {
			// A key stored before records carried the user's path and ID: read the user.
			u, err := getUser(tx, keysFor(rec.Account), rec.User)
			if _, gone := awserr.As(err); gone {
				return ErrNoSuchAccessKey
			} else if err != nil {
				return err
			}
			rec.UserPath, rec.UserID = u.Path, u.ID
		}
		out.UserName, out.UserID = rec.User, rec.UserID
		out.Principal = arnOf(part, rec.Account, "user", rec.UserPath, rec.User)
		return nil
	})
	return out, err
}

// PrincipalKind is the kind of principal a PolicySet belongs to.
type PrincipalKind int

const (
	PrincipalRoot PrincipalKind = iota + 1
	PrincipalUser
	PrincipalRole
)

func (k PrincipalKind) String() string {
	switch k {
	case PrincipalRoot:
		return "root"
	case PrincipalUser:
		return "user"
	case PrincipalRole:
		return "role"
	}
	return fmt.Sprintf("PrincipalKind(%d)", int(k))
}

// PolicySource says where an identity policy of a PolicySet comes from.
type PolicySource int

const (
	SourceUserInline PolicySource = iota + 1
	SourceGroupInline
	SourceRoleInline
	SourceManaged // attached to the user, one of its groups, or the role
	SourceBoundary
)

func (s PolicySource) String() string {
	switch s {
	case SourceUserInline:
		return "user-inline"
	case SourceGroupInline:
		return "group-inline"
	case SourceRoleInline:
		return "role-inline"
	case SourceManaged:
		return "managed"
	case SourceBoundary:
		return "boundary"
	}
	return fmt.Sprintf("PolicySource(%d)", int(s))
}

// SourcedPolicy is one policy document and where it comes from.
type SourcedPolicy struct {
	Source    PolicySource
	Holder    string // ARN of the user, group or role it is embedded in or attached to
	Name      string // the inline policy's name or the managed policy's name
	ARN       string // managed policies: the policy's ARN
	VersionID string // managed policies: the default version's ID
	Document  string // raw JSON, as stored
}

// Tag is one tag of a principal.
type Tag struct{ Key, Value string }

// PolicySet is everything the policy engine needs about a principal's own policies.
type PolicySet struct {
	Kind      PrincipalKind
	Principal string // the ARN the set was asked for (normalised)
	Account   string
	Partition string
	Name      string // user or role name; "" for root
	UniqueID  string // AIDA…/AROA…; the account ID for root (aws:userid)
	Path      string
	Tags      []Tag // aws:PrincipalTag
	// Policies are the identity-based policies: the user's inline and attached policies and
	// those of each of its groups, or the role's; in that order, each group sorted by name.
	Policies []SourcedPolicy
	// Boundary is the permissions boundary's document; nil when there is none.
	Boundary *SourcedPolicy
	// Roles only: the trust policy and the longest session AssumeRole may grant.
	TrustPolicy        string
	MaxSessionDuration int
	// Generation is the account's generation in the snapshot the set was read from.
	Generation uint64
}

// PrincipalPolicies returns the policy set of the user or role that principalARN names. An
// STS assumed-role ARN (arn:aws:sts::<account>:assumed-role/<role>/<session>) yields its
// role's set; the account root's ARN yields a set with no policies (root is not governed by
// identity policies).
func (s *Service) PrincipalPolicies(ctx context.Context, principalARN string) (PolicySet, error) {
	ps, ok := parsePrincipalARN(principalARN)
	if !ok {
		return PolicySet{}, fmt.Errorf("%w: %s", ErrNoSuchPrincipal, principalARN)
	}
	var out PolicySet
	err := s.view(ctx, func(tx kv.Tx) error {
		k := keysFor(ps.Account)
		gen, err := readGeneration(tx, k)
		if err != nil {
			return err
		}
		var acct accountRecord
		found, err := getJSON(tx, accountKey(ps.Account), &acct)
		if err != nil {
			return err
		}
		part := ps.Partition
		if found && acct.Partition != "" {
			part = acct.Partition
		}
		a := Account{ID: ps.Account, Partition: part}
		out = PolicySet{Account: ps.Account, Partition: part, Generation: gen}
		switch ps.Resource {
		case "root":
			out.Kind, out.Principal, out.UniqueID = PrincipalRoot, "arn:"+part+":iam::"+ps.Account+":root", ps.Account
			return nil
		case "user":
			return s.userPolicySet(tx, a, ps, &out)
		case "role", "assumed-role":
			return s.rolePolicySet(tx, a, ps, &out)
		}
		return fmt.Errorf("%w: %s", ErrNoSuchPrincipal, principalARN)
	})
	if err == nil {
		s.noteGeneration(out.Account, out.Generation)
	}
	return out, err
}

func parsePrincipalARN(s string) (parsedARN, bool) {
	if strings.HasPrefix(s, "arn:") {
		parts := strings.SplitN(s, ":", 6)
		if len(parts) == 6 && parts[2] == "sts" && strings.HasPrefix(parts[5], "assumed-role/") {
			rest := strings.SplitN(parts[5][len("assumed-role/"):], "/", 2)
			if rest[0] == "" {
				return parsedARN{}, false
			}
			return parsedARN{Partition: parts[1], Account: parts[4], Resource: "assumed-role", Name: rest[0]}, true
		}
	}
	p, ok := parseIAMARN(s)
	if !ok || (p.Resource == "root" && p.Name != "") {
		return parsedARN{}, false
	}
	return p, ok
}

func (s *Service) userPolicySet(tx kv.Tx, a Account, p parsedARN, out *PolicySet) error {
	k := keysFor(a.ID)
	var u userRecord
	found, err := getJSON(tx, k.entity(kindUser, p.Name), &u)
	if err != nil {
		return err
	}
	if !found || !samePath(u.Path, p.Path) {
		return fmt.Errorf("%w: %s", ErrNoSuchPrincipal, a.arn(kindUser, p.Path, p.Name))
	}
	arn := a.arn(kindUser, u.Path, u.Name)
	out.Kind, out.Principal, out.Name, out.UniqueID, out.Path = PrincipalUser, arn, u.Name, u.ID, u.Path
	out.Tags = publicTags(u.Tags)
	if err := s.appendHeld(tx, a, kindUser, u.Name, arn, SourceUserInline, &out.Policies); err != nil {
		return err
	}
	groups, err := listAll(tx, k.userGroupPrefix(u.Name))
	if err != nil {
		return err
	}
	for _, g := range groups {
		var gr groupRecord
		found, err := getJSON(tx, k.entity(kindGroup, g.Key[len(k.userGroupPrefix(u.Name)):]), &gr)
		if err != nil {
			return err
		}
		if !found {
			continue
		}
		garn := a.arn(kindGroup, gr.Path, gr.Name)
		if err := s.appendHeld(tx, a, kindGroup, gr.Name, garn, SourceGroupInline, &out.Policies); err != nil {
			return err
		}
	}
	return s.boundary(tx, a, u.Boundary, arn, &out.Boundary)
}

func (s *Service) rolePolicySet(tx kv.Tx, a Account, p parsedARN, out *PolicySet) error {
	k := keysFor(a.ID)
	var r roleRecord
	found, err := getJSON(tx, k.entity(kindRole, p.Name), &r)
	if err != nil {
		return err
	}
	if !found || (p.Resource == "role" && !samePath(r.Path, p.Path)) {
		return fmt.Errorf("%w: %s", ErrNoSuchPrincipal, a.arn(kindRole, p.Path, p.Name))
	}
	arn := a.arn(kindRole, r.Path, r.Name)
	out.Kind, out.Principal, out.Name, out.UniqueID, out.Path = PrincipalRole, arn, r.Name, r.ID, r.Path
	out.Tags = publicTags(r.Tags)
	if out.TrustPolicy, err = shownTrust(tx, r); err != nil {
		return err
	}
	out.MaxSessionDuration = r.MaxSessionDuration
	if err := s.appendHeld(tx, a, kindRole, r.Name, arn, SourceRoleInline, &out.Policies); err != nil {
		return err
	}
	return s.boundary(tx, a, r.Boundary, arn, &out.Boundary)
}

// appendHeld appends a principal's inline policies (sorted by name) and then its attached
// managed policies' default versions.
func (s *Service) appendHeld(tx kv.Tx, a Account, kind entityKind, name, holder string, inlineSource PolicySource, dst *[]SourcedPolicy) error {
	k := keysFor(a.ID)
	inl, err := listAll(tx, k.inlinePrefix(kind, name))
	if err != nil {
		return err
	}
	for _, p := range inl {
		var rec inlineRecord
		if err := jsonValue(p, &rec); err != nil {
			return err
		}
		*dst = append(*dst, SourcedPolicy{Source: inlineSource, Holder: holder, Name: rec.Name, Document: rec.Document})
	}
	att, err := listAll(tx, k.attachedPrefix(kind, name))
	if err != nil {
		return err
	}
	for _, p := range att {
		ref, ok := parsePolicyRef(p.Key[len(k.attachedPrefix(kind, name)):])
		if !ok {
			continue
		}
		mp, found, err := s.managedPolicy(tx, a, ref)
		if err != nil {
			return err
		}
		if !found {
			continue
		}
		*dst = append(*dst, SourcedPolicy{Source: SourceManaged, Holder: holder, Name: mp.Name, ARN: mp.ARN,
			VersionID: mp.DefaultVersionID, Document: mp.Document})
	}
	return nil
}

func (s *Service) boundary(tx kv.Tx, a Account, arn, holder string, dst **SourcedPolicy) error {
	if arn == "" {
		return nil
	}
	ref, ok := refFromARN(a, arn)
	if !ok {
		return nil
	}
	mp, found, err := s.managedPolicy(tx, a, ref)
	if err != nil || !found {
		return err
	}
	*dst = &SourcedPolicy{Source: SourceBoundary, Holder: holder, Name: mp.Name, ARN: mp.ARN, VersionID: mp.DefaultVersionID, Document: mp.Document}
	return nil
}

func publicTags(ts []tagRecord) []Tag {
	if len(ts) == 0 {
		return nil
	}
	out := make([]Tag, len(ts))
	for i, t := range ts {
		out[i] = Tag{Key: t.Key, Value: t.Value}
	}
	return out
}

// Bootstrapped is what Bootstrap did.
type Bootstrapped struct {
	Account string // the account's ID
	Created bool   // true when this call created the account
	// RootKey is the root user's new access key; set only when Created. Its secret is shown
	// this once.
	RootKeyID     string
	RootKeySecret string
}

// Bootstrap makes sure an account exists. With accountID "", it returns the first account in
// the store, creating one with a random ID when there is none; with an ID, that account. A
// created account gets a root access key, returned once. Calling it again creates nothing.
func (s *Service) Bootstrap(ctx context.Context, accountID string) (Bootstrapped, error) {
	var out Bootstrapped
	requested := accountID
	err := s.opt.Store.Update(ctx, func(tx kv.Tx) error {
		// fn runs again when PostgreSQL aborts it as a serialization failure (two nodes
		// starting at once on an empty store): it starts over from the requested ID, not
		// the random one the aborted run chose, so that the retry finds the account the
		// other node created instead of creating a second one.
		out = Bootstrapped{}
		accountID := requested
		if accountID == "" {
			ps, err := tx.List(accountPrefix, "", 1)
			if err != nil {
				return err
			}
			if len(ps) > 0 {
				out.Account = ps[0].Key[len(accountPrefix):]
				return nil
			}
			if accountID, err = newAccountID(s.opt.Rand); err != nil {
				return err
			}
		} else if found, err := exists(tx, accountKey(accountID)); err != nil {
			return err
		} else if found {
			out.Account = accountID
			return nil
		}
		now := s.now()
		if err := putJSON(tx, accountKey(accountID), accountRecord{ID: accountID, Partition: "aws", Created: now}); err != nil {
			return err
		}
		t := s.newTxn(tx, Account{ID: accountID, Caller: "gatehouse:bootstrap"})
		t.now = now
		rec, secret, err := t.newAccessKey(nil)
		if err != nil {
			return err
		}
		out.Account, out.Created, out.RootKeyID, out.RootKeySecret = accountID, true, rec.ID, secret
		_, err = t.finish("Bootstrap", "arn:aws:iam::"+accountID+":root")
		return err
	})
	return out, err
}

// newAccessKey creates an Active access key for user u (nil = root), sealed under its ID.
func (t *txn) newAccessKey(u *userRecord) (accessKeyRecord, string, error) {
	var user string
	if u != nil {
		user = u.Name
	}
	var id string
	for {
		var err error
		if id, err = newAccessKeyID(t.s.opt.Rand); err != nil {
			return accessKeyRecord{}, "", err
		}
		taken, err := exists(t.tx, accessKeyKey(id))
		if err != nil {
			return accessKeyRecord{}, "", err
		}
		if !taken {
			break
		}
	}
	secret, err := newSecretAccessKey(t.s.opt.Rand)
	if err != nil {
		return accessKeyRecord{}, "", err
	}
	sealed, err := t.s.opt.Sealer.Seal([]byte(secret), []byte(id))
	if err != nil {
		return accessKeyRecord{}, "", fmt.Errorf("iam: seal: %w", err)
	}
	rec := accessKeyRecord{ID: id, Account: t.acct.ID, User: user, Status: "Active", Created: t.now, Sealed: sealed,
		Partition: t.acct.partition()}
	if u != nil {
		rec.UserPath, rec.UserID = u.Path, u.ID
	}
	if err := putJSON(t.tx, accessKeyKey(id), rec); err != nil {
		return accessKeyRecord{}, "", err
	}
	// Root's keys are indexed under the empty user name, which no user can have.
	if err := t.tx.Put(t.k.userKey(user, id), nil); err != nil {
		return accessKeyRecord{}, "", err
	}
	t.accessKeys[id] = true
	return rec, secret, nil
}

// Accounts lists the accounts in the store, sorted by ID.
func (s *Service) Accounts(ctx context.Context) ([]string, error) {
	var out []string
	err := s.view(ctx, func(tx kv.Tx) error {
		ps, err := listAll(tx, accountPrefix)
		for _, p := range ps {
			out = append(out, p.Key[len(accountPrefix):])
		}
		return err
	})
	sort.Strings(out)
	return out, err
}
