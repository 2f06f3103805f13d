// Package iam owns the IAM domain: accounts, users, groups, roles, managed and inline
// policies and their versions, access keys, instance profiles, tags, and the rules and
// quotas AWS IAM applies to them (https://docs.aws.amazon.com/IAM/latest/APIReference/ and
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html).
//
// A Service has one method per IAM operation, shaped
//
//	func (s *Service) CreateUser(ctx, Account, *iamapi.CreateUserInput) (*iamapi.CreateUserOutput, error)
//
// The edge has already authenticated and authorized the call and run the input's Validate
// (the model's lengths, patterns and enums); the Service applies the rules the model cannot
// express: existence, case-insensitive uniqueness, quotas, conflicts. Every client mistake is
// an *awserr.Error with IAM's code, status and message.
//
// Besides the operations, the edge calls:
//
//   - New(Options{Store, Sealer, ManagedPolicies, Now, Rand, OnChange}); ManagedPolicies
//     defaults to the catalog's 1,485 AWS managed policies (CatalogPolicies).
//   - Bootstrap(ctx, accountID) on start: the account and its root access key, once.
//   - LookupAccessKey(ctx, id) on SigV4 verification: the key's secret, status and principal
//     in one read; ErrNoSuchAccessKey for an unknown ID.
//   - RecordAccessKeyUse / RecordRoleUse on every authenticated request or assumed role (no
//     I/O) and FlushAccessKeyUse on a timer and at shutdown.
//   - PrincipalPolicies(ctx, arn) on a policy-cache miss: a user's inline and attached
//     policies and its groups', or a role's, the boundary, tags, unique ID and the generation.
//   - InstanceProfileRole(ctx, profileARN) for EC2 and the metadata service, and
//     VerifyPassword for console sign-in.
//   - RecordServiceAccess(account, principalARN, service, action, region, t) after every
//     allowed request of a user or role (no I/O; flushed with key use) for service last
//     accessed data (lastaccessed.go).
//   - VerifyMFA(ctx, account, userName, serialNumber, code) for STS calls that carry an MFA
//     SerialNumber and TokenCode: ErrNoSuchMFADevice or ErrInvalidMFACode (mfa.go).
//
// Storage is a kv.Store (layout in keys.go). Every mutation is one Update transaction that
// also writes an audit record (caller, action, target; never a secret) and bumps the
// account's generation, so a failed operation leaves nothing behind.
//
// # Invalidation
//
// The server caches what LookupAccessKey and PrincipalPolicies return. Three signals tell it
// what to drop, from cheapest to widest:
//
//   - Options.OnChange receives, after each commit on this node, a Change listing the ARNs
//     of the users and roles whose PolicySet changed (including every member of a group whose
//     policies changed and every holder of a managed policy whose default version changed)
//     and the access key IDs whose lookup changed.
//   - Generation(account) is the account's generation counter as this node last committed or
//     read it (no I/O). A PolicySet carries the generation it was read at; a cache may treat
//     any entry older than Generation(account) as stale when it prefers coarse invalidation.
//   - Other nodes: the counter lives at GenerationKey(account) and is written in every
//     mutating transaction, so a kv.Watcher on the shared store reports that key within its
//     poll interval; the server then drops the account's entries (and may call
//     StoredGeneration to catch up).
//
// Access-key last-use is recorded off the request path; see RecordAccessKeyUse.
package iam
