package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"
)

// stsClient builds aws-sdk-go-v2's STS client for inst (token "" for a long-term key).
func stsClient(inst *instance, keyID, secret, token string) *sts.Client {
	return sts.New(sts.Options{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider(keyID, secret, token),
		BaseEndpoint: aws.String(inst.Endpoint),
		Retryer:      aws.NopRetryer{},
		HTTPClient:   wholeBodyClient{},
	})
}

// sessionIAM is the IAM client of a session's credentials.
func sessionIAM(inst *instance, c *ststypes.Credentials) *iam.Client {
	return iam.New(iam.Options{
		Region: "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider(aws.ToString(c.AccessKeyId),
			aws.ToString(c.SecretAccessKey), aws.ToString(c.SessionToken)),
		BaseEndpoint: aws.String(inst.Endpoint),
		Retryer:      aws.NopRetryer{},
		HTTPClient:   wholeBodyClient{},
	})
}

func sessionSTS(inst *instance, c *ststypes.Credentials) *sts.Client {
	return stsClient(inst, aws.ToString(c.AccessKeyId), aws.ToString(c.SecretAccessKey), aws.ToString(c.SessionToken))
}

// stsSetup is an account with role_1 (trusting alice, allowed to read users) and users
// alice and bob, each with a key and their STS clients.
type stsSetup struct {
	inst             *instance
	root             *iam.Client
	acct             string
	roleARN          string
	aliceARN, bobARN string
	alice, bob       *sts.Client
}

func newSTSSetup(t *testing.T, trustCondition string) *stsSetup {
	t.Helper()
	inst, root := newRootServer(t)
	ctx := ctxT(t)
	s := &stsSetup{inst: inst, root: root, acct: accountID(t, root)}
	s.aliceARN = "arn:aws:iam::" + s.acct + ":user/alice"
	s.bobARN = "arn:aws:iam::" + s.acct + ":user/bob"
	trust := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":%q},"Action":["sts:AssumeRole","sts:TagSession","sts:SetSourceIdentity"]%s}]}`, s.aliceARN, trustCondition)
	for _, u := range []string{"alice", "bob"} {
		must(root.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(u)}))(t)
	}
	role := must(root.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("role_1"), Path: aws.String("/app/"),
		AssumeRolePolicyDocument: aws.String(trust), MaxSessionDuration: aws.Int32(7200)}))(t)
	s.roleARN = aws.ToString(role.Role.Arn)
	must(root.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("role_1"), PolicyName: aws.String("read"),
		PolicyDocument: aws.String(allowDoc(`["iam:GetUser","iam:ListUsers","iam:GetRole"]`, `"*"`))}))(t)
	for _, u := range []string{"alice", "bob"} {
		k := must(root.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(u)}))(t).AccessKey
		c := stsClient(inst, aws.ToString(k.AccessKeyId), aws.ToString(k.SecretAccessKey), "")
		if u == "alice" {
			s.alice = c
		} else {
			s.bob = c
		}
	}
	return s
}

// The tutorial's role, assumed through the SDK: the trust policy decides who may assume it;
// the session can do what the role allows and nothing else; GetCallerIdentity answers for
// every kind of caller.
func TestSTSAssumeRole(t *testing.T) {
	s := newSTSSetup(t, "")
	ctx := ctxT(t)

	out := must(s.alice.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(s.roleARN), RoleSessionName: aws.String("work")}))(t)
	cr := out.Credentials
	if id := aws.ToString(cr.AccessKeyId); len(id) != 20 || !strings.HasPrefix(id, "ASIA") {
		t.Errorf("access key ID %q, want ASIA… of 20 characters", id)
	}
	if d := time.Until(aws.ToTime(cr.Expiration)); d < 59*time.Minute || d > 61*time.Minute {
		t.Errorf("expires in %v, want the default one hour", d)
	}
	sessARN := "arn:aws:sts::" + s.acct + ":assumed-role/role_1/work"
	if got := aws.ToString(out.AssumedRoleUser.Arn); got != sessARN {
		t.Errorf("AssumedRoleUser.Arn %q, want %q", got, sessARN)
	}
	roleID := aws.ToString(must(s.root.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("role_1")}))(t).Role.RoleId)
	if got, want := aws.ToString(out.AssumedRoleUser.AssumedRoleId), roleID+":work"; got != want {
		t.Errorf("AssumedRoleId %q, want %q", got, want)
	}

	// GetCallerIdentity for the session, the user and root.
	id := must(sessionSTS(s.inst, cr).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}))(t)
	if aws.ToString(id.Arn) != sessARN || aws.ToString(id.UserId) != roleID+":work" || aws.ToString(id.Account) != s.acct {
		t.Errorf("session identity %s %s %s, want %s %s:work %s", aws.ToString(id.Arn), aws.ToString(id.UserId), aws.ToString(id.Account), sessARN, roleID, s.acct)
	}
	aliceID := aws.ToString(must(s.root.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("alice")}))(t).User.UserId)
	id = must(s.alice.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}))(t)
	if aws.ToString(id.Arn) != s.aliceARN || aws.ToString(id.UserId) != aliceID || !strings.HasPrefix(aliceID, "AIDA") {
		t.Errorf("user identity %s %s, want %s %s", aws.ToString(id.Arn), aws.ToString(id.UserId), s.aliceARN, aliceID)
	}
	rk, rs := rootCreds(t, s.inst)
	id = must(stsClient(s.inst, rk, rs, "").GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}))(t)
	if aws.ToString(id.Arn) != "arn:aws:iam::"+s.acct+":root" || aws.ToString(id.UserId) != s.acct {
		t.Errorf("root identity %s %s, want the root ARN and the account ID", aws.ToString(id.Arn), aws.ToString(id.UserId))
	}
	// bob has no policy at all, and still learns who he is.
	must(s.bob.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}))(t)

	// The session reads users (the role allows it) and can do nothing else.
	sessIAM := sessionIAM(s.inst, cr)
	must(sessIAM.ListUsers(ctx, &iam.ListUsersInput{}))(t)
	_, err := sessIAM.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("mallory")})
	denied(t, err, sessARN, "iam:CreateUser", "arn:aws:iam::"+s.acct+":user/mallory", "because no identity-based policy allows the iam:CreateUser action")

	// bob is not trusted: AWS's message, word for word.
	_, err = s.bob.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(s.roleARN), RoleSessionName: aws.String("xx")})
	if msg := apiErr(t, err, "AccessDenied", 403); msg != "User: "+s.bobARN+" is not authorized to perform: sts:AssumeRole on resource: "+s.roleARN {
		t.Errorf("AccessDenied message %q", msg)
	}
	// A role that does not exist reads the same.
	missing := "arn:aws:iam::" + s.acct + ":role/nope"
	_, err = s.alice.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(missing), RoleSessionName: aws.String("xx")})
	apiErr(t, err, "AccessDenied", 403, "User: "+s.aliceARN+" is not authorized to perform: sts:AssumeRole on resource: "+missing)
	// Root may not assume roles.
	_, err = stsClient(s.inst, rk, rs, "").AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(s.roleARN), RoleSessionName: aws.String("xx")})
	apiErr(t, err, "AccessDenied", 403, "Roles may not be assumed by root accounts.")

	// Durations: up to MaxSessionDuration; role chaining at most one hour.
	_, err = s.alice.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(s.roleARN), RoleSessionName: aws.String("xx"), DurationSeconds: aws.Int32(7201)})
	apiErr(t, err, "ValidationError", 400, "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")
	_, err = s.alice.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(s.roleARN), RoleSessionName: aws.String("a b")})
	apiErr(t, err, "ValidationError", 400, "roleSessionName")

	// A forged or garbled token is InvalidClientTokenId; so is a token moved to another key.
	garbled := *cr
	tok := []byte(aws.ToString(cr.SessionToken))
	tok[10] ^= 'A' ^ 'B'
	if tok[10] == aws.ToString(cr.SessionToken)[10] {
		tok[10] = 'C'
	}
	garbled.SessionToken = aws.String(string(tok))
	_, err = sessionSTS(s.inst, &garbled).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	apiErr(t, err, "InvalidClientTokenId", 403, "The security token included in the request is invalid.")
	other := must(s.alice.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(s.roleARN), RoleSessionName: aws.String("other")}))(t).Credentials
	moved := *other
	moved.SessionToken = cr.SessionToken
	_, err = sessionSTS(s.inst, &moved).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	apiErr(t, err, "InvalidClientTokenId", 403)
	wrongSecret := *cr
	wrongSecret.SecretAccessKey = other.SecretAccessKey
	_, err = sessionSTS(s.inst, &wrongSecret).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	apiErr(t, err, "SignatureDoesNotMatch", 403)

	// Role chaining: the session may assume a role whose trust names the role; one hour cap.
	_, err = sessionSTS(s.inst, cr).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(s.roleARN), RoleSessionName: aws.String("cc"), DurationSeconds: aws.Int32(3601)})
	apiErr(t, err, "ValidationError", 400, "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.")

	// GetAccessKeyInfo names the account of a temporary key (root may call it).
	info := must(stsClient(s.inst, rk, rs, "").GetAccessKeyInfo(ctx, &sts.GetAccessKeyInfoInput{AccessKeyId: cr.AccessKeyId}))(t)
	if aws.ToString(info.Account) != s.acct {
		t.Errorf("GetAccessKeyInfo account %q, want %q", aws.ToString(info.Account), s.acct)
	}
}

// Conditions in the trust policy: an ExternalId required; session tags and a source
// identity need their own permissions and are visible to the session's conditions.
func TestSTSExternalIdAndSessionPolicy(t *testing.T) {
	s := newSTSSetup(t, `,"Condition":{"StringEquals":{"sts:ExternalId":"xyzzy"}}`)
	ctx := ctxT(t)
	_, err := s.alice.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(s.roleARN), RoleSessionName: aws.String("xx")})
	apiErr(t, err, "AccessDenied", 403, "is not authorized to perform: sts:AssumeRole on resource: "+s.roleARN)
	_, err = s.alice.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(s.roleARN), RoleSessionName: aws.String("xx"), ExternalId: aws.String("wrong")})
	apiErr(t, err, "AccessDenied", 403)

	// A session policy narrows the role: ListUsers only, not GetRole.
	out := must(s.alice.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(s.roleARN), RoleSessionName: aws.String("narrow"),
		ExternalId: aws.String("xyzzy"), Policy: aws.String(allowDoc(`"iam:ListUsers"`, `"*"`)),
		Tags: []ststypes.Tag{{Key: aws.String("team"), Value: aws.String("blue")}}, SourceIdentity: aws.String("alice")}))(t)
	if out.PackedPolicySize == nil || *out.PackedPolicySize <= 0 {
		t.Errorf("PackedPolicySize %v, want a percentage", out.PackedPolicySize)
	}
	if aws.ToString(out.SourceIdentity) != "alice" {
		t.Errorf("SourceIdentity %q, want alice", aws.ToString(out.SourceIdentity))
	}
	sess := sessionIAM(s.inst, out.Credentials)
	must(sess.ListUsers(ctx, &iam.ListUsersInput{}))(t)
	_, err = sess.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("role_1")})
	apiErr(t, err, "AccessDenied", 403, "sts::"+s.acct+":assumed-role/role_1/narrow", "iam:GetRole", "session policy")

	// A session policy cannot widen: CreateUser stays denied.
	wide := must(s.alice.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(s.roleARN), RoleSessionName: aws.String("wide"),
		ExternalId: aws.String("xyzzy"), Policy: aws.String(allowDoc(`"*"`, `"*"`))}))(t)
	_, err = sessionIAM(s.inst, wide.Credentials).CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("m")})
	apiErr(t, err, "AccessDenied", 403)

	// Session tags are principal tags: a role policy conditioned on them sees the session's.
	must(s.root.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("role_1"), PolicyName: aws.String("tagged"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:ListRoles","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalTag/team":"blue","aws:SourceIdentity":"alice"}}}]}`)}))(t)
	tagged := must(s.alice.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(s.roleARN), RoleSessionName: aws.String("tagged"),
		ExternalId: aws.String("xyzzy"), Tags: []ststypes.Tag{{Key: aws.String("team"), Value: aws.String("blue")}}, SourceIdentity: aws.String("alice")}))(t)
	must(sessionIAM(s.inst, tagged.Credentials).ListRoles(ctx, &iam.ListRolesInput{}))(t)
	untagged := must(s.alice.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(s.roleARN), RoleSessionName: aws.String("plain"), ExternalId: aws.String("xyzzy")}))(t)
	_, err = sessionIAM(s.inst, untagged.Credentials).ListRoles(ctx, &iam.ListRolesInput{})
	apiErr(t, err, "AccessDenied", 403)
}

// "Revoke active sessions": a deny on aws:TokenIssueTime put on the role stops every
// session issued before it, at once, and later sessions work.
func TestSTSRevokeSessions(t *testing.T) {
	s := newSTSSetup(t, "")
	ctx := ctxT(t)
	old := must(s.alice.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(s.roleARN), RoleSessionName: aws.String("old")}))(t).Credentials
	oldIAM := sessionIAM(s.inst, old)
	must(oldIAM.ListUsers(ctx, &iam.ListUsersInput{}))(t)
	// Token issue times are whole seconds; revoke as of the next second.
	cut := time.Now().UTC().Add(time.Second).Truncate(time.Second)
	revoke := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"DateLessThan":{"aws:TokenIssueTime":%q}}}]}`, cut.Format(time.RFC3339))
	must(s.root.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("role_1"), PolicyName: aws.String("AWSRevokeOlderSessions"), PolicyDocument: aws.String(revoke)}))(t)
	_, err := oldIAM.ListUsers(ctx, &iam.ListUsersInput{})
	apiErr(t, err, "AccessDenied", 403, "with an explicit deny in an identity-based policy")
	time.Sleep(time.Until(cut)) // a session issued at or after the cut
	fresh := must(s.alice.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(s.roleARN), RoleSessionName: aws.String("new")}))(t).Credentials
	must(sessionIAM(s.inst, fresh).ListUsers(ctx, &iam.ListUsersInput{}))(t)
}

// GetSessionToken and GetFederationToken: what their credentials may call.
func TestSTSSessionTokenAndFederation(t *testing.T) {
	s := newSTSSetup(t, "")
	ctx := ctxT(t)
	must(s.root.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("alice"), PolicyName: aws.String("p"),
		PolicyDocument: aws.String(allowDoc(`["iam:ListUsers","iam:GetUser","sts:GetFederationToken"]`, `"*"`))}))(t)

	st := must(s.alice.GetSessionToken(ctx, &sts.GetSessionTokenInput{}))(t).Credentials
	if d := time.Until(aws.ToTime(st.Expiration)); d < 11*time.Hour || d > 13*time.Hour {
		t.Errorf("GetSessionToken expires in %v, want the default 12 hours", d)
	}
	id := must(sessionSTS(s.inst, st).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}))(t)
	if aws.ToString(id.Arn) != s.aliceARN {
		t.Errorf("a GetSessionToken session is %s, want the user %s", aws.ToString(id.Arn), s.aliceARN)
	}
	// Without MFA its credentials cannot call IAM, nor GetSessionToken again; they may assume a role.
	_, err := sessionIAM(s.inst, st).ListUsers(ctx, &iam.ListUsersInput{})
	apiErr(t, err, "InvalidClientTokenId", 403)
	_, err = sessionSTS(s.inst, st).GetSessionToken(ctx, &sts.GetSessionTokenInput{})
	apiErr(t, err, "AccessDenied", 403, "Cannot call GetSessionToken with session credentials")
	must(sessionSTS(s.inst, st).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(s.roleARN), RoleSessionName: aws.String("via-session")}))(t)
	_, err = s.alice.GetSessionToken(ctx, &sts.GetSessionTokenInput{SerialNumber: aws.String("arn:aws:iam::" + s.acct + ":mfa/alice"), TokenCode: aws.String("123456")})
	apiErr(t, err, "AccessDenied", 403, "MultiFactorAuthentication failed")

	fed := must(s.alice.GetFederationToken(ctx, &sts.GetFederationTokenInput{Name: aws.String("carol"), Policy: aws.String(allowDoc(`"s3:*"`, `"*"`))}))(t)
	fedARN := "arn:aws:sts::" + s.acct + ":federated-user/carol"
	if aws.ToString(fed.FederatedUser.Arn) != fedARN || aws.ToString(fed.FederatedUser.FederatedUserId) != s.acct+":carol" {
		t.Errorf("federated user %s %s", aws.ToString(fed.FederatedUser.Arn), aws.ToString(fed.FederatedUser.FederatedUserId))
	}
	id = must(sessionSTS(s.inst, fed.Credentials).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}))(t)
	if aws.ToString(id.Arn) != fedARN {
		t.Errorf("federated identity %s, want %s", aws.ToString(id.Arn), fedARN)
	}
	_, err = sessionSTS(s.inst, fed.Credentials).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(s.roleARN), RoleSessionName: aws.String("xx")})
	apiErr(t, err, "AccessDenied", 403)
	// bob's policies do not allow GetFederationToken.
	_, err = s.bob.GetFederationToken(ctx, &sts.GetFederationTokenInput{Name: aws.String("dave")})
	apiErr(t, err, "AccessDenied", 403, "sts:GetFederationToken")
}
