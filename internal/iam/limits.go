package iam

// IAM's default quotas, from https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html.
// The names beside them are the ones IAM puts in its LimitExceeded messages
// ("Cannot exceed quota for <name>: <limit>") and GetAccountSummary's SummaryMap keys.
const (
	maxUsers            = 5000 // UsersPerAccount, UsersQuota
	maxGroups           = 300  // GroupsPerAccount, GroupsQuota
	maxRoles            = 1000 // RolesPerAccount, RolesQuota
	maxInstanceProfiles = 1000 // InstanceProfilesPerAccount, InstanceProfilesQuota
	maxPolicies         = 1500 // PoliciesPerAccount, PoliciesQuota (customer managed)
	maxGroupsPerUser    = 10   // GroupsPerUser, GroupsPerUserQuota
	maxAccessKeys       = 2    // AccessKeysPerUser, AccessKeysPerUserQuota
	maxAttached         = 10   // PoliciesPerUser/Group/Role, AttachedPoliciesPer*Quota
	maxVersions         = 5    // VersionsPerPolicyQuota
	maxVersionsInUse    = 10000
	maxTags             = 50 // tags per user, role, policy, instance profile
	maxRolesPerProfile  = 1  // InstanceSessionsPerInstanceProfile
	maxAliases          = 1  // AliasesPerAccount

	// Policy sizes count characters without white space, as IAM does ("IAM doesn't count
	// white space when calculating the size of a policy against these quotas").
	maxUserPolicySize    = 2048  // UserPolicySize: aggregate of a user's inline policies
	maxGroupPolicySize   = 5120  // GroupPolicySize: aggregate of a group's inline policies
	maxRolePolicySize    = 10240 // RolePolicySize: aggregate of a role's inline policies
	maxManagedPolicySize = 6144  // PolicySize: one managed policy version
	maxTrustPolicySize   = 2048  // ACLSizePerRole: a role's trust policy

	minSessionDuration     = 3600
	maxSessionDuration     = 43200
	defaultSessionDuration = 3600

	defaultMaxItems = 100
)

// Quotas are the account-level quotas AWS lets an account raise through Service Quotas
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html#reference_iam-quotas-entities).
// A zero field takes AWS's default. GetAccountSummary reports the values in force.
type Quotas struct {
	Users                int // default 5,000
	Groups               int // default 300
	Roles                int // default 1,000
	InstanceProfiles     int // default 1,000
	Policies             int // customer managed policies; default 1,500
	PoliciesPerPrincipal int // managed policies attached to one user, group or role; default 10
}

func (q Quotas) withDefaults() Quotas {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&q.Users, maxUsers)
	def(&q.Groups, maxGroups)
	def(&q.Roles, maxRoles)
	def(&q.InstanceProfiles, maxInstanceProfiles)
	def(&q.Policies, maxPolicies)
	def(&q.PoliciesPerPrincipal, maxAttached)
	return q
}
