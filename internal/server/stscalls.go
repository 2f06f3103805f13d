package server

import (
	"errors"
	"net/http"
	"strings"

	"gatehouse/internal/authz"
	"gatehouse/internal/awserr"
	"gatehouse/internal/awsproto"
	"gatehouse/internal/awsproto/stsapi"
	"gatehouse/internal/iam"
	"gatehouse/internal/sts"
)

// serveSTS decodes, authorizes and runs one STS call
// (https://docs.aws.amazon.com/STS/latest/APIReference/welcome.html).
func (s *Server) serveSTS(w http.ResponseWriter, c *call) error {
	if s.sts == nil {
		return awserr.InvalidAction("Gatehouse does not serve STS requests: no session keyring is configured.")
	}
	if c.r.Method != http.MethodPost && c.r.Method != http.MethodGet {
		return awserr.New(405, "InvalidAction", "STS accepts only GET and POST requests.")
	}
	params, err := queryParams(c)
	if err != nil {
		return err
	}
	if len(params["Action"]) > 0 {
		c.action = params["Action"][0]
	}
	op, in, err := awsproto.STS.DecodeRequest(params)
	if err != nil {
		return err
	}
	if c.caller == nil && !unsignedSTS(op.Name) {
		return awserr.New(403, "MissingAuthenticationToken", "Request is missing Authentication Token")
	}
	if c.caller != nil {
		if err := sessionMayCall(c.caller.session, op.Name); err != nil {
			return err
		}
	}
	var out any
	switch in := in.(type) {
	case *stsapi.GetCallerIdentityInput:
		out = s.getCallerIdentity(c)
	case *stsapi.AssumeRoleInput:
		out, err = s.assumeRole(c, in)
	case *stsapi.GetSessionTokenInput:
		out, err = s.getSessionToken(c, in)
	case *stsapi.GetFederationTokenInput:
		out, err = s.getFederationToken(c, in)
	case *stsapi.GetAccessKeyInfoInput:
		out, err = s.getAccessKeyInfo(c, in)
	case *stsapi.AssumeRoleWithWebIdentityInput:
		out, err = s.assumeRoleWithWebIdentity(c, in)
	case *stsapi.AssumeRoleWithSAMLInput:
		out, err = s.assumeRoleWithSAML(c, in)
	case *stsapi.DecodeAuthorizationMessageInput:
		out, err = s.decodeAuthorizationMessage(c, in)
	default:
		return awserr.InvalidAction("Gatehouse does not implement the STS action %s yet.", op.Name)
	}
	if err != nil {
		return err
	}
	s.writeOK(w, c, op, out)
	return nil
}

// unsignedSTS reports the STS actions a caller makes without AWS credentials: the identity
// provider's token or assertion is the proof of identity
// (https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRoleWithWebIdentity.html,
// API_AssumeRoleWithSAML.html: "Calling AssumeRoleWithSAML does not require the use of AWS
// security credentials").
func unsignedSTS(op string) bool {
	return op == "AssumeRoleWithWebIdentity" || op == "AssumeRoleWithSAML"
}

// sessionMayCall applies what temporary credentials may call in STS
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_temp_request.html#stsapi_comparison):
// GetSessionToken's credentials only AssumeRole and GetCallerIdentity, a federated user's
// only GetCallerIdentity. GetSessionToken and GetFederationToken answer session callers
// themselves, in the sts package. AssumeRoleWithWebIdentity and AssumeRoleWithSAML need no
// credentials at all (unsignedSTS): whatever signs them, the token or assertion is read.
func sessionMayCall(sess *sts.Session, op string) error {
	if sess == nil || op == "GetCallerIdentity" || op == "GetSessionToken" || op == "GetFederationToken" || unsignedSTS(op) {
		return nil
	}
	switch sess.Kind {
	case sts.FederatedUser:
		return awserr.AccessDenied("Cannot call " + op + " with federated user credentials")
	case sts.UserSession, sts.RootSession:
		if op != "AssumeRole" && !sess.MFA {
			return awserr.AccessDenied("Cannot call " + op + " with session credentials")
		}
	}
	return nil
}

// getCallerIdentity answers for every authenticated caller, whatever its policies say: "No
// permissions are required to perform this operation"
// (https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html).
func (s *Server) getCallerIdentity(c *call) *stsapi.GetCallerIdentityOutput {
	p := &c.caller.principal
	userID := p.UserID
	if c.caller.root || userID == "" {
		userID = p.Account
	}
	arn := p.ARN
	return &stsapi.GetCallerIdentityOutput{UserId: &userID, Account: &p.Account, Arn: &arn}
}

// stsCaller is the caller as the sts package sees it.
func stsCaller(cl *caller) *sts.Caller {
	return &sts.Caller{ARN: cl.principal.ARN, Account: cl.account.ID, Partition: cl.principal.Partition,
		UserID: cl.principal.UserID, Root: cl.root, Session: cl.session}
}

func credentialsOut(cr sts.Credentials) *stsapi.Credentials {
	return &stsapi.Credentials{AccessKeyId: cr.AccessKeyID, SecretAccessKey: cr.SecretAccessKey,
		SessionToken: cr.SessionToken, Expiration: cr.Expiration}
}

// assumeRole runs AssumeRole: the sts package plans the session, the policy engine decides
// sts:AssumeRole with the caller's identity policies and the role's trust policy as the
// resource policy (same account: either may grant; across accounts both must —
// id_roles_manage-assume.html, reference_policies_evaluation-logic-cross-account.html),
// then sts:TagSession and sts:SetSourceIdentity when the request uses them
// (id_session-tags.html#id_session-tags_permissions-required,
// id_credentials_temp_control-access_monitor.html#id_credentials_temp_control-access_monitor-perms).
func (s *Server) assumeRole(c *call, in *stsapi.AssumeRoleInput) (*stsapi.AssumeRoleOutput, error) {
	ctx := c.r.Context()
	roleARN := *in.RoleArn
	denied := awserr.AccessDenied("User: " + c.caller.principal.ARN + " is not authorized to perform: sts:AssumeRole on resource: " + roleARN)
	acct, ok := roleAccount(roleARN)
	if !ok {
		return nil, awserr.ValidationError("%s is invalid", roleARN)
	}
	// A role that does not exist is denied exactly as one that does not trust the caller:
	// AssumeRole does not reveal which roles exist.
	role, err := s.source(ctx, acct, roleARN)
	if errors.Is(err, errNoSource) || (err == nil && (role.trust == nil || !s.sameRole(role.arn, roleARN))) {
		// The emulator's stand-in root may assume roles (below), so a role it names that does
		// not exist is the ordinary denial, not the refusal of a real root.
		if c.caller.root && !c.caller.emulated {
			return nil, awserr.AccessDenied("Roles may not be assumed by root accounts.")
		}
		return nil, denied
	}
	if err != nil {
		return nil, err
	}
	sc := stsCaller(c.caller)
	if err := s.verifyMFA(c, sc, in.SerialNumber, in.TokenCode); err != nil {
		return nil, err
	}
	// moto and LocalStack let their test keys assume any role; so does the emulator's
	// stand-in root (emulator.go), which AWS's "Roles may not be assumed by root accounts"
	// would otherwise stop.
	sc.Root = sc.Root && !c.caller.emulated
	// The session is in the partition of the role ARN the caller named: in production that is
	// the account's; in emulator mode, where an account exists in every partition, a role
	// assumed through cn-north-1 as arn:aws-cn:… gives arn:aws-cn:sts::… sessions.
	plan, err := s.sts.AssumeRole(sc, &sts.Role{ARN: role.arn, ID: role.uniqueID, Account: acct,
		Partition: arnPartition(roleARN), MaxSessionDuration: role.maxDuration}, in)
	if err != nil {
		return nil, err
	}
	e, err := s.principal(ctx, c.caller)
	if err != nil {
		return nil, err
	}
	cond := e.context(&c.caller.principal)
	s.globalKeys(cond, c)
	s.sessionKeys(cond, c.caller)
	if sc.MFAVerified {
		// The trust policy sees the MFA this request proved (aws:MultiFactorAuthPresent).
		cond.Set("aws:MultiFactorAuthPresent", "true")
		cond.Set("aws:MultiFactorAuthAge", "0")
	}
	if in.ExternalId != nil {
		cond.Set("sts:ExternalId", *in.ExternalId)
	}
	sessionRequestKeys(cond, plan, str(in.SourceIdentity))
	if c.caller.emulated {
		// moto's and LocalStack's test keys assume any role (see above): allowed, and logged.
		s.metrics.observeDecision("allowed")
		s.rootAllowed(c, "sts:AssumeRole", roleARN)
	} else {
		req := authz.Request{Principal: &c.caller.principal, Resource: roleARN,
			ResourceAccount: acct, Context: cond, Policies: e.set, Resources: role.trust}
		err := s.decideSession(c, &req, "sts:AssumeRole", len(plan.Tags) > 0, in.SourceIdentity != nil,
			func(action string, res *authz.Result) error {
				if res.Decision == authz.ExplicitDeny {
					return awserr.AccessDenied(res.Message())
				}
				return awserr.AccessDenied("User: " + c.caller.principal.ARN + " is not authorized to perform: " + action + " on resource: " + roleARN)
			})
		if err != nil {
			return nil, err
		}
	}
	cr, err := s.sts.Issue(plan)
	if err != nil {
		return nil, err
	}
	s.iam.RecordRoleUse(role.arn, s.cfg.Region, s.cfg.Now())
	out := &stsapi.AssumeRoleOutput{
		Credentials:     credentialsOut(cr),
		AssumedRoleUser: &stsapi.AssumedRoleUser{AssumedRoleId: plan.UserID(), Arn: plan.ARN()},
	}
	if plan.HasSessionPolicy() || len(plan.Tags) > 0 {
		n := int32(plan.PackedPolicySize)
		out.PackedPolicySize = &n
	}
	if plan.SourceIdentity != "" {
		out.SourceIdentity = &plan.SourceIdentity
	}
	return out, nil
}

// verifyMFA checks SerialNumber and TokenCode against the calling IAM user's enabled MFA
// device (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_mfa_configure-api-require.html)
// and marks the caller verified; without them it does nothing. A device that is not the
// caller's, and a wrong or replayed code, are AccessDenied with STS's texts.
func (s *Server) verifyMFA(c *call, sc *sts.Caller, serial, code *string) error {
	if serial == nil && code == nil {
		return nil
	}
	if serial == nil || code == nil || c.caller.root || c.caller.session != nil || c.caller.principal.Name == "" {
		return awserr.AccessDenied(msgMFAUnknownDevice)
	}
	err := s.iam.VerifyMFA(c.r.Context(), c.caller.account.ID, c.caller.principal.Name, *serial, *code)
	switch {
	case err == nil:
		sc.MFAVerified = true
		return nil
	case errors.Is(err, iam.ErrInvalidMFACode):
		return awserr.AccessDenied("MultiFactorAuthentication failed with invalid MFA one time pass code. ")
	case errors.Is(err, iam.ErrNoSuchMFADevice):
		return awserr.AccessDenied(msgMFAUnknownDevice)
	}
	return err
}

const msgMFAUnknownDevice = "MultiFactorAuthentication failed, unable to validate MFA code. Please verify your MFA serial number is valid and associated with this user."

// sameRole reports whether the role ARN a caller named is the stored role's. IAM answers an
// emulator-mode request with ARNs in the partition of the region it was signed for (an
// account exists in every partition there, emulator.go rootPartition), so the role that
// CreateRole returned as arn:aws-cn:iam::… through cn-north-1 is the same role whichever
// partition names it; in production the partition is the account's and must match.
func (s *Server) sameRole(stored, named string) bool {
	if strings.EqualFold(stored, named) {
		return true
	}
	if s.emu == nil {
		return false
	}
	_, st, ok1 := strings.Cut(strings.TrimPrefix(stored, "arn:"), ":")
	_, nm, ok2 := strings.Cut(strings.TrimPrefix(named, "arn:"), ":")
	return ok1 && ok2 && strings.EqualFold(st, nm)
}

// arnPartition is the partition field of an ARN (arn:PARTITION:…).
func arnPartition(a string) string {
	p, _, _ := strings.Cut(strings.TrimPrefix(a, "arn:"), ":")
	return p
}

// roleAccount returns the account of a role ARN (arn:PARTITION:iam::ACCOUNT:role/…).
func roleAccount(arn string) (string, bool) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "iam" || !strings.HasPrefix(parts[5], "role/") {
		return "", false
	}
	if len(parts[4]) != 12 || strings.Trim(parts[4], "0123456789") != "" {
		return "", false
	}
	return parts[4], true
}

// getSessionToken runs GetSessionToken: no policy governs it.
func (s *Server) getSessionToken(c *call, in *stsapi.GetSessionTokenInput) (*stsapi.GetSessionTokenOutput, error) {
	sc := stsCaller(c.caller)
	if err := s.verifyMFA(c, sc, in.SerialNumber, in.TokenCode); err != nil {
		return nil, err
	}
	plan, err := s.sts.GetSessionToken(sc, in)
	if err != nil {
		return nil, err
	}
	cr, err := s.sts.Issue(plan)
	if err != nil {
		return nil, err
	}
	return &stsapi.GetSessionTokenOutput{Credentials: credentialsOut(cr)}, nil
}

// getFederationToken runs GetFederationToken, which the user's policies must allow on the
// federated user's ARN (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_temp_control-access_getfederationtoken.html).
func (s *Server) getFederationToken(c *call, in *stsapi.GetFederationTokenInput) (*stsapi.GetFederationTokenOutput, error) {
	// A root (the emulator's stand-in root included) may federate, for at most an hour.
	plan, err := s.sts.GetFederationToken(stsCaller(c.caller), in)
	if err != nil {
		return nil, err
	}
	if err := s.authorizeSTS(c, "sts:GetFederationToken", plan.ARN(), func(cond *authz.Context) {
		if len(plan.Tags) > 0 {
			keys := make([]string, 0, len(plan.Tags))
			for _, t := range plan.Tags {
				cond.Set("aws:RequestTag/"+t.Key, t.Value)
				keys = append(keys, t.Key)
			}
			cond.SetMulti("aws:TagKeys", keys)
		}
	}); err != nil {
		return nil, err
	}
	if len(plan.Tags) > 0 {
		if err := s.authorizeSTS(c, "sts:TagSession", plan.ARN(), nil); err != nil {
			return nil, err
		}
	}
	cr, err := s.sts.Issue(plan)
	if err != nil {
		return nil, err
	}
	// GetFederationToken always answers with PackedPolicySize, 0 without session policies
	// or tags (recorded against AWS: LocalStack's test_sts.py::test_get_federation_token);
	// AssumeRole leaves it out then.
	n := int32(plan.PackedPolicySize)
	return &stsapi.GetFederationTokenOutput{
		Credentials:      credentialsOut(cr),
		FederatedUser:    &stsapi.FederatedUser{FederatedUserId: plan.UserID(), Arn: plan.ARN()},
		PackedPolicySize: &n,
	}, nil
}

// getAccessKeyInfo returns the account of an access key: a temporary key's account is in
// its ID; a long-term key's is looked up.
func (s *Server) getAccessKeyInfo(c *call, in *stsapi.GetAccessKeyInfoInput) (*stsapi.GetAccessKeyInfoOutput, error) {
	if err := s.authorizeSTS(c, "sts:GetAccessKeyInfo", "*", nil); err != nil {
		return nil, err
	}
	id := *in.AccessKeyId
	if acct, ok := sts.AccessKeyAccount(id); ok {
		return &stsapi.GetAccessKeyInfoOutput{Account: &acct}, nil
	}
	k, err := s.iam.LookupAccessKey(c.r.Context(), id)
	if errors.Is(err, iam.ErrNoSuchAccessKey) {
		if s.emulatesUnknownKeys(c) {
			// A key Gatehouse did not issue acts as the root of the default account
			// (unknownKey; a 12-digit ID is shorter than AccessKeyId's 16), so that is the
			// account it belongs to — what moto and LocalStack answer for their test keys.
			acct := s.emu.defaultAccount
			return &stsapi.GetAccessKeyInfoOutput{Account: &acct}, nil
		}
		// "Providing a deleted access key might return an error that the key doesn't
		// exist" (API_GetAccessKeyInfo.html).
		return nil, awserr.InvalidParameterValue("The access key ID %s is not valid.", id)
	}
	if err != nil {
		return nil, err
	}
	return &stsapi.GetAccessKeyInfoOutput{Account: &k.Account}, nil
}

// authorizeSTS decides an STS action on resource with the caller's identity policies.
func (s *Server) authorizeSTS(c *call, action, resource string, keys func(*authz.Context)) error {
	if c.caller.root {
		s.metrics.observeDecision("allowed")
		s.rootAllowed(c, action, resource)
		return nil
	}
	e, err := s.principal(c.r.Context(), c.caller)
	if err != nil {
		return err
	}
	cond := e.context(&c.caller.principal)
	s.globalKeys(cond, c)
	s.sessionKeys(cond, c.caller)
	if keys != nil {
		keys(cond)
	}
	req := authz.Request{Principal: &c.caller.principal, Action: action, Resource: resource,
		ResourceAccount: c.caller.account.ID, Context: cond, Policies: e.set}
	res := resultPool.Get().(*authz.Result)
	defer resultPool.Put(res)
	authz.Evaluate(&req, res)
	s.metrics.observeDecision(res.Decision.String())
	if s.denies(c, &req, res) {
		return awserr.AccessDenied(res.Message())
	}
	return nil
}
