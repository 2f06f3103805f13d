package awsproto_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"
	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"

	"gatehouse/internal/awsproto"
	"gatehouse/internal/awsproto/ec2api"
	"gatehouse/internal/awsproto/iamapi"
	"gatehouse/internal/awsproto/model"
	"gatehouse/internal/awsproto/stsapi"
)

// fakeAWS is a server made of this package alone: it decodes what the SDK sends with
// DecodeRequest and answers with WriteResponse or WriteError.
type fakeAWS struct {
	svc      *awsproto.Service
	mu       sync.Mutex
	gotOp    string
	gotIn    model.Input
	gotErr   error
	reply    any
	replyErr error
}

const requestID = "0f6c1d5e-8a7b-4c3d-9e2f-1a2b3c4d5e6f"

func (f *fakeAWS) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := r.ParseForm(); err != nil {
		awsproto.WriteError(w, f.svc, err, requestID)
		return
	}
	op, in, err := f.svc.DecodeRequest(r.Form)
	f.gotOp, f.gotIn, f.gotErr = op.Name, in, err
	if err != nil {
		awsproto.WriteError(w, f.svc, err, requestID)
		return
	}
	if f.replyErr != nil {
		awsproto.WriteError(w, f.svc, f.replyErr, requestID)
		return
	}
	_ = f.svc.WriteResponse(w, op, f.reply, requestID)
}

type clients struct {
	iam *iam.Client
	sts *sts.Client
	ec2 *ec2.Client
}

func newServer(t *testing.T, svc *awsproto.Service) (*fakeAWS, *httptest.Server) {
	t.Helper()
	f := &fakeAWS{svc: svc}
	srv := httptest.NewServer(f) // listens on 127.0.0.1
	t.Cleanup(srv.Close)
	return f, srv
}

func sdkConfig() aws.Config {
	return aws.Config{
		Region:           "us-east-1",
		Credentials:      credentials.NewStaticCredentialsProvider("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", ""),
		RetryMaxAttempts: 1,
	}
}

// sdkCase is one call made with aws-sdk-go-v2 against the fake: what the SDK sends must
// decode to the same values it was given, and what the fake answers must parse back to the
// same values it encoded.
type sdkCase struct {
	name     string
	svc      *awsproto.Service
	reply    any
	replyErr error
	call     func(ctx context.Context, c clients) (in, out any, err error)
	wantCode string
	wantMsg  string
}

var (
	t0 = time.Date(2026, 11, 30, 9, 15, 2, 0, time.UTC)
	t1 = time.Date(2027, 1, 2, 3, 4, 5, 0, time.UTC)
)

func ptr[T any](v T) *T { return &v }

func TestSDKRoundTrip(t *testing.T) {
	servers := map[*awsproto.Service]*fakeAWS{}
	var c clients
	for _, svc := range []*awsproto.Service{awsproto.IAM, awsproto.STS, awsproto.EC2} {
		f, srv := newServer(t, svc)
		servers[svc] = f
		switch svc {
		case awsproto.IAM:
			c.iam = iam.NewFromConfig(sdkConfig(), func(o *iam.Options) { o.BaseEndpoint = aws.String(srv.URL) })
		case awsproto.STS:
			c.sts = sts.NewFromConfig(sdkConfig(), func(o *sts.Options) { o.BaseEndpoint = aws.String(srv.URL) })
		case awsproto.EC2:
			c.ec2 = ec2.NewFromConfig(sdkConfig(), func(o *ec2.Options) { o.BaseEndpoint = aws.String(srv.URL) })
		}
	}
	for _, tc := range sdkCases() {
		t.Run(tc.name, func(t *testing.T) {
			f := servers[tc.svc]
			f.mu.Lock()
			f.reply, f.replyErr, f.gotIn, f.gotErr = tc.reply, tc.replyErr, nil, nil
			f.mu.Unlock()

			sdkIn, sdkOut, err := tc.call(context.Background(), c)

			f.mu.Lock()
			gotIn, decodeErr := f.gotIn, f.gotErr
			f.mu.Unlock()
			if tc.wantCode != "" {
				var apiErr smithy.APIError
				if !errors.As(err, &apiErr) {
					t.Fatalf("got %v, want API error %s", err, tc.wantCode)
				}
				if apiErr.ErrorCode() != tc.wantCode || apiErr.ErrorMessage() != tc.wantMsg {
					t.Fatalf("got %s %q, want %s %q", apiErr.ErrorCode(), apiErr.ErrorMessage(), tc.wantCode, tc.wantMsg)
				}
			} else if err != nil {
				t.Fatalf("SDK call: %v (server decode error: %v)", err, decodeErr)
			}
			if decodeErr == nil {
				if diff := cmp.Diff(normalize(reflect.ValueOf(sdkIn)), normalize(reflect.ValueOf(gotIn))); diff != "" {
					t.Errorf("decoded input differs from what the SDK was given (-sdk +decoded):\n%s", diff)
				}
			}
			if tc.wantCode == "" {
				if diff := cmp.Diff(normalize(reflect.ValueOf(tc.reply)), normalize(reflect.ValueOf(sdkOut))); diff != "" {
					t.Errorf("SDK parsed output differs from what was encoded (-encoded +parsed):\n%s", diff)
				}
			}
		})
	}
}

// normalize turns our generated values and the SDK's into the same tree: structs become
// maps of their exported fields by name (both sides use the model's member names), nil
// pointers and empty lists, maps and enums are absent, numbers are int64 or float64,
// enums plain strings, times RFC 3339 UTC. The SDK's ResultMetadata is dropped.
func normalize(v reflect.Value) any {
	switch v.Kind() {
	case reflect.Invalid:
		return nil
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return nil
		}
		return normalize(v.Elem())
	case reflect.Struct:
		if t, ok := v.Interface().(time.Time); ok {
			return t.UTC().Format(time.RFC3339Nano)
		}
		m := map[string]any{}
		for i := 0; i < v.NumField(); i++ {
			sf := v.Type().Field(i)
			if !sf.IsExported() || sf.Name == "ResultMetadata" {
				continue
			}
			if n := normalize(v.Field(i)); n != nil {
				m[sf.Name] = n
			}
		}
		if len(m) == 0 {
			return nil
		}
		return m
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			return string(v.Bytes())
		}
		if v.Len() == 0 {
			return nil
		}
		out := make([]any, v.Len())
		for i := range out {
			out[i] = normalize(v.Index(i))
		}
		return out
	case reflect.Map:
		if v.Len() == 0 {
			return nil
		}
		out := map[string]any{}
		keys := v.MapKeys()
		sort.Slice(keys, func(i, j int) bool { return keys[i].String() < keys[j].String() })
		for _, k := range keys {
			out[k.String()] = normalize(v.MapIndex(k))
		}
		return out
	case reflect.String:
		if v.Type().PkgPath() != "" && v.Len() == 0 {
			return nil // an unset enum
		}
		return v.String()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return v.Int()
	case reflect.Float32, reflect.Float64:
		return v.Float()
	case reflect.Bool:
		return v.Bool()
	}
	return v.Interface()
}

func sampleUser(name string) iamapi.User {
	return iamapi.User{
		Path: "/eng/", UserName: name, UserId: "AIDAEXAMPLE" + strings.ToUpper(name), CreateDate: t0,
		Arn:              "arn:aws:iam::123456789012:user/eng/" + name,
		PasswordLastUsed: ptr(t1),
		PermissionsBoundary: &iamapi.AttachedPermissionsBoundary{
			PermissionsBoundaryType: iamapi.PermissionsBoundaryAttachmentTypePermissionsBoundaryPolicy,
			PermissionsBoundaryArn:  ptr("arn:aws:iam::aws:policy/PowerUserAccess"),
		},
		Tags: []iamapi.Tag{{Key: ptr("team"), Value: ptr("blue")}, {Key: ptr("note"), Value: ptr(`a&b <c> "d" 'e'` + "\r\n\tend")}},
	}
}

func sdkCases() []sdkCase {
	return []sdkCase{
		{
			name:  "IAM CreateUser with tags, boundary, timestamps",
			svc:   awsproto.IAM,
			reply: &iamapi.CreateUserOutput{User: ptr(sampleUser("alice"))},
			call: func(ctx context.Context, c clients) (any, any, error) {
				in := &iam.CreateUserInput{UserName: aws.String("alice"), Path: aws.String("/eng/"),
					PermissionsBoundary: aws.String("arn:aws:iam::aws:policy/PowerUserAccess"),
					Tags:                []iamtypes.Tag{{Key: aws.String("team"), Value: aws.String("blue")}, {Key: aws.String("k2"), Value: aws.String("")}}}
				out, err := c.iam.CreateUser(ctx, in)
				return in, out, err
			},
		},
		{
			name: "IAM ListUsers pagination fields",
			svc:  awsproto.IAM,
			reply: &iamapi.ListUsersOutput{Users: []iamapi.User{sampleUser("a"), sampleUser("b")},
				IsTruncated: ptr(true), Marker: ptr("bWFya2VyLTI=")},
			call: func(ctx context.Context, c clients) (any, any, error) {
				in := &iam.ListUsersInput{PathPrefix: aws.String("/eng/"), Marker: aws.String("bWFya2VyLTE="), MaxItems: aws.Int32(2)}
				out, err := c.iam.ListUsers(ctx, in)
				return in, out, err
			},
		},
		{
			name:  "IAM ListUsers empty: required list written as <Users/>",
			svc:   awsproto.IAM,
			reply: &iamapi.ListUsersOutput{IsTruncated: ptr(false)},
			call: func(ctx context.Context, c clients) (any, any, error) {
				in := &iam.ListUsersInput{}
				out, err := c.iam.ListUsers(ctx, in)
				if err == nil && out.Users == nil {
					return in, out, errors.New("SDK saw no Users element")
				}
				return in, out, err
			},
		},
		{
			name:  "IAM GetAccountSummary map",
			svc:   awsproto.IAM,
			reply: &iamapi.GetAccountSummaryOutput{SummaryMap: map[string]int32{"Users": 5, "Groups": 2, "AccessKeysPerUserQuota": 2}},
			call: func(ctx context.Context, c clients) (any, any, error) {
				in := &iam.GetAccountSummaryInput{}
				out, err := c.iam.GetAccountSummary(ctx, in)
				return in, out, err
			},
		},
		{
			name:  "IAM DeleteUser empty output",
			svc:   awsproto.IAM,
			reply: nil,
			call: func(ctx context.Context, c clients) (any, any, error) {
				in := &iam.DeleteUserInput{UserName: aws.String("alice")}
				_, err := c.iam.DeleteUser(ctx, in)
				return in, nil, err
			},
		},
		{
			name: "IAM CreateAccessKey enum and secret",
			svc:  awsproto.IAM,
			reply: &iamapi.CreateAccessKeyOutput{AccessKey: iamapi.AccessKey{UserName: "alice", AccessKeyId: "AKIAEXAMPLEEXAMPLE12",
				Status: iamapi.StatusTypeActive, SecretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", CreateDate: ptr(t0)}},
			call: func(ctx context.Context, c clients) (any, any, error) {
				in := &iam.CreateAccessKeyInput{UserName: aws.String("alice")}
				out, err := c.iam.CreateAccessKey(ctx, in)
				return in, out, err
			},
		},
		{
			name:  "IAM UpdateAccessKey enum input",
			svc:   awsproto.IAM,
			reply: nil,
			call: func(ctx context.Context, c clients) (any, any, error) {
				in := &iam.UpdateAccessKeyInput{UserName: aws.String("alice"), AccessKeyId: aws.String("AKIAEXAMPLEEXAMPLE12"), Status: iamtypes.StatusTypeInactive}
				_, err := c.iam.UpdateAccessKey(ctx, in)
				return in, nil, err
			},
		},
		{
			name: "IAM GetAccountAuthorizationDetails nested lists",
			svc:  awsproto.IAM,
			reply: &iamapi.GetAccountAuthorizationDetailsOutput{
				UserDetailList: []iamapi.UserDetail{{UserName: ptr("alice"), UserId: ptr("AIDA1"), Arn: ptr("arn:aws:iam::123456789012:user/alice"), Path: ptr("/"),
					CreateDate: ptr(t0), GroupList: []string{"admins", "devs"},
					UserPolicyList:          []iamapi.PolicyDetail{{PolicyName: ptr("s3"), PolicyDocument: ptr("%7B%22Version%22%3A%222012-10-17%22%7D")}},
					AttachedManagedPolicies: []iamapi.AttachedPolicy{{PolicyName: ptr("AmazonEC2FullAccess"), PolicyArn: ptr("arn:aws:iam::aws:policy/AmazonEC2FullAccess")}}}},
				RoleDetailList: []iamapi.RoleDetail{{RoleName: ptr("role_1"), RoleId: ptr("AROA1"), Arn: ptr("arn:aws:iam::123456789012:role/role_1"),
					InstanceProfileList: []iamapi.InstanceProfile{{InstanceProfileName: "role_1", InstanceProfileId: "AIPA1", Path: "/", CreateDate: t0,
						Arn:   "arn:aws:iam::123456789012:instance-profile/role_1",
						Roles: []iamapi.Role{{RoleName: "role_1", RoleId: "AROA1", Path: "/", CreateDate: t0, Arn: "arn:aws:iam::123456789012:role/role_1", MaxSessionDuration: ptr(int32(3600))}}}},
					RoleLastUsed: &iamapi.RoleLastUsed{LastUsedDate: ptr(t1), Region: ptr("us-east-1")}}},
				Policies: []iamapi.ManagedPolicyDetail{{PolicyName: ptr("p"), DefaultVersionId: ptr("v2"), AttachmentCount: ptr(int32(3)), IsAttachable: ptr(true),
					PolicyVersionList: []iamapi.PolicyVersion{{VersionId: ptr("v2"), IsDefaultVersion: ptr(true), CreateDate: ptr(t1), Document: ptr("%7B%7D")}}}},
				IsTruncated: ptr(false),
			},
			call: func(ctx context.Context, c clients) (any, any, error) {
				in := &iam.GetAccountAuthorizationDetailsInput{Filter: []iamtypes.EntityType{iamtypes.EntityTypeUser, iamtypes.EntityTypeRole}, MaxItems: aws.Int32(100)}
				out, err := c.iam.GetAccountAuthorizationDetails(ctx, in)
				return in, out, err
			},
		},
		{
			name: "IAM SimulatePrincipalPolicy context entries and decision map",
			svc:  awsproto.IAM,
			reply: &iamapi.SimulatePrincipalPolicyOutput{IsTruncated: ptr(false), EvaluationResults: []iamapi.EvaluationResult{{
				EvalActionName: "s3:GetObject", EvalResourceName: ptr("arn:aws:s3:::b/k"), EvalDecision: iamapi.PolicyEvaluationDecisionTypeAllowed,
				EvalDecisionDetails:  map[string]iamapi.PolicyEvaluationDecisionType{"IAM Policy": iamapi.PolicyEvaluationDecisionTypeAllowed, "SCP": iamapi.PolicyEvaluationDecisionTypeImplicitDeny},
				MatchedStatements:    []iamapi.Statement{{SourcePolicyId: ptr("p1"), StartPosition: &iamapi.Position{Line: ptr(int32(1)), Column: ptr(int32(2))}}},
				MissingContextValues: []string{"aws:SourceIp"}}}},
			call: func(ctx context.Context, c clients) (any, any, error) {
				in := &iam.SimulatePrincipalPolicyInput{PolicySourceArn: aws.String("arn:aws:iam::123456789012:user/alice"),
					ActionNames: []string{"s3:GetObject", "s3:PutObject"}, ResourceArns: []string{"arn:aws:s3:::b/k"},
					ContextEntries: []iamtypes.ContextEntry{{ContextKeyName: aws.String("aws:SourceIp"), ContextKeyType: iamtypes.ContextKeyTypeEnumIp,
						ContextKeyValues: []string{"203.0.113.5", "198.51.100.1"}}}}
				out, err := c.iam.SimulatePrincipalPolicy(ctx, in)
				return in, out, err
			},
		},
		{
			name:     "IAM NoSuchEntity error",
			svc:      awsproto.IAM,
			replyErr: iamapi.NoSuchEntity("The user with name %s cannot be found.", "bob"),
			call: func(ctx context.Context, c clients) (any, any, error) {
				in := &iam.GetUserInput{UserName: aws.String("bob")}
				out, err := c.iam.GetUser(ctx, in)
				var nse *iamtypes.NoSuchEntityException
				if err != nil && !errors.As(err, &nse) {
					return in, out, errors.New("SDK did not map NoSuchEntity to its typed error: " + err.Error())
				}
				return in, out, err
			},
			wantCode: "NoSuchEntity", wantMsg: "The user with name bob cannot be found.",
		},
		{
			name: "IAM ValidationError from the model's range",
			svc:  awsproto.IAM,
			call: func(ctx context.Context, c clients) (any, any, error) {
				in := &iam.ListUsersInput{MaxItems: aws.Int32(1001)}
				out, err := c.iam.ListUsers(ctx, in)
				return in, out, err
			},
			wantCode: "ValidationError",
			wantMsg:  "1 validation error detected: Value at 'maxItems' failed to satisfy constraint: Member must have value less than or equal to 1000",
		},
		{
			name:     "IAM unexpected error is InternalFailure without internal text",
			svc:      awsproto.IAM,
			replyErr: errors.New("sqlite: database is locked at /secret/path"),
			call: func(ctx context.Context, c clients) (any, any, error) {
				in := &iam.GetUserInput{UserName: aws.String("bob")}
				out, err := c.iam.GetUser(ctx, in)
				return in, out, err
			},
			wantCode: "InternalFailure", wantMsg: "We encountered an internal error. Please try again.",
		},
		{
			name: "STS AssumeRole with session policies and tags",
			svc:  awsproto.STS,
			reply: &stsapi.AssumeRoleOutput{
				Credentials:      &stsapi.Credentials{AccessKeyId: "ASIAEXAMPLEEXAMPLE12", SecretAccessKey: "secret/+=", SessionToken: "FwoGZXIvYXdzE//token==", Expiration: t1},
				AssumedRoleUser:  &stsapi.AssumedRoleUser{AssumedRoleId: "AROA1:sess", Arn: "arn:aws:sts::123456789012:assumed-role/role_1/sess"},
				PackedPolicySize: ptr(int32(6)), SourceIdentity: ptr("alice"),
			},
			call: func(ctx context.Context, c clients) (any, any, error) {
				in := &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::123456789012:role/role_1"), RoleSessionName: aws.String("sess"),
					DurationSeconds: aws.Int32(3600), ExternalId: aws.String("ext-123"), Policy: aws.String(`{"Version":"2012-10-17","Statement":[]}`),
					PolicyArns:        []ststypes.PolicyDescriptorType{{Arn: aws.String("arn:aws:iam::aws:policy/ReadOnlyAccess")}},
					Tags:              []ststypes.Tag{{Key: aws.String("project"), Value: aws.String("x")}, {Key: aws.String("cost"), Value: aws.String("1")}},
					TransitiveTagKeys: []string{"project"}, SourceIdentity: aws.String("alice")}
				out, err := c.sts.AssumeRole(ctx, in)
				return in, out, err
			},
		},
		{
			name:  "STS GetCallerIdentity",
			svc:   awsproto.STS,
			reply: &stsapi.GetCallerIdentityOutput{Account: ptr("123456789012"), Arn: ptr("arn:aws:iam::123456789012:user/alice"), UserId: ptr("AIDA1")},
			call: func(ctx context.Context, c clients) (any, any, error) {
				in := &sts.GetCallerIdentityInput{}
				out, err := c.sts.GetCallerIdentity(ctx, in)
				return in, out, err
			},
		},
		{
			name:     "STS MalformedPolicyDocument error",
			svc:      awsproto.STS,
			replyErr: stsapi.MalformedPolicyDocument("The policy is not in the valid JSON format."),
			call: func(ctx context.Context, c clients) (any, any, error) {
				in := &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::123456789012:role/role_1"), RoleSessionName: aws.String("sess"), Policy: aws.String("{")}
				out, err := c.sts.AssumeRole(ctx, in)
				return in, out, err
			},
			wantCode: "MalformedPolicyDocument", wantMsg: "The policy is not in the valid JSON format.",
		},
		{
			name:  "EC2 RunInstances with profile, tags, metadata options",
			svc:   awsproto.EC2,
			reply: ptr(sampleReservation()),
			call: func(ctx context.Context, c clients) (any, any, error) {
				in := &ec2.RunInstancesInput{ImageId: aws.String("ami-0abcdef1234567890"), InstanceType: ec2types.InstanceTypeT3Micro,
					MinCount: aws.Int32(1), MaxCount: aws.Int32(2),
					IamInstanceProfile: &ec2types.IamInstanceProfileSpecification{Name: aws.String("role_1")},
					SecurityGroupIds:   []string{"sg-1", "sg-2"},
					TagSpecifications: []ec2types.TagSpecification{{ResourceType: ec2types.ResourceTypeInstance,
						Tags: []ec2types.Tag{{Key: aws.String("Name"), Value: aws.String("web")}, {Key: aws.String("team"), Value: aws.String("blue")}}}},
					MetadataOptions: &ec2types.InstanceMetadataOptionsRequest{HttpTokens: ec2types.HttpTokensStateRequired,
						HttpPutResponseHopLimit: aws.Int32(2), HttpEndpoint: ec2types.InstanceMetadataEndpointStateEnabled}}
				out, err := c.ec2.RunInstances(ctx, in)
				return in, out, err
			},
		},
		{
			name: "EC2 DescribeInstances filters and NextToken",
			svc:  awsproto.EC2,
			reply: &ec2api.DescribeInstancesOutput{Reservations: []ec2api.Reservation{sampleReservation(), sampleReservation()},
				NextToken: ptr("next-2")},
			call: func(ctx context.Context, c clients) (any, any, error) {
				in := &ec2.DescribeInstancesInput{InstanceIds: []string{"i-1", "i-2"}, MaxResults: aws.Int32(10), NextToken: aws.String("next-1"),
					Filters: []ec2types.Filter{{Name: aws.String("instance-state-name"), Values: []string{"running", "stopped"}},
						{Name: aws.String("tag:team"), Values: []string{"blue"}}}}
				out, err := c.ec2.DescribeInstances(ctx, in)
				return in, out, err
			},
		},
		{
			name: "EC2 StopInstances state changes",
			svc:  awsproto.EC2,
			reply: &ec2api.StopInstancesOutput{StoppingInstances: []ec2api.InstanceStateChange{{InstanceId: ptr("i-1"),
				CurrentState:  &ec2api.InstanceState{Code: ptr(int32(64)), Name: ec2api.InstanceStateNameStopping},
				PreviousState: &ec2api.InstanceState{Code: ptr(int32(16)), Name: ec2api.InstanceStateNameRunning}}}},
			call: func(ctx context.Context, c clients) (any, any, error) {
				in := &ec2.StopInstancesInput{InstanceIds: []string{"i-1"}, Force: aws.Bool(true), Hibernate: aws.Bool(false)}
				out, err := c.ec2.StopInstances(ctx, in)
				return in, out, err
			},
		},
		{
			name: "EC2 AssociateIamInstanceProfile",
			svc:  awsproto.EC2,
			reply: &ec2api.AssociateIamInstanceProfileOutput{IamInstanceProfileAssociation: &ec2api.IamInstanceProfileAssociation{
				AssociationId: ptr("iip-assoc-1"), InstanceId: ptr("i-1"), State: ec2api.IamInstanceProfileAssociationStateAssociating, Timestamp: ptr(t0),
				IamInstanceProfile: &ec2api.IamInstanceProfile{Arn: ptr("arn:aws:iam::123456789012:instance-profile/role_1"), Id: ptr("AIPA1")}}},
			call: func(ctx context.Context, c clients) (any, any, error) {
				in := &ec2.AssociateIamInstanceProfileInput{InstanceId: aws.String("i-1"),
					IamInstanceProfile: &ec2types.IamInstanceProfileSpecification{Arn: aws.String("arn:aws:iam::123456789012:instance-profile/role_1")}}
				out, err := c.ec2.AssociateIamInstanceProfile(ctx, in)
				return in, out, err
			},
		},
		{
			name:     "EC2 InvalidInstanceID.NotFound error",
			svc:      awsproto.EC2,
			replyErr: ec2api.InvalidInstanceIDNotFound("The instance ID '%s' does not exist", "i-404"),
			call: func(ctx context.Context, c clients) (any, any, error) {
				in := &ec2.TerminateInstancesInput{InstanceIds: []string{"i-404"}}
				out, err := c.ec2.TerminateInstances(ctx, in)
				return in, out, err
			},
			wantCode: "InvalidInstanceID.NotFound", wantMsg: "The instance ID 'i-404' does not exist",
		},
	}
}

func sampleReservation() ec2api.Reservation {
	return ec2api.Reservation{ReservationId: ptr("r-1"), OwnerId: ptr("123456789012"),
		Instances: []ec2api.Instance{{InstanceId: ptr("i-1"), ImageId: ptr("ami-0abcdef1234567890"), InstanceType: ec2api.InstanceTypeT3Micro,
			LaunchTime: ptr(t0), PrivateIpAddress: ptr("10.0.0.5"), AmiLaunchIndex: ptr(int32(0)),
			State:              &ec2api.InstanceState{Code: ptr(int32(0)), Name: ec2api.InstanceStateNamePending},
			IamInstanceProfile: &ec2api.IamInstanceProfile{Arn: ptr("arn:aws:iam::123456789012:instance-profile/role_1"), Id: ptr("AIPA1")},
			Tags:               []ec2api.Tag{{Key: ptr("Name"), Value: ptr("web")}},
			MetadataOptions: &ec2api.InstanceMetadataOptionsResponse{State: ec2api.InstanceMetadataOptionsStateApplied,
				HttpTokens: ec2api.HttpTokensStateRequired, HttpPutResponseHopLimit: ptr(int32(2)), HttpEndpoint: ec2api.InstanceMetadataEndpointStateEnabled},
			EbsOptimized: ptr(false)}}}
}
