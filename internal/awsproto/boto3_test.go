package awsproto_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"gatehouse/internal/awsproto"
	"gatehouse/internal/awsproto/ec2api"
	"gatehouse/internal/awsproto/iamapi"
	"gatehouse/internal/awsproto/model"
	"gatehouse/internal/awsproto/stsapi"
)

// boto3Case is one call boto3 (botocore: the AWS CLI's engine) makes against this package:
// its params (the model's member names, as boto3 takes them) must decode to the same
// values, and the reply must come back from boto3's parser as encoded.
type boto3Case struct {
	note     string
	svc      *awsproto.Service
	op       string // boto3's snake_case method
	params   map[string]any
	ignore   []string // members botocore fills in itself (idempotency tokens)
	reply    any
	replyErr error
	wantErr  map[string]any
	// wantResponse, when set, is what boto3 should return instead of the reply as encoded
	// (boto3 decodes IAM's URL-encoded policy documents into objects).
	wantResponse map[string]any
}

// queueAWS answers a sequence of calls, in order, across the three services.
type queueAWS struct {
	mu    sync.Mutex
	cases []boto3Case
	next  int
	got   []model.Input
}

func (q *queueAWS) handler(svc *awsproto.Service) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q.mu.Lock()
		defer q.mu.Unlock()
		if err := r.ParseForm(); err != nil {
			awsproto.WriteError(w, svc, err, requestID)
			return
		}
		op, in, err := svc.DecodeRequest(r.Form)
		q.got = append(q.got, in)
		c := q.cases[q.next]
		q.next++
		switch {
		case err != nil:
			awsproto.WriteError(w, svc, err, requestID)
		case c.replyErr != nil:
			awsproto.WriteError(w, svc, c.replyErr, requestID)
		default:
			_ = svc.WriteResponse(w, op, c.reply, requestID)
		}
	})
}

func TestBoto3RoundTrip(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Python")
	}
	if err := exec.Command("python3", "-c", "import boto3").Run(); err != nil {
		t.Skipf("python3 with boto3 not available: %v", err)
	}
	u := sampleUser("alice")
	cases := []boto3Case{
		{note: "IAM CreateUser with tags", svc: awsproto.IAM, op: "create_user",
			params: map[string]any{"UserName": "alice", "Path": "/eng/", "Tags": []any{map[string]any{"Key": "team", "Value": "blue"}}},
			reply:  &iamapi.CreateUserOutput{User: &u}},
		{note: "IAM ListUsers pagination", svc: awsproto.IAM, op: "list_users",
			params: map[string]any{"PathPrefix": "/", "Marker": "m1", "MaxItems": 2},
			reply:  &iamapi.ListUsersOutput{Users: []iamapi.User{u, sampleUser("bob")}, IsTruncated: ptr(true), Marker: ptr("m2")}},
		{note: "IAM ListUsers empty", svc: awsproto.IAM, op: "list_users", params: map[string]any{},
			reply: &iamapi.ListUsersOutput{IsTruncated: ptr(false)}},
		{note: "IAM GetAccountSummary map", svc: awsproto.IAM, op: "get_account_summary", params: map[string]any{},
			reply: &iamapi.GetAccountSummaryOutput{SummaryMap: map[string]int32{"Users": 5, "Policies": 0}}},
		{note: "IAM DeleteUser empty output", svc: awsproto.IAM, op: "delete_user", params: map[string]any{"UserName": "alice"}},
		{note: "IAM GetAccountAuthorizationDetails enum list filter", svc: awsproto.IAM, op: "get_account_authorization_details",
			params: map[string]any{"Filter": []any{"Role", "AWSManagedPolicy"}},
			reply: &iamapi.GetAccountAuthorizationDetailsOutput{IsTruncated: ptr(false), RoleDetailList: []iamapi.RoleDetail{{RoleName: ptr("role_1"),
				AssumeRolePolicyDocument: ptr("%7B%22Version%22%3A%222012-10-17%22%7D"),
				Tags:                     []iamapi.Tag{{Key: ptr("a"), Value: ptr("b")}}}}},
			wantResponse: map[string]any{"IsTruncated": false, "RoleDetailList": []any{map[string]any{"RoleName": "role_1",
				"AssumeRolePolicyDocument": map[string]any{"Version": "2012-10-17"}, "Tags": []any{map[string]any{"Key": "a", "Value": "b"}}}}}},
		{note: "IAM NoSuchEntity", svc: awsproto.IAM, op: "get_user", params: map[string]any{"UserName": "bob"},
			replyErr: iamapi.NoSuchEntity("The user with name bob cannot be found."),
			wantErr:  map[string]any{"Code": "NoSuchEntity", "Message": "The user with name bob cannot be found."}},
		{note: "IAM ValidationError", svc: awsproto.IAM, op: "list_users", params: map[string]any{"MaxItems": 5000},
			wantErr: map[string]any{"Code": "ValidationError", "Message": "1 validation error detected: Value at 'maxItems' failed to satisfy constraint: Member must have value less than or equal to 1000"}},
		{note: "STS AssumeRole", svc: awsproto.STS, op: "assume_role",
			params: map[string]any{"RoleArn": "arn:aws:iam::123456789012:role/role_1", "RoleSessionName": "sess", "DurationSeconds": 900,
				"PolicyArns": []any{map[string]any{"arn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}}, "TransitiveTagKeys": []any{"k"},
				"Tags": []any{map[string]any{"Key": "k", "Value": "v"}}},
			reply: &stsapi.AssumeRoleOutput{Credentials: &stsapi.Credentials{AccessKeyId: "ASIA1", SecretAccessKey: "s", SessionToken: "t", Expiration: t1},
				AssumedRoleUser: &stsapi.AssumedRoleUser{AssumedRoleId: "AROA1:sess", Arn: "arn:aws:sts::123456789012:assumed-role/role_1/sess"}}},
		{note: "STS GetCallerIdentity", svc: awsproto.STS, op: "get_caller_identity", params: map[string]any{},
			reply: &stsapi.GetCallerIdentityOutput{Account: ptr("123456789012"), Arn: ptr("arn:aws:iam::123456789012:user/alice"), UserId: ptr("AIDA1")}},
		{note: "EC2 RunInstances", svc: awsproto.EC2, op: "run_instances", ignore: []string{"ClientToken"},
			params: map[string]any{"ImageId": "ami-1", "MinCount": 1, "MaxCount": 1, "IamInstanceProfile": map[string]any{"Name": "role_1"},
				"TagSpecifications": []any{map[string]any{"ResourceType": "instance", "Tags": []any{map[string]any{"Key": "Name", "Value": "web"}}}},
				"MetadataOptions":   map[string]any{"HttpTokens": "required", "HttpPutResponseHopLimit": 1}},
			reply: ptr(sampleReservation())},
		{note: "EC2 DescribeInstances filters", svc: awsproto.EC2, op: "describe_instances",
			params: map[string]any{"Filters": []any{map[string]any{"Name": "tag:team", "Values": []any{"blue", "red"}}}, "MaxResults": 5},
			reply:  &ec2api.DescribeInstancesOutput{Reservations: []ec2api.Reservation{sampleReservation()}, NextToken: ptr("n")}},
		{note: "EC2 error", svc: awsproto.EC2, op: "terminate_instances", params: map[string]any{"InstanceIds": []any{"i-404"}},
			replyErr: ec2api.InvalidInstanceIDNotFound("The instance ID 'i-404' does not exist"),
			wantErr:  map[string]any{"Code": "InvalidInstanceID.NotFound", "Message": "The instance ID 'i-404' does not exist"}},
	}
	q := &queueAWS{cases: cases}
	endpoints := map[*awsproto.Service]string{}
	for _, svc := range []*awsproto.Service{awsproto.IAM, awsproto.STS, awsproto.EC2} {
		srv := httptest.NewServer(q.handler(svc))
		t.Cleanup(srv.Close)
		endpoints[svc] = srv.URL
	}
	var calls []map[string]any
	for _, c := range cases {
		calls = append(calls, map[string]any{"service": c.svc.Name, "endpoint": endpoints[c.svc], "op": c.op, "params": c.params})
	}
	stdin, _ := json.Marshal(map[string]any{"calls": calls})
	cmd := exec.Command("python3", "testdata/boto3_calls.py")
	cmd.Stdin = bytes.NewReader(stdin)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.Output()
	if err != nil {
		t.Fatalf("boto3: %v\n%s", err, stderr.String())
	}
	var results []map[string]any
	if err := json.Unmarshal(stdout, &results); err != nil {
		t.Fatalf("%v: %s", err, stdout)
	}
	if len(results) != len(cases) || len(q.got) != len(cases) {
		t.Fatalf("got %d results and %d requests, want %d", len(results), len(q.got), len(cases))
	}
	for i, c := range cases {
		t.Run(c.note, func(t *testing.T) {
			if q.got[i] != nil {
				decoded := asJSON(normalize(reflect.ValueOf(q.got[i])))
				for _, k := range c.ignore {
					delete(decoded.(map[string]any), k)
				}
				// Go field names capitalise members the model spells in lower case (STS's
				// PolicyDescriptorType.arn); the wire names were matched exactly to decode at all.
				if diff := cmp.Diff(lowerKeys(prune(asJSON(c.params))), lowerKeys(prune(decoded))); diff != "" {
					t.Errorf("decoded input (-boto3 params +decoded):\n%s", diff)
				}
			}
			if c.wantErr != nil {
				if diff := cmp.Diff(c.wantErr, results[i]["error"]); diff != "" {
					t.Errorf("error (-want +boto3):\n%s", diff)
				}
				return
			}
			want := asJSON(normalize(reflect.ValueOf(c.reply)))
			if c.wantResponse != nil {
				want = asJSON(c.wantResponse)
			}
			if diff := cmp.Diff(prune(want), prune(results[i]["response"])); diff != "" {
				t.Errorf("response (-encoded +boto3 parsed):\n%s", diff)
			}
		})
	}
}

// asJSON round-trips v through JSON so both sides have JSON's types.
func asJSON(v any) any {
	b, _ := json.Marshal(v)
	var out any
	_ = json.Unmarshal(b, &out)
	if out == nil {
		out = map[string]any{}
	}
	return out
}

// lowerKeys lower-cases the first letter of every object key.
func lowerKeys(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, e := range x {
			out[strings.ToLower(k[:1])+k[1:]] = lowerKeys(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = lowerKeys(e)
		}
		return out
	}
	return v
}

// prune drops empty lists and objects: boto3 shows an empty required list as [], the
// normalized tree leaves it out.
func prune(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, e := range x {
			if p := prune(e); p != nil {
				out[k] = p
			}
		}
		if len(out) == 0 {
			return nil
		}
		return out
	case []any:
		if len(x) == 0 {
			return nil
		}
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = prune(e)
		}
		return out
	}
	return v
}
