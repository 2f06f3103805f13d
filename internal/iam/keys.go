package iam

import (
	"fmt"
	"strings"
)

// The key layout. Every IAM entity lives under its account's prefix; the only global keys are
// the ones a caller reaches without knowing the account (an access key ID on the SigV4 path,
// an account alias, the list of accounts). Records are JSON; index entries hold an empty value
// unless noted. <lc> is a name lower-cased — IAM names are unique without regard to case
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html#reference_iam-quotas-names)
// — and the record keeps the caller's spelling. <path> is the entity's path ("/" or
// "/a/b/"); a space separates it from the name because neither a path nor a name can hold one
// and it sorts before every path character, so "List with PathPrefix P after Marker M" is one
// range scan of <kind>-path/ + P starting after M. <pref> names a managed policy:
// "aws:<Name>" for an AWS managed policy, "local:<lc>" for one of the account's own.
//
//	key                                              value
//	account/<acct>                                   accountRecord (the list of accounts)
//	accesskey/<AKID>                                 accessKeyRecord (the only copy; sealed secret)
//	alias/<alias>                                    account ID (aliases are unique across accounts)
//	a/<acct>/state                                   acctState: generation (bumped by every mutation)
//	                                                 and entity counts (quotas, GetAccountSummary)
//	a/<acct>/password-policy                         the account's password policy, if set
//	a/<acct>/user/<lc>                               userRecord
//	a/<acct>/user-path/<path> <lc>                   index: users by path
//	a/<acct>/user-key/<lc>/<AKID>                    index: a user's access keys
//	a/<acct>/user-login/<lc>                         login profile (console password), if any
//	a/<acct>/user-inline/<lc>/<lcpolicy>             inlineRecord
//	a/<acct>/user-attached/<lc>/<pref>               index: managed policies attached to a user
//	a/<acct>/user-group/<lc>/<lcgroup>               index: a user's groups
//	a/<acct>/group/<lc>                              groupRecord
//	a/<acct>/group-path/<path> <lc>                  index: groups by path
//	a/<acct>/group-user/<lcgroup>/<lc>               index: a group's members
//	a/<acct>/group-inline/<lc>/<lcpolicy>            inlineRecord
//	a/<acct>/group-attached/<lc>/<pref>              index: managed policies attached to a group
//	a/<acct>/role/<lc>                               roleRecord
//	a/<acct>/role-path/<path> <lc>                   index: roles by path
//	a/<acct>/role-inline/<lc>/<lcpolicy>             inlineRecord
//	a/<acct>/role-attached/<lc>/<pref>               index: managed policies attached to a role
//	a/<acct>/role-profile/<lcrole>/<lcprofile>       index: instance profiles holding a role
//	a/<acct>/profile/<lc>                            profileRecord (holds its role's name)
//	a/<acct>/profile-path/<path> <lc>                index: instance profiles by path
//	a/<acct>/policy/<lc>                             policyRecord (customer managed policy)
//	a/<acct>/policy-path/<path> <lc>                 index: customer managed policies by path
//	a/<acct>/policy-version/<lc>/<NNNNNNNNNN>        versionRecord, the number zero-padded so versions sort
//	a/<acct>/policy-entity/<pref>/<kind>/<lc>        index: entities a managed policy is attached to
//	a/<acct>/policy-boundary/<pref>/<kind>/<lc>      index: entities using a managed policy as boundary
//	a/<acct>/aws-attached/<Name>                     attachment count of an AWS managed policy (> 0)
//	audit/<acct>/<time>/<id>                         auditRecord, never a secret
const (
	accountPrefix   = "account/"
	accessKeyPrefix = "accesskey/"
	aliasPrefix     = "alias/"
	auditPrefix     = "audit/"
)

// entityKind is one of the kinds of IAM entity that have names, paths and records.
type entityKind string

const (
	kindUser    entityKind = "user"
	kindGroup   entityKind = "group"
	kindRole    entityKind = "role"
	kindProfile entityKind = "profile"
	kindPolicy  entityKind = "policy"
)

func (k entityKind) String() string { return string(k) }

// keys builds the keys of one account.
type keys struct{ acct string }

func keysFor(acct string) keys { return keys{acct: acct} }

func (k keys) base() string { return "a/" + k.acct + "/" }

func (k keys) state() string { return k.base() + "state" }

func (k keys) entity(kind entityKind, name string) string {
	return k.base() + string(kind) + "/" + lower(name)
}

// pathIndexPrefix is the prefix of every path-index key of kind under pathPrefix.
func (k keys) pathIndexPrefix(kind entityKind, pathPrefix string) string {
	return k.base() + string(kind) + "-path/" + pathPrefix
}

func (k keys) pathIndex(kind entityKind, path, name string) string {
	return k.pathIndexPrefix(kind, path) + " " + lower(name)
}

// nameFromPathIndex returns the lower-cased name at the end of a path-index key.
func nameFromPathIndex(key string) string {
	return key[strings.LastIndexByte(key, ' ')+1:]
}

func (k keys) userKeyPrefix(user string) string { return k.base() + "user-key/" + lower(user) + "/" }
func (k keys) userKey(user, akid string) string { return k.userKeyPrefix(user) + akid }
func (k keys) userLogin(user string) string     { return k.base() + "user-login/" + lower(user) }

// inlinePrefix is the prefix of a principal's inline policies.
func (k keys) inlinePrefix(kind entityKind, name string) string {
	return k.base() + string(kind) + "-inline/" + lower(name) + "/"
}
func (k keys) inline(kind entityKind, name, policy string) string {
	return k.inlinePrefix(kind, name) + lower(policy)
}

// attachedPrefix is the prefix of the managed policies attached to a principal.
func (k keys) attachedPrefix(kind entityKind, name string) string {
	return k.base() + string(kind) + "-attached/" + lower(name) + "/"
}
func (k keys) attached(kind entityKind, name string, ref policyRef) string {
	return k.attachedPrefix(kind, name) + ref.String()
}

func (k keys) userGroupPrefix(user string) string {
	return k.base() + "user-group/" + lower(user) + "/"
}
func (k keys) userGroup(user, group string) string {
	return k.userGroupPrefix(user) + lower(group)
}
func (k keys) groupUserPrefix(group string) string {
	return k.base() + "group-user/" + lower(group) + "/"
}
func (k keys) groupUser(group, user string) string { return k.groupUserPrefix(group) + lower(user) }

func (k keys) roleProfilePrefix(role string) string {
	return k.base() + "role-profile/" + lower(role) + "/"
}
func (k keys) roleProfile(role, profile string) string {
	return k.roleProfilePrefix(role) + lower(profile)
}

func (k keys) versionPrefix(policy string) string {
	return k.base() + "policy-version/" + lower(policy) + "/"
}
func (k keys) version(policy string, n int) string {
	return fmt.Sprintf("%s%010d", k.versionPrefix(policy), n)
}

// entityPrefix is the prefix of the entities a managed policy is attached to; with a kind,
// of that kind only.
func (k keys) policyEntityPrefix(ref policyRef) string {
	return k.base() + "policy-entity/" + ref.String() + "/"
}
func (k keys) policyEntity(ref policyRef, kind entityKind, name string) string {
	return k.policyEntityPrefix(ref) + string(kind) + "/" + lower(name)
}
func (k keys) policyBoundaryPrefix(ref policyRef) string {
	return k.base() + "policy-boundary/" + ref.String() + "/"
}
func (k keys) policyBoundary(ref policyRef, kind entityKind, name string) string {
	return k.policyBoundaryPrefix(ref) + string(kind) + "/" + lower(name)
}
func (k keys) awsAttachedPrefix() string      { return k.base() + "aws-attached/" }
func (k keys) awsAttached(name string) string { return k.awsAttachedPrefix() + name }

func accountKey(acct string) string { return accountPrefix + acct }
func accessKeyKey(id string) string { return accessKeyPrefix + id }
func aliasKey(alias string) string  { return aliasPrefix + alias }
func auditAccountPrefix(acct string) string {
	return auditPrefix + acct + "/"
}

// lower folds a name for keys. IAM names are ASCII ([\w+=,.@-]), so ASCII folding is exact.
func lower(s string) string { return strings.ToLower(s) }

// policyRef names a managed policy inside keys: an AWS managed policy by its name, a
// customer managed one by its lower-cased name.
type policyRef struct {
	AWS  bool
	Name string // AWS: the exact name; local: lower-cased
}

func (r policyRef) String() string {
	if r.AWS {
		return "aws:" + r.Name
	}
	return "local:" + r.Name
}

func parsePolicyRef(s string) (policyRef, bool) {
	switch {
	case strings.HasPrefix(s, "aws:"):
		return policyRef{AWS: true, Name: s[len("aws:"):]}, true
	case strings.HasPrefix(s, "local:"):
		return policyRef{Name: s[len("local:"):]}, true
	}
	return policyRef{}, false
}
