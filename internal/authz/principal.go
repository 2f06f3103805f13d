package authz

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"gatehouse/internal/arn"
	"gatehouse/internal/policy/condition"
)

// PrincipalKind is who makes a request
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html).
type PrincipalKind uint8

const (
	Anonymous     PrincipalKind = iota // an unsigned request
	User                               // an IAM user
	Role                               // an IAM role named directly (not a session)
	AssumedRole                        // a role session (sts assumed-role)
	FederatedUser                      // a GetFederationToken session
	Root                               // the account root user
	Service                            // an AWS service principal (ec2.amazonaws.com)
	// WebIdentity is a caller federated through an OIDC or SAML identity provider, as
	// AssumeRoleWithWebIdentity and AssumeRoleWithSAML see it: ARN is the provider
	// (arn:aws:iam::ACCOUNT:oidc-provider/…, …:saml-provider/…, or a well-known provider
	// name), which a trust policy names under "Federated".
	WebIdentity
)

func (k PrincipalKind) String() string {
	switch k {
	case Anonymous:
		return "anonymous"
	case User:
		return "user"
	case Role:
		return "role"
	case AssumedRole:
		return "assumedRole"
	case FederatedUser:
		return "federatedUser"
	case Root:
		return "root"
	case Service:
		return "service"
	case WebIdentity:
		return "webIdentity"
	}
	return "PrincipalKind(" + strconv.Itoa(int(k)) + ")"
}

// Principal is the requester, parsed once.
type Principal struct {
	Kind      PrincipalKind
	ARN       string // the principal's ARN; the service name for Service; "anonymous"
	Partition string
	Account   string
	Name      string // user, role or federated-user name (without path)
	// RoleARN is the ARN of the role behind an assumed-role session, as IAM names it in
	// aws:PrincipalArn (arn:PARTITION:iam::ACCOUNT:role/NAME; a path is not recoverable
	// from a session ARN, and IAM matches role principals by name).
	RoleARN     string
	SessionName string
	// UserID is aws:userid when the caller knows it (AIDA… for users, AROA…:session for
	// sessions); empty leaves the key unset except for root, whose user ID is the account.
	UserID string
	// ServiceLinked marks a service-linked role or a session of one, which SCPs do not
	// restrict: "SCPs don't affect service-linked roles"
	// (https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps.html).
	// ParsePrincipal knows one by its reserved path /aws-service-role/ or, for a session ARN
	// (which carries no path), by the AWSServiceRoleFor name prefix every service-linked role has
	// (https://docs.aws.amazon.com/IAM/latest/UserGuide/using-service-linked-roles.html).
	ServiceLinked bool
}

// serviceLinked reports whether a role, given by its path-and-name part (after "role/"),
// is a service-linked role.
func serviceLinked(pathAndName string) bool {
	return strings.HasPrefix(pathAndName, "aws-service-role/") || strings.HasPrefix(lastSegment(pathAndName), "AWSServiceRoleFor")
}

// wellKnownWebIdentity are the identity providers a trust policy names by name, not by an IAM
// OIDC provider ARN: "Federated": "cognito-identity.amazonaws.com", "www.amazon.com",
// "graph.facebook.com" or "accounts.google.com"
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html#principal-federated-web-identity).
// As callers they are web-identity callers, not service principals.
var wellKnownWebIdentity = map[string]bool{"cognito-identity.amazonaws.com": true, "www.amazon.com": true,
	"graph.facebook.com": true, "accounts.google.com": true}

// ErrPrincipal is the identity of a principal string that names no principal.
var ErrPrincipal = errors.New("invalid principal")

// ParsePrincipal reads a principal as DESIGN.md's policy tool takes it: an IAM user, role
// or root ARN, an STS assumed-role or federated-user ARN, a 12-digit account ID (its
// root), a service principal (ec2.amazonaws.com), an OIDC or SAML provider ARN (a web
// identity caller) or "anonymous".
func ParsePrincipal(s string) (Principal, error) {
	switch {
	case s == "anonymous" || s == "*":
		return Principal{Kind: Anonymous, ARN: "anonymous"}, nil
	case arn.IsAccountID(s):
		return Principal{Kind: Root, ARN: "arn:aws:iam::" + s + ":root", Partition: "aws", Account: s}, nil
	case wellKnownWebIdentity[s]:
		return Principal{Kind: WebIdentity, ARN: s, Name: s}, nil
	case !strings.HasPrefix(s, "arn:"):
		if strings.HasSuffix(s, ".amazonaws.com") || strings.HasSuffix(s, ".amazonaws.com.cn") || strings.HasSuffix(s, ".amazon.com") {
			return Principal{Kind: Service, ARN: s}, nil
		}
		return Principal{}, fmt.Errorf("%w: %q is not an ARN, account ID, service principal or \"anonymous\"", ErrPrincipal, s)
	}
	a, err := arn.Parse(s)
	if err != nil {
		return Principal{}, fmt.Errorf("%w: %v", ErrPrincipal, err)
	}
	if !arn.IsAccountID(a.Account) {
		return Principal{}, fmt.Errorf("%w: %q has no 12-digit account", ErrPrincipal, s)
	}
	p := Principal{ARN: s, Partition: a.Partition, Account: a.Account}
	typ, rest, _ := strings.Cut(a.Resource, "/")
	switch {
	case a.Service == "iam" && a.Resource == "root":
		p.Kind = Root
	case a.Service == "iam" && typ == "user" && rest != "":
		p.Kind, p.Name = User, lastSegment(rest)
	case a.Service == "iam" && typ == "role" && rest != "":
		p.Kind, p.Name = Role, lastSegment(rest)
		p.RoleARN = s
		p.ServiceLinked = serviceLinked(rest)
	case a.Service == "sts" && typ == "assumed-role":
		role, session, ok := strings.Cut(rest, "/")
		if !ok || role == "" || session == "" {
			return Principal{}, fmt.Errorf("%w: %q: an assumed-role ARN is assumed-role/ROLE/SESSION", ErrPrincipal, s)
		}
		p.Kind, p.Name, p.SessionName = AssumedRole, role, session
		p.ServiceLinked = serviceLinked(role)
		p.RoleARN = "arn:" + a.Partition + ":iam::" + a.Account + ":role/" + role
	case a.Service == "sts" && typ == "federated-user" && rest != "":
		p.Kind, p.Name = FederatedUser, rest
	case a.Service == "iam" && (typ == "oidc-provider" || typ == "saml-provider") && rest != "":
		p.Kind, p.Name = WebIdentity, rest
	default:
		return Principal{}, fmt.Errorf("%w: %q is not a user, role, session, federated user or root ARN", ErrPrincipal, s)
	}
	return p, nil
}

func lastSegment(path string) string {
	if i := strings.LastIndexByte(path, '/'); i >= 0 {
		return path[i+1:]
	}
	return path
}

// principalType is aws:PrincipalType
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principaltype).
func (p *Principal) principalType() string {
	switch p.Kind {
	case User:
		return "User"
	case Role, AssumedRole:
		return "AssumedRole"
	case FederatedUser:
		return "FederatedUser"
	case Root:
		return "Account"
	case Anonymous:
		return "Anonymous"
	}
	return ""
}

// NewContext returns a request context holding the keys IAM derives from the principal
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html
// and the table of aws:username / aws:userid values in
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html#policy-vars-infotouse):
// aws:PrincipalArn, aws:PrincipalAccount, aws:PrincipalType, aws:username (users),
// aws:userid, aws:PrincipalServiceName (services) and aws:PrincipalTag/KEY for each tag.
// Add the request's own keys afterwards; Set replaces a derived key.
func NewContext(p *Principal, tags map[string]string) *Context {
	c := &Context{}
	AddPrincipalKeys(c, p, tags)
	return c
}

// ContextOver returns an empty request context over base, a context NewContext built for
// the principal and shared by its requests (see condition.Over): base must not change.
func ContextOver(base *Context) *Context { return condition.Over(base) }

// AddPrincipalKeys adds the principal-derived keys NewContext describes to c, keeping any
// key c already has.
func AddPrincipalKeys(c *Context, p *Principal, tags map[string]string) {
	switch p.Kind {
	case Anonymous:
		c.SetDefault("aws:PrincipalType", p.principalType())
		return
	case Service:
		c.SetDefault("aws:PrincipalServiceName", p.ARN)
		return
	case WebIdentity:
		return
	}
	if p.Kind == AssumedRole {
		c.SetDefault("aws:PrincipalArn", p.RoleARN)
	} else {
		c.SetDefault("aws:PrincipalArn", p.ARN)
	}
	c.SetDefault("aws:PrincipalAccount", p.Account)
	c.SetDefault("aws:PrincipalType", p.principalType())
	if p.Kind == User {
		c.SetDefault("aws:username", p.Name)
	}
	switch {
	case p.UserID != "":
		c.SetDefault("aws:userid", p.UserID)
	case p.Kind == Root:
		c.SetDefault("aws:userid", p.Account)
	case p.Kind == FederatedUser:
		c.SetDefault("aws:userid", p.Account+":"+p.Name)
	}
	for k, v := range tags {
		c.SetDefault("aws:PrincipalTag/"+k, v)
	}
}
