package iamapi_test

import (
	"encoding/json"
	"os"
	"testing"

	"gatehouse/internal/awserr"
	"gatehouse/internal/awsproto/iamapi"
)

// validationCase is one entry of testdata/validation.json: an operation's input (JSON
// with the Go field names) and the error AWS answers, or none.
type validationCase struct {
	Note    string          `json:"note"`
	Op      string          `json:"op"`
	Input   json.RawMessage `json:"input"`
	Code    string          `json:"code"`
	Message string          `json:"message"`
	Status  int             `json:"status"`
}

func TestValidate(t *testing.T) {
	raw, err := os.ReadFile("testdata/validation.json")
	if err != nil {
		t.Fatal(err)
	}
	var cases []validationCase
	if err := json.Unmarshal(raw, &cases); err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		t.Run(c.Note, func(t *testing.T) {
			op, ok := iamapi.Operations[c.Op]
			if !ok {
				t.Fatalf("no operation %s", c.Op)
			}
			in := op.NewInput()
			if err := json.Unmarshal(c.Input, in); err != nil {
				t.Fatal(err)
			}
			err := in.Validate()
			if c.Code == "" {
				if err != nil {
					t.Fatalf("got %v, want no error", err)
				}
				return
			}
			ae, ok := awserr.As(err)
			if !ok {
				t.Fatalf("got %v, want *awserr.Error %s", err, c.Code)
			}
			if ae.Code != c.Code || ae.Message != c.Message || ae.Status != c.Status {
				t.Errorf("got %d %s %q\nwant %d %s %q", ae.Status, ae.Code, ae.Message, c.Status, c.Code, c.Message)
			}
		})
	}
}

func TestErrorConstructors(t *testing.T) {
	for _, c := range []struct {
		err      *awserr.Error
		code     string
		status   int
		receiver bool
	}{
		{iamapi.NoSuchEntity("The user with name %s cannot be found.", "bob"), "NoSuchEntity", 404, false},
		{iamapi.EntityAlreadyExists("User with name bob already exists."), "EntityAlreadyExists", 409, false},
		{iamapi.LimitExceeded("x"), "LimitExceeded", 409, false},
		{iamapi.DeleteConflict("x"), "DeleteConflict", 409, false},
		{iamapi.MalformedPolicyDocument("x"), "MalformedPolicyDocument", 400, false},
		{iamapi.InvalidInput("x"), "InvalidInput", 400, false},
		{iamapi.UnmodifiableEntity("x"), "UnmodifiableEntity", 400, false},
		{iamapi.PolicyNotAttachable("x"), "PolicyNotAttachable", 400, false},
		{iamapi.ServiceFailure("x"), "ServiceFailure", 500, true},
		{iamapi.NotSupportedService("x"), "NotSupportedService", 404, false},
	} {
		if c.err.Code != c.code || c.err.Status != c.status || c.err.Receiver != c.receiver {
			t.Errorf("got %s %d receiver=%v, want %s %d receiver=%v", c.err.Code, c.err.Status, c.err.Receiver, c.code, c.status, c.receiver)
		}
	}
	if got := iamapi.NoSuchEntity("The user with name %s cannot be found.", "bob").Message; got != "The user with name bob cannot be found." {
		t.Errorf("got %q", got)
	}
}
