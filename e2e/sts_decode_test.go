package e2e

import (
	"encoding/json"
	"errors"
	"os/exec"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
)

// decodedMessage is the part of DecodeAuthorizationMessage's document the tests read
// (https://docs.aws.amazon.com/STS/latest/APIReference/API_DecodeAuthorizationMessage.html).
type decodedMessage struct {
	Allowed           bool `json:"allowed"`
	ExplicitDeny      bool `json:"explicitDeny"`
	MatchedStatements struct {
		Items []struct {
			StatementID     string          `json:"statementId"`
			Effect          string          `json:"effect"`
			Principals      json.RawMessage `json:"principals"`
			PrincipalGroups json.RawMessage `json:"principalGroups"`
			Actions         json.RawMessage `json:"actions"`
			Resources       json.RawMessage `json:"resources"`
			Conditions      json.RawMessage `json:"conditions"`
		} `json:"items"`
	} `json:"matchedStatements"`
	Failures struct {
		Items []any `json:"items"`
	} `json:"failures"`
	Context struct {
		Principal struct {
			ID   string `json:"id"`
			Name string `json:"name"`
			ARN  string `json:"arn"`
		} `json:"principal"`
		Action     string `json:"action"`
		Resource   string `json:"resource"`
		Conditions struct {
			Items []struct {
				Key    string `json:"key"`
				Values struct {
					Items []struct {
						Value string `json:"value"`
					} `json:"items"`
				} `json:"values"`
			} `json:"items"`
		} `json:"conditions"`
	} `json:"context"`
}

func (m *decodedMessage) condition(key string) string {
	for _, c := range m.Context.Conditions.Items {
		if c.Key == key && len(c.Values.Items) > 0 {
			return c.Values.Items[0].Value
		}
	}
	return ""
}

const encodedMarker = ". Encoded authorization failure message: "

// encodedMessage returns the encoded message at the end of EC2's UnauthorizedOperation.
func encodedMessage(t *testing.T, err error) string {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "UnauthorizedOperation" {
		t.Fatalf("got %v, want UnauthorizedOperation", err)
	}
	msg := ae.ErrorMessage()
	i := strings.LastIndex(msg, encodedMarker)
	if i < 0 {
		t.Fatalf("UnauthorizedOperation %q has no encoded authorization failure message", msg)
	}
	enc := msg[i+len(encodedMarker):]
	if enc == "" || strings.ContainsAny(enc, " \n+/=") {
		t.Fatalf("encoded message %q is not URL-safe text", enc)
	}
	return enc
}

func decodeWith(t *testing.T, c *sts.Client, enc string) *decodedMessage {
	t.Helper()
	out := must(c.DecodeAuthorizationMessage(ctxT(t), &sts.DecodeAuthorizationMessageInput{EncodedMessage: aws.String(enc)}))(t)
	var m decodedMessage
	dec := json.NewDecoder(strings.NewReader(aws.ToString(out.DecodedMessage)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("DecodedMessage %q: %v", aws.ToString(out.DecodedMessage), err)
	}
	return &m
}

// TestSTSDecodeAuthorizationMessage: a user with only AmazonEC2ReadOnlyAccess launches an
// instance with aws-sdk-go-v2 and gets UnauthorizedOperation ending in an encoded message;
// root and a user allowed sts:DecodeAuthorizationMessage decode it; the read-only user may
// not; garbage is InvalidAuthorizationMessageException. A role session's message names
// its session, and an explicit Deny is named in the message.
func TestSTSDecodeAuthorizationMessage(t *testing.T) {
	inst, root := newRootServer(t)
	ctx := ctxT(t)
	acct := accountID(t, root)
	rootID, rootSecret := rootCreds(t, inst)

	newUser := func(name string) (string, string, string) {
		out := must(root.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name)}))(t)
		k := must(root.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(name)}))(t).AccessKey
		return aws.ToString(out.User.UserId), aws.ToString(k.AccessKeyId), aws.ToString(k.SecretAccessKey)
	}
	viewerUID, viewerID, viewerSecret := newUser("viewer")
	must(root.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("viewer"),
		PolicyArn: aws.String("arn:aws:iam::aws:policy/AmazonEC2ReadOnlyAccess")}))(t)
	_, debugID, debugSecret := newUser("debugger")
	must(root.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("debugger"), PolicyName: aws.String("decode"),
		PolicyDocument: aws.String(allowDoc(`"sts:DecodeAuthorizationMessage"`, `"*"`))}))(t)

	run := &ec2.RunInstancesInput{ImageId: aws.String("ami-0123456789abcdef0"), InstanceType: ec2types.InstanceTypeT2Micro,
		MinCount: aws.Int32(1), MaxCount: aws.Int32(1)}
	_, err := ec2Client(t, inst, viewerID, viewerSecret, "").RunInstances(ctx, run)
	instances := "arn:aws:ec2:us-east-1:" + acct + ":instance/*"
	apiErr(t, err, "UnauthorizedOperation", 403, "You are not authorized to perform this operation. User: arn:aws:iam::"+acct+
		":user/viewer is not authorized to perform: ec2:RunInstances on resource: "+instances+
		" because no identity-based policy allows the ec2:RunInstances action"+encodedMarker)
	enc := encodedMessage(t, err)

	for _, who := range []struct {
		note   string
		client *sts.Client
	}{
		{"root", stsClient(inst, rootID, rootSecret, "")},
		{"a user allowed sts:DecodeAuthorizationMessage", stsClient(inst, debugID, debugSecret, "")},
	} {
		m := decodeWith(t, who.client, enc)
		p := m.Context.Principal
		if m.Allowed || m.ExplicitDeny || len(m.MatchedStatements.Items) != 0 || m.Failures.Items == nil ||
			p.ID != viewerUID || p.Name != "viewer" || p.ARN != "arn:aws:iam::"+acct+":user/viewer" ||
			m.Context.Action != "RunInstances" || m.Context.Resource != instances ||
			m.condition("ec2:InstanceType") != "t2.micro" || m.condition("aws:Account") != acct {
			t.Errorf("decoded by %s: %+v", who.note, m)
		}
	}

	viewerSTS := stsClient(inst, viewerID, viewerSecret, "")
	_, err = viewerSTS.DecodeAuthorizationMessage(ctx, &sts.DecodeAuthorizationMessageInput{EncodedMessage: aws.String(enc)})
	apiErr(t, err, "AccessDenied", 403, "User: arn:aws:iam::"+acct+":user/viewer is not authorized to perform: sts:DecodeAuthorizationMessage "+
		"because no identity-based policy allows the sts:DecodeAuthorizationMessage action")
	rootSTS := stsClient(inst, rootID, rootSecret, "")
	for _, bad := range []string{"garbage", enc[:len(enc)-5], enc + "AA"} {
		_, err = rootSTS.DecodeAuthorizationMessage(ctx, &sts.DecodeAuthorizationMessageInput{EncodedMessage: aws.String(bad)})
		apiErr(t, err, "InvalidAuthorizationMessageException", 400)
	}

	t.Run("a role session with an explicit Deny", func(t *testing.T) {
		trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + acct + `:root"},"Action":"sts:AssumeRole"}]}`
		role := must(root.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("ops"), AssumeRolePolicyDocument: aws.String(trust)}))(t).Role
		must(root.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("ops"), PolicyName: aws.String("p"),
			PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ec2:*","Resource":"*"},` +
				`{"Sid":"OnlyMicro","Effect":"Deny","Action":"ec2:RunInstances","Resource":"arn:aws:ec2:*:*:instance/*",` +
				`"Condition":{"StringNotEquals":{"ec2:InstanceType":"t2.micro"}}}]}`)}))(t)
		must(root.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("debugger"), PolicyName: aws.String("assume"),
			PolicyDocument: aws.String(allowDoc(`"sts:AssumeRole"`, `"`+aws.ToString(role.Arn)+`"`))}))(t)
		creds := must(stsClient(inst, debugID, debugSecret, "").AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: role.Arn,
			RoleSessionName: aws.String("night-shift")}))(t).Credentials
		big := *run
		big.InstanceType = ec2types.InstanceTypeM5Large
		_, err := ec2Client(t, inst, aws.ToString(creds.AccessKeyId), aws.ToString(creds.SecretAccessKey), aws.ToString(creds.SessionToken)).RunInstances(ctx, &big)
		apiErr(t, err, "UnauthorizedOperation", 403, "with an explicit deny in an identity-based policy"+encodedMarker)
		m := decodeWith(t, rootSTS, encodedMessage(t, err))
		p := m.Context.Principal
		if !m.ExplicitDeny || len(m.MatchedStatements.Items) != 1 || m.MatchedStatements.Items[0].StatementID != "OnlyMicro" ||
			m.MatchedStatements.Items[0].Effect != "DENY" ||
			string(m.MatchedStatements.Items[0].Actions) != `{"items":[{"value":"ec2:RunInstances"}]}` ||
			string(m.MatchedStatements.Items[0].Principals) != `{"items":[{"value":"`+aws.ToString(role.RoleId)+`:night-shift"}]}` || p.ID != aws.ToString(role.RoleId)+":night-shift" || p.Name != "" ||
			p.ARN != "arn:aws:sts::"+acct+":assumed-role/ops/night-shift" || m.condition("ec2:InstanceType") != "m5.large" {
			t.Errorf("decoded: %+v", m)
		}
	})

	t.Run("the AWS CLI decodes", func(t *testing.T) {
		if _, err := exec.LookPath("aws"); err != nil {
			t.Fatalf("the AWS CLI is needed: %v", err)
		}
		env := append(cleanAWSEnv(), gatehouseEnv(t, inst)...)
		out, stderr, err := awsCLI(t, env, "sts", "decode-authorization-message", "--encoded-message", enc,
			"--query", "DecodedMessage", "--output", "text")
		if err != nil {
			t.Fatalf("decode-authorization-message: %v\n%s", err, stderr)
		}
		var m decodedMessage
		if err := json.Unmarshal([]byte(out), &m); err != nil || m.Context.Principal.Name != "viewer" || m.Context.Action != "RunInstances" {
			t.Errorf("decode-authorization-message printed %q (%v)", out, err)
		}
		_, stderr, err = awsCLI(t, env, "sts", "decode-authorization-message", "--encoded-message", "garbage")
		if err == nil || !strings.Contains(stderr, "(InvalidAuthorizationMessageException) when calling the DecodeAuthorizationMessage operation") {
			t.Errorf("garbage: got %v\n%s", err, stderr)
		}
	})
}
