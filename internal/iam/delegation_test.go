package iam

import (
	"strings"
	"testing"
)

// A partner account asks; the customer associates, accepts and sends the token. Every step
// checks who may take it and in which state.
func TestDelegationRequestLifecycle(t *testing.T) {
	env := newEnv(t)
	partnerAcct := "210987654321"
	if _, err := env.svc.Bootstrap(ctx(), partnerAcct); err != nil {
		t.Fatal(err)
	}
	partner := Account{ID: partnerAcct, Partition: "aws", Caller: "arn:aws:iam::" + partnerAcct + ":role/partner"}
	alice := Account{ID: testAccount, Partition: "aws", Caller: "arn:aws:iam::" + testAccount + ":user/alice"}
	other := Account{ID: "555566667777", Partition: "aws", Caller: "arn:aws:iam::555566667777:root"}
	call := func(a Account, op, in string) (any, error) { return env.call(a, op, in) }
	mustCall := func(a Account, op, in string) any {
		t.Helper()
		out, err := call(a, op, in)
		if err != nil {
			t.Fatalf("%s: %v", op, err)
		}
		return out
	}

	create := `{"Description":"read the logs bucket","RequestorWorkflowId":"wf-000000000001","NotificationChannel":"arn:aws:sns:us-east-1:` + partnerAcct + `:dr",
		"Permissions":{"PolicyTemplateArn":"arn:aws:iam::aws:delegation-template/S3ReadOnly","Parameters":[{"Name":"bucket","Values":["logs"],"Type":"string"}]},"OnlySendByOwner":true,"SessionDuration":3600}`
	out := mustCall(partner, "CreateDelegationRequest", create)
	id := pick(t, out, "DelegationRequestId")
	if link := pick(t, out, "ConsoleDeepLink"); !strings.HasSuffix(link, id) {
		t.Fatalf("ConsoleDeepLink %q does not name %s", link, id)
	}
	_, err := call(partner, "CreateDelegationRequest", create)
	wantErr(t, err, "EntityAlreadyExists", "A delegation request with requestor workflow ID wf-000000000001 already exists.")

	_, err = call(partner, "AcceptDelegationRequest", `{"DelegationRequestId":"`+id+`"}`)
	wantErr(t, err, "InvalidInput", "")
	_, err = call(alice, "AcceptDelegationRequest", `{"DelegationRequestId":"`+id+`"}`)
	wantErr(t, err, "NoSuchEntity", "") // not yet the owner's
	mustCall(alice, "AssociateDelegationRequest", `{"DelegationRequestId":"`+id+`"}`)
	_, err = call(other, "AssociateDelegationRequest", `{"DelegationRequestId":"`+id+`"}`)
	wantErr(t, err, "NoSuchEntity", "")
	_, err = call(alice, "SendDelegationToken", `{"DelegationRequestId":"`+id+`"}`)
	wantErr(t, err, "InvalidInput", "")
	mustCall(alice, "UpdateDelegationRequest", `{"DelegationRequestId":"`+id+`","Notes":"for the platform lead"}`)
	mustCall(root(), "AcceptDelegationRequest", `{"DelegationRequestId":"`+id+`"}`)
	_, err = call(root(), "SendDelegationToken", `{"DelegationRequestId":"`+id+`"}`)
	wantErr(t, err, "InvalidInput", "") // OnlySendByOwner: alice owns it
	mustCall(alice, "SendDelegationToken", `{"DelegationRequestId":"`+id+`"}`)
	_, err = call(alice, "RejectDelegationRequest", `{"DelegationRequestId":"`+id+`"}`)
	wantErr(t, err, "InvalidInput", "")

	got := mustCall(partner, "GetDelegationRequest", `{"DelegationRequestId":"`+id+`","DelegationPermissionCheck":true}`)
	if err := subset(got, `{"DelegationRequest":{"State":"FINALIZED","OwnerAccountId":"`+testAccount+`","OwnerId":"`+alice.Caller+`","ApproverId":"arn:aws:iam::`+testAccount+`:root","Notes":"for the platform lead","SessionDuration":3600},"PermissionCheckStatus":"COMPLETE"}`); err != nil {
		t.Fatal(err)
	}
	for _, a := range []Account{partner, alice} {
		if err := subset(mustCall(a, "ListDelegationRequests", `{}`), `{"DelegationRequests":[{"DelegationRequestId":"`+id+`"}]}`); err != nil {
			t.Fatal(err)
		}
	}
	if err := subset(mustCall(other, "ListDelegationRequests", `{}`), `{"DelegationRequests":[]}`); err != nil {
		t.Fatal(err)
	}
	sum := mustCall(alice, "GetHumanReadableSummary", `{"EntityArn":"arn:aws:iam::`+partnerAcct+`:delegation-request/`+id+`"}`)
	if c := pick(t, sum, "SummaryContent"); !strings.Contains(c, "bucket is logs") || !strings.Contains(c, "FINALIZED") {
		t.Fatalf("summary: %s", c)
	}

	// A second request, rejected after acceptance but before the token.
	out = mustCall(partner, "CreateDelegationRequest", strings.Replace(strings.Replace(create, "wf-000000000001", "wf-000000000002", 1), `"Description"`, `"OwnerAccountId":"`+testAccount+`","Description"`, 1))
	id2 := pick(t, out, "DelegationRequestId")
	mustCall(alice, "AcceptDelegationRequest", `{"DelegationRequestId":"`+id2+`"}`)
	mustCall(alice, "RejectDelegationRequest", `{"DelegationRequestId":"`+id2+`","Notes":"not now"}`)
	if err := subset(mustCall(alice, "GetDelegationRequest", `{"DelegationRequestId":"`+id2+`"}`), `{"DelegationRequest":{"State":"REJECTED","RejectionReason":"not now"}}`); err != nil {
		t.Fatal(err)
	}
}

// Reset of the requestor's account takes its requests with it, from both accounts' views.
func TestDelegationRequestReset(t *testing.T) {
	env := newEnv(t)
	partnerAcct := "210987654321"
	if _, err := env.svc.Bootstrap(ctx(), partnerAcct); err != nil {
		t.Fatal(err)
	}
	partner := Account{ID: partnerAcct, Partition: "aws", Caller: "arn:aws:iam::" + partnerAcct + ":root"}
	out, err := env.call(partner, "CreateDelegationRequest", `{"Description":"d","RequestorWorkflowId":"wf-000000000001","NotificationChannel":"arn:aws:sns:us-east-1:`+partnerAcct+`:dr",
		"OwnerAccountId":"`+testAccount+`","SessionDuration":900,"Permissions":{"PolicyTemplateArn":"arn:aws:iam::aws:delegation-template/T"}}`)
	if err != nil {
		t.Fatal(err)
	}
	id := pick(t, out, "DelegationRequestId")
	if err := env.svc.Reset(ctx(), partnerAcct); err != nil {
		t.Fatal(err)
	}
	_, err = env.call(root(), "GetDelegationRequest", `{"DelegationRequestId":"`+id+`"}`)
	wantErr(t, err, "NoSuchEntity", "")
	if err := subset(env.must("ListDelegationRequests", `{}`), `{"DelegationRequests":[]}`); err != nil {
		t.Fatal(err)
	}
}
