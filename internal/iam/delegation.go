package iam

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"gatehouse/internal/awsproto/iamapi"
	"gatehouse/internal/kv"
	"gatehouse/internal/policy"
)

// Temporary delegation requests
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies-temporary-delegation.html,
// https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateDelegationRequest.html): a
// partner (the requestor) asks a customer account (the owner) for temporary access
// described by a policy template and its parameters. The life of a request:
//
//	CreateDelegationRequest (requestor)    → UNASSIGNED, or ASSIGNED when OwnerAccountId names the owner
//	AssociateDelegationRequest (owner)     → ASSIGNED to the calling identity (OwnerId)
//	AcceptDelegationRequest (owner)        → ACCEPTED, the caller recorded as ApproverId
//	RejectDelegationRequest (owner)        → REJECTED (allowed until the token is sent)
//	SendDelegationToken (owner)            → FINALIZED, final
//
// A request is visible to the requestor's and the owner's accounts. Requests are global
// (delegation/<id>, like access keys) with an index in each account that can see one:
// a/<acct>/delegation/<id>. The requestor workflow ID is unique per requestor account
// (a/<acct>/delegation-workflow/<workflow ID>), so a retried Create is refused, not doubled.

const delegationPrefix = "delegation/"

func delegationKey(id string) string         { return delegationPrefix + id }
func (k keys) delegationIndexPrefix() string { return k.base() + "delegation/" }
func (k keys) delegationWorkflow(workflow string) string {
	return k.base() + "delegation-workflow/" + workflow
}

type delegationRecord struct {
	ID               string                   `json:"id"`
	RequestorAccount string                   `json:"requestorAccount"`
	RequestorID      string                   `json:"requestorId"` // the creator's ARN
	OwnerAccount     string                   `json:"ownerAccount,omitempty"`
	OwnerID          string                   `json:"ownerId,omitempty"`
	ApproverID       string                   `json:"approverId,omitempty"`
	Description      string                   `json:"description"`
	Message          string                   `json:"message,omitempty"`
	Workflow         string                   `json:"workflow"`
	RedirectURL      string                   `json:"redirectUrl,omitempty"`
	Channel          string                   `json:"channel"`
	SessionDuration  int32                    `json:"sessionDuration"`
	OnlySendByOwner  bool                     `json:"onlySendByOwner,omitempty"`
	Template         string                   `json:"template"`
	Parameters       []iamapi.PolicyParameter `json:"parameters,omitempty"`
	State            string                   `json:"state"`
	Notes            string                   `json:"notes,omitempty"`
	RejectionReason  string                   `json:"rejectionReason,omitempty"`
	Created          time.Time                `json:"created"`
	Updated          time.Time                `json:"updated"`
}

func delegationNotFound(id string) error {
	return noSuchEntity("The delegation request with id %s cannot be found.", id)
}

// defaultDelegationSession is the session length when the requestor names none: one hour,
// as for a role.
const defaultDelegationSession = 3600

func (r delegationRecord) out() iamapi.DelegationRequest {
	o := iamapi.DelegationRequest{DelegationRequestId: ptr(r.ID), Description: ptr(r.Description),
		Permissions: &iamapi.DelegationPermission{PolicyTemplateArn: ptr(r.Template), Parameters: r.Parameters},
		State:       iamapi.StateType(r.State), RequestorId: ptr(r.RequestorAccount), RequestorName: ptr(r.RequestorID),
		CreateDate: timePtr(r.Created), UpdatedTime: timePtr(r.Updated), SessionDuration: ptr(r.SessionDuration),
		OnlySendByOwner: ptr(r.OnlySendByOwner)}
	opt := func(s string) *string {
		if s == "" {
			return nil
		}
		return ptr(s)
	}
	o.OwnerAccountId, o.OwnerId, o.ApproverId = opt(r.OwnerAccount), opt(r.OwnerID), opt(r.ApproverID)
	o.RequestMessage, o.RedirectUrl, o.Notes, o.RejectionReason = opt(r.Message), opt(r.RedirectURL), opt(r.Notes), opt(r.RejectionReason)
	return o
}

func (s *Service) CreateDelegationRequest(ctx context.Context, a Account, in *iamapi.CreateDelegationRequestInput) (*iamapi.CreateDelegationRequestOutput, error) {
	if in.Permissions == nil || str(in.Permissions.PolicyTemplateArn) == "" {
		return nil, invalidInput("Permissions must name a PolicyTemplateArn.")
	}
	owner := str(in.OwnerAccountId)
	if owner == a.ID {
		return nil, invalidInput("A delegation request cannot be addressed to the requestor's own account.")
	}
	workflow := str(in.RequestorWorkflowId)
	dur := int32(defaultDelegationSession)
	if in.SessionDuration != nil {
		dur = *in.SessionDuration
	}
	var rec delegationRecord
	err := s.update(ctx, a, "CreateDelegationRequest", func() string { return "delegation-request " + workflow }, func(t *txn) error {
		if found, err := exists(t.tx, t.k.delegationWorkflow(workflow)); err != nil {
			return err
		} else if found {
			return entityAlreadyExists("A delegation request with requestor workflow ID %s already exists.", workflow)
		}
		id, err := newUUID(s.opt.Rand)
		if err != nil {
			return err
		}
		state := string(iamapi.StateTypeUNASSIGNED)
		if owner != "" {
			state = string(iamapi.StateTypeASSIGNED)
		}
		rec = delegationRecord{ID: id, RequestorAccount: a.ID, RequestorID: a.Caller, OwnerAccount: owner,
			Description: str(in.Description), Message: str(in.RequestMessage), Workflow: workflow, RedirectURL: str(in.RedirectUrl),
			Channel: str(in.NotificationChannel), SessionDuration: dur, OnlySendByOwner: in.OnlySendByOwner != nil && *in.OnlySendByOwner,
			Template: str(in.Permissions.PolicyTemplateArn), Parameters: in.Permissions.Parameters, State: state, Created: t.now, Updated: t.now}
		if err := t.tx.Put(t.k.delegationWorkflow(workflow), []byte(id)); err != nil {
			return err
		}
		if err := t.tx.Put(t.k.delegationIndexPrefix()+id, nil); err != nil {
			return err
		}
		if owner != "" {
			if err := t.tx.Put(keysFor(owner).delegationIndexPrefix()+id, nil); err != nil {
				return err
			}
		}
		return putJSON(t.tx, delegationKey(id), rec)
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.CreateDelegationRequestOutput{DelegationRequestId: ptr(rec.ID),
		ConsoleDeepLink: ptr("https://console.aws.amazon.com/iam/home#/delegation/requests/" + rec.ID)}, nil
}

// visibleDelegation reads a request the caller's account may see: the requestor's, the
// owner's, or (while unassigned) any account that holds its ID, which is how a customer
// receives it.
func visibleDelegation(tx kv.Tx, a Account, id string, unassignedOK bool) (delegationRecord, error) {
	var r delegationRecord
	found, err := getJSON(tx, delegationKey(id), &r)
	if err != nil {
		return r, err
	}
	if !found || (r.RequestorAccount != a.ID && r.OwnerAccount != a.ID && !(unassignedOK && r.OwnerAccount == "")) {
		return r, delegationNotFound(id)
	}
	return r, nil
}

// ownerStep runs one of the owner's transitions: the caller must be in the owner account,
// and the request in one of the states from.
func (s *Service) ownerStep(ctx context.Context, a Account, action, id string, from []iamapi.StateType, fn func(t *txn, r *delegationRecord) error) error {
	return s.update(ctx, a, action, func() string { return "delegation-request/" + id }, func(t *txn) error {
		r, err := visibleDelegation(t.tx, a, id, action == "AssociateDelegationRequest" || action == "RejectDelegationRequest")
		if err != nil {
			return err
		}
		if r.RequestorAccount == a.ID && r.OwnerAccount != a.ID {
			return invalidInput("Only the owner account of delegation request %s can %s it.", id, strings.TrimSuffix(strings.TrimSuffix(action, "DelegationRequest"), "DelegationToken"))
		}
		ok := false
		for _, st := range from {
			ok = ok || r.State == string(st)
		}
		if !ok {
			return invalidInput("Delegation request %s is %s; %s is not allowed in that state.", id, r.State, action)
		}
		if err := fn(t, &r); err != nil {
			return err
		}
		r.Updated = t.now
		return putJSON(t.tx, delegationKey(id), r)
	})
}

func (s *Service) AssociateDelegationRequest(ctx context.Context, a Account, in *iamapi.AssociateDelegationRequestInput) (*iamapi.AssociateDelegationRequestOutput, error) {
	id := str(in.DelegationRequestId)
	err := s.ownerStep(ctx, a, "AssociateDelegationRequest", id, []iamapi.StateType{iamapi.StateTypeUNASSIGNED, iamapi.StateTypeASSIGNED}, func(t *txn, r *delegationRecord) error {
		if r.OwnerAccount == "" {
			r.OwnerAccount = a.ID
			if err := t.tx.Put(t.k.delegationIndexPrefix()+r.ID, nil); err != nil {
				return err
			}
		}
		r.OwnerID, r.State = a.Caller, string(iamapi.StateTypeASSIGNED)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.AssociateDelegationRequestOutput{}, nil
}

func (s *Service) AcceptDelegationRequest(ctx context.Context, a Account, in *iamapi.AcceptDelegationRequestInput) (*iamapi.AcceptDelegationRequestOutput, error) {
	id := str(in.DelegationRequestId)
	err := s.ownerStep(ctx, a, "AcceptDelegationRequest", id, []iamapi.StateType{iamapi.StateTypeASSIGNED, iamapi.StateTypePENDINGAPPROVAL}, func(t *txn, r *delegationRecord) error {
		// "At the time of acceptance, IAM records the details and the state of the identity
		// that called this API."
		r.ApproverID, r.State = a.Caller, string(iamapi.StateTypeACCEPTED)
		if r.OwnerID == "" {
			r.OwnerID = a.Caller
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.AcceptDelegationRequestOutput{}, nil
}

// RejectDelegationRequest is allowed until the token is sent: "An accepted request may be
// rejected before the exchange token is sent to the partner."
func (s *Service) RejectDelegationRequest(ctx context.Context, a Account, in *iamapi.RejectDelegationRequestInput) (*iamapi.RejectDelegationRequestOutput, error) {
	id := str(in.DelegationRequestId)
	err := s.ownerStep(ctx, a, "RejectDelegationRequest", id, []iamapi.StateType{iamapi.StateTypeUNASSIGNED, iamapi.StateTypeASSIGNED,
		iamapi.StateTypePENDINGAPPROVAL, iamapi.StateTypeACCEPTED}, func(t *txn, r *delegationRecord) error {
		if r.OwnerAccount == "" {
			r.OwnerAccount = a.ID
			if err := t.tx.Put(t.k.delegationIndexPrefix()+r.ID, nil); err != nil {
				return err
			}
		}
		r.ApproverID, r.State, r.RejectionReason = a.Caller, string(iamapi.StateTypeREJECTED), str(in.Notes)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.RejectDelegationRequestOutput{}, nil
}

// SendDelegationToken finalizes an accepted request; with OnlySendByOwner only the identity
// that owns it may send.
func (s *Service) SendDelegationToken(ctx context.Context, a Account, in *iamapi.SendDelegationTokenInput) (*iamapi.SendDelegationTokenOutput, error) {
	id := str(in.DelegationRequestId)
	err := s.ownerStep(ctx, a, "SendDelegationToken", id, []iamapi.StateType{iamapi.StateTypeACCEPTED}, func(t *txn, r *delegationRecord) error {
		if r.OnlySendByOwner && r.OwnerID != a.Caller {
			return invalidInput("Only the owner %s of delegation request %s can send its token.", r.OwnerID, id)
		}
		r.State = string(iamapi.StateTypeFINALIZED)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.SendDelegationTokenOutput{}, nil
}

// UpdateDelegationRequest records the owner's notes; an assigned request with notes for an
// approver moves to PENDING_APPROVAL.
func (s *Service) UpdateDelegationRequest(ctx context.Context, a Account, in *iamapi.UpdateDelegationRequestInput) (*iamapi.UpdateDelegationRequestOutput, error) {
	id := str(in.DelegationRequestId)
	err := s.ownerStep(ctx, a, "UpdateDelegationRequest", id, []iamapi.StateType{iamapi.StateTypeUNASSIGNED, iamapi.StateTypeASSIGNED,
		iamapi.StateTypePENDINGAPPROVAL}, func(t *txn, r *delegationRecord) error {
		r.Notes = str(in.Notes)
		if r.State == string(iamapi.StateTypeASSIGNED) && r.Notes != "" {
			r.State = string(iamapi.StateTypePENDINGAPPROVAL)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.UpdateDelegationRequestOutput{}, nil
}

func (s *Service) GetDelegationRequest(ctx context.Context, a Account, in *iamapi.GetDelegationRequestInput) (*iamapi.GetDelegationRequestOutput, error) {
	var r delegationRecord
	err := s.view(ctx, func(tx kv.Tx) error {
		var err error
		r, err = visibleDelegation(tx, a, str(in.DelegationRequestId), true)
		return err
	})
	if err != nil {
		return nil, err
	}
	o := r.out()
	out := &iamapi.GetDelegationRequestOutput{DelegationRequest: &o}
	if in.DelegationPermissionCheck != nil && *in.DelegationPermissionCheck {
		out.PermissionCheckStatus, out.PermissionCheckResult = s.delegationPermissionCheck(ctx, a)
	}
	return out, nil
}

// delegationPermissionCheck is GetDelegationRequest's DelegationPermissionCheck: "whether
// the caller has sufficient permissions to cover the asks from this delegation request …
// ALLOWED: the caller has sufficient permissions to cover all the requested permissions.
// DENIED: the caller does not have sufficient permissions to cover all the requested
// permissions. UNSURE: it is not possible to determine … most likely for cases when the
// caller has permissions with conditions" (API_GetDelegationRequest.html).
//
// The asks are the request's policy template rendered with its parameters
// (temporary-delegation-policy-templates.html), and a template's content is registered with
// AWS at partner onboarding, outside the API: Gatehouse holds no template, so it cannot
// compare the caller's permissions with the asks statement by statement. It answers what
// holds whatever the template asks (a template grants at least one permission):
//   - ALLOWED when the caller may do anything: the account root (Gatehouse has no SCPs), or a
//     user or role with an unconditional Allow of "*" on "*", no Deny statement, and no
//     boundary or one that also allows everything without a Deny;
//   - DENIED when the caller may do nothing: no identity-based Allow at all, a boundary
//     without one, or an unconditional Deny of "*" on "*";
//   - UNSURE otherwise, and for a role session that is not DENIED (its session policy,
//     which may narrow the role's, is not the IAM service's to read).
//
// The check runs synchronously, so the status is COMPLETE, or FAILED when the caller's
// policies cannot be read.
func (s *Service) delegationPermissionCheck(ctx context.Context, a Account) (iamapi.PermissionCheckStatusType, iamapi.PermissionCheckResultType) {
	ps, err := s.PrincipalPolicies(ctx, a.Caller)
	if errors.Is(err, ErrNoSuchPrincipal) {
		return iamapi.PermissionCheckStatusTypeCOMPLETE, iamapi.PermissionCheckResultTypeUNSURE
	}
	if err != nil {
		return iamapi.PermissionCheckStatusTypeFAILED, ""
	}
	if ps.Kind == PrincipalRoot {
		return iamapi.PermissionCheckStatusTypeCOMPLETE, iamapi.PermissionCheckResultTypeALLOWED
	}
	docs := make([]string, len(ps.Policies))
	for i, p := range ps.Policies {
		docs[i] = p.Document
	}
	ident := coverage(docs)
	bnd := coverage(nil)
	bnd.allowAll, bnd.anyAllow = true, true // no boundary: it limits nothing
	if ps.Boundary != nil {
		bnd = coverage([]string{ps.Boundary.Document})
	}
	complete := iamapi.PermissionCheckStatusTypeCOMPLETE
	switch {
	case !ident.anyAllow || !bnd.anyAllow || ident.denyAll || bnd.denyAll:
		return complete, iamapi.PermissionCheckResultTypeDENIED
	case ident.allowAll && !ident.anyDeny && bnd.allowAll && !bnd.anyDeny && !strings.Contains(a.Caller, ":assumed-role/"):
		return complete, iamapi.PermissionCheckResultTypeALLOWED
	}
	return complete, iamapi.PermissionCheckResultTypeUNSURE
}

// policyCoverage is what a set of policy documents says about every possible request.
type policyCoverage struct {
	anyAllow bool // some statement allows something
	allowAll bool // an unconditional Allow of "*" on "*"
	anyDeny  bool // some statement denies something
	denyAll  bool // an unconditional Deny of "*" on "*"
}

func coverage(docs []string) policyCoverage {
	var c policyCoverage
	for _, doc := range docs {
		d, err := policy.ParseLenient([]byte(doc))
		if err != nil {
			continue // stored documents were validated when saved
		}
		for _, st := range d.Statements {
			all := !st.NotAction && !st.NotResource && len(st.Condition) == 0 &&
				slices.Contains(st.Action, "*") && slices.Contains(st.Resource, "*")
			if st.Effect == policy.Deny {
				c.anyDeny, c.denyAll = true, c.denyAll || all
				continue
			}
			c.anyAllow, c.allowAll = true, c.allowAll || all
		}
	}
	return c
}

// ListDelegationRequests lists the requests the caller's account made or owns, optionally
// only those whose OwnerId is the one given, in ID order.
func (s *Service) ListDelegationRequests(ctx context.Context, a Account, in *iamapi.ListDelegationRequestsInput) (*iamapi.ListDelegationRequestsOutput, error) {
	k := keysFor(a.ID)
	pg, err := newPager("ListDelegationRequests", k.base(), in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	out := &iamapi.ListDelegationRequestsOutput{DelegationRequests: []iamapi.DelegationRequest{}}
	err = s.view(ctx, func(tx kv.Tx) error {
		ps, tr, next, err := pg.list(tx, k.delegationIndexPrefix())
		if err != nil {
			return err
		}
		for _, p := range ps {
			var r delegationRecord
			found, err := getJSON(tx, delegationKey(p.Key[len(k.delegationIndexPrefix()):]), &r)
			if err != nil {
				return err
			}
			if found && (in.OwnerId == nil || *in.OwnerId == r.OwnerID) {
				out.DelegationRequests = append(out.DelegationRequests, r.out())
			}
		}
		out.IsTruncated, out.Marker = markerOut(tr, next)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// GetHumanReadableSummary summarises a delegation request (the only entity type IAM
// summarises): who asks, for which template and parameters, for how long, and where it
// stands. Only English is offered.
func (s *Service) GetHumanReadableSummary(ctx context.Context, a Account, in *iamapi.GetHumanReadableSummaryInput) (*iamapi.GetHumanReadableSummaryOutput, error) {
	arn := str(in.EntityArn)
	locale := str(in.Locale)
	if locale == "" {
		locale = "en"
	}
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || !strings.HasPrefix(parts[5], "delegation-request/") {
		return nil, invalidInput("Entity ARN %s is not supported: only delegation requests are summarised.", arn)
	}
	id := strings.TrimPrefix(parts[5], "delegation-request/")
	var r delegationRecord
	err := s.view(ctx, func(tx kv.Tx) error {
		var err error
		r, err = visibleDelegation(tx, a, id, true)
		return err
	})
	if err != nil {
		return nil, err
	}
	if !strings.HasPrefix(strings.ToLower(locale), "en") {
		return &iamapi.GetHumanReadableSummaryOutput{Locale: ptr(locale), SummaryState: iamapi.SummaryStateTypeNOTSUPPORTED}, nil
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Account %s (%s) requests temporary access", r.RequestorAccount, r.RequestorID)
	if r.OwnerAccount != "" {
		fmt.Fprintf(&b, " to account %s", r.OwnerAccount)
	}
	fmt.Fprintf(&b, " for %s, with the permissions of policy template %s", time.Duration(r.SessionDuration)*time.Second, r.Template)
	for i, p := range r.Parameters {
		sep := ", "
		if i == 0 {
			sep = " where "
		}
		fmt.Fprintf(&b, "%s%s is %s", sep, str(p.Name), strings.Join(p.Values, " or "))
	}
	fmt.Fprintf(&b, ". Purpose: %s. The request is %s.", r.Description, r.State)
	return &iamapi.GetHumanReadableSummaryOutput{SummaryContent: ptr(b.String()), Locale: ptr("en"), SummaryState: iamapi.SummaryStateTypeAVAILABLE}, nil
}

// resetDelegation is Reset's part for one delegation request the account can see: the
// requests it made go with it (they live outside the account's keys).
func (t *txn) resetDelegation(id string) error {
	var r delegationRecord
	found, err := getJSON(t.tx, delegationKey(id), &r)
	if err != nil || !found || r.RequestorAccount != t.acct.ID {
		return err
	}
	if r.OwnerAccount != "" {
		if err := t.tx.Delete(keysFor(r.OwnerAccount).delegationIndexPrefix() + id); err != nil {
			return err
		}
	}
	return t.tx.Delete(delegationKey(id))
}
