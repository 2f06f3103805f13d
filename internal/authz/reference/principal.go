package reference

import "strings"

// Kinds of principal that can make a request (reference_policies_elements_principal.html).
const (
	KindUser      = "user"
	KindRole      = "role"           // an IAM role ARN given as the caller
	KindSession   = "assumed-role"   // arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION
	KindFederated = "federated-user" // arn:aws:sts::ACCOUNT:federated-user/NAME (GetFederationToken)
	KindRoot      = "root"
	KindService   = "service"
	KindAnonymous = "anonymous"
	// KindWebIdentity is an OIDC or SAML identity provider ARN: the caller of AssumeRoleWithWebIdentity or
	// AssumeRoleWithSAML, which a trust policy names under "Federated"
	// (reference_policies_elements_principal.html#principal-federated-web-identity, #principal-saml).
	KindWebIdentity = "web-identity"
	KindUnknown     = "unknown"
)

type principal struct {
	Kind    string
	ARN     string // the caller's ARN (a service principal's name; "anonymous")
	Account string // "" for services and anonymous
	Name    string // user name (no path), federated user name, session name
	Role    string // a session's role name; a role principal's name
}

func parsePrincipal(s string) principal {
	if s == "anonymous" || s == "*" {
		return principal{Kind: KindAnonymous, ARN: "anonymous"}
	}
	switch s {
	case "cognito-identity.amazonaws.com", "www.amazon.com", "graph.facebook.com", "accounts.google.com":
		// Identity providers a trust policy names under "Federated" by name
		// (reference_policies_elements_principal.html#principal-federated-web-identity).
		return principal{Kind: KindWebIdentity, ARN: s}
	}
	if !strings.HasPrefix(s, "arn:") {
		if strings.HasSuffix(s, ".amazonaws.com") || strings.Contains(s, ".") {
			return principal{Kind: KindService, ARN: s}
		}
		if accountID.MatchString(s) {
			return principal{Kind: KindRoot, ARN: "arn:aws:iam::" + s + ":root", Account: s}
		}
		return principal{Kind: KindUnknown, ARN: s}
	}
	parts := strings.SplitN(s, ":", 6)
	if len(parts) != 6 {
		return principal{Kind: KindUnknown, ARN: s}
	}
	p := principal{ARN: s, Account: parts[4], Kind: KindUnknown}
	res := parts[5]
	switch {
	case parts[2] == "iam" && res == "root":
		p.Kind = KindRoot
	case parts[2] == "iam" && strings.HasPrefix(res, "user/"):
		p.Kind = KindUser
		p.Name = res[strings.LastIndex(res, "/")+1:]
	case parts[2] == "iam" && strings.HasPrefix(res, "role/"):
		p.Kind = KindRole
		p.Role = res[strings.LastIndex(res, "/")+1:]
	case parts[2] == "sts" && strings.HasPrefix(res, "assumed-role/"):
		rest := strings.SplitN(strings.TrimPrefix(res, "assumed-role/"), "/", 2)
		if len(rest) == 2 {
			p.Kind, p.Role, p.Name = KindSession, rest[0], rest[1]
		}
	case parts[2] == "iam" && (strings.HasPrefix(res, "oidc-provider/") || strings.HasPrefix(res, "saml-provider/")):
		p.Kind = KindWebIdentity
	case parts[2] == "sts" && strings.HasPrefix(res, "federated-user/"):
		p.Kind, p.Name = KindFederated, strings.TrimPrefix(res, "federated-user/")
	}
	return p
}

// serviceLinked reports a service-linked role or a session of one: "SCPs don't affect service-linked
// roles" (orgs_manage_policies_scps.html). Such a role lives under the reserved path /aws-service-role/ and
// its name starts with AWSServiceRoleFor (using-service-linked-roles.html); a session ARN shows only the name.
func (p principal) serviceLinked() bool {
	switch p.Kind {
	case KindRole:
		return strings.Contains(p.ARN, ":role/aws-service-role/") || strings.HasPrefix(p.Role, "AWSServiceRoleFor")
	case KindSession:
		return strings.HasPrefix(p.Role, "AWSServiceRoleFor")
	}
	return false
}

// isSession reports a session principal: a role session or a federated user session
// (reference_policies_evaluation-logic.html, "Session policies").
func (p principal) isSession() bool { return p.Kind == KindSession || p.Kind == KindFederated }

// hasIdentityPolicies: users, roles and sessions carry identity-based policies (a federated user carries
// those of the IAM user who federated). The root user, services and anonymous callers have none.
func (p principal) hasIdentityPolicies() bool {
	switch p.Kind {
	case KindUser, KindRole, KindSession, KindFederated:
		return true
	}
	return false
}

// inAccount: the principal belongs to an AWS account, so the SCPs of that account apply to it ("The SCP
// maximum applies to principals in member accounts, including each AWS account root user",
// reference_policies_evaluation-logic.html).
func (p principal) inAccount() bool { return p.hasIdentityPolicies() || p.Kind == KindRoot }

// grant says how a Principal element named the caller, which decides whether implicit denies in other
// policy types still apply in the same account (reference_policies_evaluation-logic.html, table
// "Resource-based policies and implicit denies in other policy types (same account)").
type grant int

const (
	grantNone    grant = iota
	grantAccount       // the caller's account: authority is delegated to the account's identity policies
	grantRole          // the role of a role session: limited by boundary and session policy
	grantDirect        // the caller itself (user, session, federated user, root, service) or "*"
)

// identity is one name under which the caller can be matched by a Principal element.
type identity struct {
	kind  string // "arn", "account", "role", "service", "anonymous"
	value string
	grant grant
}

// identities lists every name the caller is known by. A role session is its session ARN, its role and its
// account; this is what makes NotPrincipal need all three to exclude a session
// (reference_policies_elements_notprincipal.html).
func (p principal) identities() []identity {
	switch p.Kind {
	case KindUser, KindFederated:
		return []identity{{"arn", p.ARN, grantDirect}, {"account", p.Account, grantAccount}}
	case KindSession:
		return []identity{{"arn", p.ARN, grantDirect}, {"role", p.Account + "/" + p.Role, grantRole}, {"account", p.Account, grantAccount}}
	case KindRole:
		return []identity{{"role", p.Account + "/" + p.Role, grantRole}, {"account", p.Account, grantAccount}}
	case KindRoot:
		return []identity{{"account", p.Account, grantDirect}}
	case KindService:
		return []identity{{"service", p.ARN, grantDirect}}
	case KindWebIdentity:
		return []identity{{"federated", p.ARN, grantDirect}}
	default:
		return []identity{{"anonymous", "", grantDirect}}
	}
}

// names reports whether one Principal entry names this identity.
func (ps *principalSet) names(id identity) bool {
	if ps.everyone {
		return true
	}
	switch id.kind {
	case "service":
		for _, s := range ps.service {
			if s == id.value {
				return true
			}
		}
	case "federated":
		for _, f := range ps.federated {
			if f == id.value {
				return true
			}
		}
	case "account", "arn", "role":
		for _, a := range ps.aws {
			if awsEntryNames(a, id) {
				return true
			}
		}
	}
	return false
}

// awsEntryNames matches one "AWS" principal value. An account is given as its 12-digit ID or its root ARN,
// and "The account ARN and the shortened account ID behave the same way" (principal page). A role ARN
// names the role; a session of that role is matched by the role's name (a session ARN carries no path).
// Everything else is compared as an exact ARN: "You cannot use a wildcard to match part of a principal
// name or ARN" (reference_policies_elements_principal.html).
func awsEntryNames(entry string, id identity) bool {
	switch id.kind {
	case "account":
		return entry == id.value || entry == "arn:aws:iam::"+id.value+":root"
	case "arn":
		return entry == id.value
	case "role":
		parts := strings.SplitN(entry, ":", 6)
		if len(parts) != 6 || parts[2] != "iam" || !strings.HasPrefix(parts[5], "role/") {
			return false
		}
		name := parts[5][strings.LastIndex(parts[5], "/")+1:]
		return parts[4]+"/"+name == id.value
	}
	return false
}

// match says how a statement's Principal or NotPrincipal element applies to the caller.
// requirePrincipal: in a resource-based policy a statement without either element applies to no one; in an
// RCP it applies to every caller.
func (s *statement) match(p principal, requirePrincipal bool) grant {
	ids := p.identities()
	switch {
	case s.principal != nil:
		best := grantNone
		for _, id := range ids {
			if s.principal.names(id) {
				g := id.grant
				if s.principal.everyone {
					g = grantDirect
				}
				best = max(best, g)
			}
		}
		return best
	case s.notPrincipal != nil:
		// The statement applies unless every name of the caller is listed: the documented example needs both
		// the user's ARN and its account's ARN to exclude that user (notprincipal page).
		for _, id := range ids {
			if !s.notPrincipal.names(id) {
				return grantDirect
			}
		}
		return grantNone
	case requirePrincipal:
		return grantNone
	default:
		return grantDirect
	}
}
