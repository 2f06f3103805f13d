package e2e

import (
	"crypto/sha1"
	"encoding/base64"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"
	"github.com/aws/smithy-go"

	"gatehouse/internal/samlauth/samltest"
)

// STS answers recorded against AWS itself: the snapshot of LocalStack's STS suite
// (tests/aws/services/sts/test_sts.snapshot.json) holds AWS's responses. Each case is a
// recorded call, with AWS's code, status and whole message, or the recorded shape of a
// response; the names are this test's.

// stsRecordedAdmin starts a production server with an administrator user (LocalStack's
// suite runs on AWS as one: root may not assume roles) and returns its STS client.
func stsRecordedAdmin(t *testing.T) (*instance, *iam.Client, *sts.Client, string) {
	t.Helper()
	inst, root := newRootServer(t)
	ctx := ctxT(t)
	acct := accountID(t, root)
	must(root.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("admin")}))(t)
	must(root.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("admin"), PolicyName: aws.String("all"),
		PolicyDocument: aws.String(allowDoc(`"*"`, `"*"`))}))(t)
	k := must(root.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("admin")}))(t).AccessKey
	return inst, root, stsClient(inst, aws.ToString(k.AccessKeyId), aws.ToString(k.SecretAccessKey), ""), acct
}

func TestSTSAWSRecorded(t *testing.T) {
	inst, root, admin, acct := stsRecordedAdmin(t)
	ctx := ctxT(t)
	trustTag := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["sts:AssumeRole","sts:TagSession"],` +
		`"Principal":{"AWS":"` + acct + `"}}]}`

	// test_get_federation_token: PackedPolicySize is 0 without a session policy — present,
	// unlike AssumeRole's (test_assume_role's recording has none).
	fed := must(admin.GetFederationToken(ctx, &sts.GetFederationTokenInput{Name: aws.String("TestNameabc123"),
		DurationSeconds: aws.Int32(900)}))(t)
	if fed.PackedPolicySize == nil || *fed.PackedPolicySize != 0 {
		t.Errorf("GetFederationToken PackedPolicySize %v, want 0", fed.PackedPolicySize)
	}
	if got, want := aws.ToString(fed.FederatedUser.Arn), "arn:aws:sts::"+acct+":federated-user/TestNameabc123"; got != want {
		t.Errorf("FederatedUser.Arn %s, want %s", got, want)
	}
	roleARN := func(name string) string {
		return aws.ToString(must(root.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(name),
			AssumeRolePolicyDocument: aws.String(trustTag)}))(t).Role.Arn)
	}
	r1, r2 := roleARN("role-1-rec"), roleARN("role-2-rec")
	ar := must(admin.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(r1), RoleSessionName: aws.String("Session0")}))(t)
	if ar.PackedPolicySize != nil {
		t.Errorf("AssumeRole without session policy or tags: PackedPolicySize %d, want none", *ar.PackedPolicySize)
	}

	tags := func(kv ...string) []ststypes.Tag {
		var out []ststypes.Tag
		for i := 0; i+1 < len(kv); i += 2 {
			out = append(out, ststypes.Tag{Key: aws.String(kv[i]), Value: aws.String(kv[i+1])})
		}
		return out
	}
	// test_assume_role_tag_validation.
	_, err := admin.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(r1), RoleSessionName: aws.String("SessionInvalidTransitiveKeys"),
		Tags: tags("SessionTag1", "SessionValue1"), TransitiveTagKeys: []string{"InvalidKey"}})
	wantRecordedSTS(t, err, "invalid-transitive-tag-keys", "InvalidParameterValue", 400,
		"The specified transitive tag key must be included in the requested tags.")
	must(admin.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(r1), RoleSessionName: aws.String("SessionInvalidCasingTransitiveKeys"),
		Tags: tags("SessionTag1", "SessionValue1"), TransitiveTagKeys: []string{"sessiontag1"}}))(t)
	_, err = admin.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(r1), RoleSessionName: aws.String("SessionInvalidCasingTransitiveKeys"),
		Tags: tags("SessionTag1", "SessionValue1", "sessiontag1", "SessionValue2"), TransitiveTagKeys: []string{"sessiontag1"}})
	wantRecordedSTS(t, err, "duplicate-tag-keys-different-casing", "InvalidParameterValue", 400,
		"Duplicate tag keys found. Please note that Tag keys are case insensitive.")

	// test_iam_role_chaining_override_transitive_tags: a chained session may not set a tag
	// the calling session passes on, whatever the case of its key.
	must(root.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("role-1-rec"), PolicyName: aws.String("chain"),
		PolicyDocument: aws.String(allowDoc(`["sts:AssumeRole","sts:TagSession"]`, `"`+r2+`"`))}))(t)
	s1 := must(admin.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(r1), RoleSessionName: aws.String("Session1"),
		Tags: tags("SessionTag1", "SessionValue1"), TransitiveTagKeys: []string{"SessionTag1"}}))(t)
	chain := sessionSTS(inst, s1.Credentials)
	for _, key := range []string{"SessionTag1", "sessiontag1"} {
		_, err = chain.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(r2), RoleSessionName: aws.String("Session2SessionTagOverride"),
			Tags: tags(key, "SessionValue2")})
		wantRecordedSTS(t, err, "override-transitive-tag-error "+key, "InvalidParameterValue", 400,
			"One of the specified transitive tag keys can't be set because it conflicts with a transitive tag key from the calling session.")
	}

	// test_sts_invalid_parameters (the SDK does not check ARNs or patterns client-side).
	for _, tc := range []struct{ name, arn, session, msg string }{
		{"malformed-arn", "nothing-valid-in-here", "Session1", "nothing-valid-in-here is invalid"},
		{"no-partition", "arn::b:::something/test-role", "Session1", "arn::b:::something/test-role is invalid"},
		{"no-service", "arn:a::::something/test-role", "Session1", "arn:a::::something/test-role is invalid"},
		{"not-enough-colons", "arn:a:::something/test-role", "Session1", "arn:a:::something/test-role is invalid"},
		{"no-resource", "arn:a:a::aaaaaaaaaa:", "Session1", "arn:a:a::aaaaaaaaaa: is invalid"},
		{"invalid-session-name", "arn:a:b:::something/test-role", "Session1:2", "1 validation error detected: Value 'Session1:2' " +
			"at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*"},
	} {
		_, err := admin.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(tc.arn), RoleSessionName: aws.String(tc.session)})
		wantRecordedSTS(t, err, tc.name, "ValidationError", 400, tc.msg)
	}

	// test_assume_role_with_web_identity_cognito_identity_pool: a token that is not a JWT.
	cog := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRoleWithWebIdentity",` +
		`"Principal":{"Federated":"cognito-identity.amazonaws.com"},` +
		`"Condition":{"StringEquals":{"cognito-identity.amazonaws.com:aud":"us-east-1:pool"}}}]}`
	cr := must(root.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("cognito-rec"), AssumeRolePolicyDocument: aws.String(cog)}))(t)
	_, err = anonSTS(inst).AssumeRoleWithWebIdentity(ctx, &sts.AssumeRoleWithWebIdentityInput{RoleArn: cr.Role.Arn,
		RoleSessionName: aws.String("session-x"), WebIdentityToken: aws.String("token")})
	wantRecordedSTS(t, err, "invalid-web-identity-token", "InvalidIdentityToken", 400, "Invalid web identity token")
}

// wantRecordedSTS checks err against a recorded AWS error: code, status and whole message.
func wantRecordedSTS(t *testing.T, err error, name, code string, status int, msg string) {
	t.Helper()
	if err == nil {
		t.Errorf("%s: got success, want %s (%d) %q", name, code, status, msg)
		return
	}
	var ae smithy.APIError
	var re *awshttp.ResponseError
	if !errors.As(err, &ae) || !errors.As(err, &re) {
		t.Errorf("%s: got %v (%T), want an AWS API error", name, err, err)
		return
	}
	if ae.ErrorCode() != code || re.HTTPStatusCode() != status || ae.ErrorMessage() != msg {
		t.Errorf("%s:\n got  %s (%d) %q\n want %s (%d) %q", name, ae.ErrorCode(), re.HTTPStatusCode(), ae.ErrorMessage(), code, status, msg)
	}
}

// A web identity session's requests carry aws:FederatedProvider and the provider's keys
// ("additional condition keys are available when the temporary security credentials are
// used to make a request", reference_policies_iam-condition-keys.html#condition-keys-wif;
// reference_policies_condition-keys.html#condition-keys-federatedprovider), its source
// identity and its tags as aws:PrincipalTag. The same role assumed with AssumeRole carries
// none of them. The AssumeRole request a web identity session makes carries the provider
// too; the chained session does not (its role was assumed with AWS credentials).
func TestSTSFederatedSessionKeys(t *testing.T) {
	is := newOIDCIssuer(t)
	inst, root, admin, acct := stsRecordedAdmin(t)
	ctx := ctxT(t)
	provARN := aws.ToString(must(root.CreateOpenIDConnectProvider(ctx, &iam.CreateOpenIDConnectProviderInput{Url: aws.String(is.URL),
		ClientIDList: []string{"sts.amazonaws.com"}, ThumbprintList: []string{is.Thumb}}))(t).OpenIDConnectProviderArn)
	trust := `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Principal":{"Federated":"` + provARN + `"},
		 "Action":["sts:AssumeRoleWithWebIdentity","sts:TagSession","sts:SetSourceIdentity"]},
		{"Effect":"Allow","Principal":{"AWS":"` + acct + `"},"Action":"sts:AssumeRole"}]}`
	webRole := aws.ToString(must(root.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("web"),
		AssumeRolePolicyDocument: aws.String(trust)}))(t).Role.Arn)
	// Each action is allowed on one key only.
	perms := `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":"iam:GetRole","Resource":"*","Condition":{"StringEquals":{"aws:FederatedProvider":"` + provARN + `"}}},
		{"Effect":"Allow","Action":"iam:ListRoles","Resource":"*","Condition":{"StringEquals":{"` + is.Host + `:sub":"repo:org/app:ref:refs/heads/main"}}},
		{"Effect":"Allow","Action":"iam:ListUsers","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalTag/team":"blue"}}},
		{"Effect":"Allow","Action":"iam:ListGroups","Resource":"*","Condition":{"StringEquals":{"aws:SourceIdentity":"octocat"}}},
		{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]}`
	must(root.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("web"), PolicyName: aws.String("keys"),
		PolicyDocument: aws.String(perms)}))(t)
	chainTrust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"` + webRole + `"},"Action":"sts:AssumeRole",
		"Condition":{"StringEquals":{"aws:FederatedProvider":"` + provARN + `"}}}]}`
	chainRole := aws.ToString(must(root.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("chained"),
		AssumeRolePolicyDocument: aws.String(chainTrust)}))(t).Role.Arn)
	must(root.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("chained"), PolicyName: aws.String("keys"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:GetRole","Resource":"*",
		"Condition":{"Null":{"aws:FederatedProvider":"false"}}}]}`)}))(t)

	token := is.token(t, is.key, map[string]any{"https://aws.amazon.com/source_identity": "octocat",
		"https://aws.amazon.com/tags": map[string]any{"principal_tags": map[string]any{"team": []string{"blue"}}}})
	web := must(anonSTS(inst).AssumeRoleWithWebIdentity(ctx, &sts.AssumeRoleWithWebIdentityInput{RoleArn: aws.String(webRole),
		RoleSessionName: aws.String("run-1"), WebIdentityToken: aws.String(token)}))(t)
	plain := must(admin.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(webRole), RoleSessionName: aws.String("plain")}))(t)

	calls := []struct {
		name string
		call func(c *iam.Client) error
	}{
		{"iam:GetRole (aws:FederatedProvider)", func(c *iam.Client) error {
			_, err := c.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("web")})
			return err
		}},
		{"iam:ListRoles (provider's sub)", func(c *iam.Client) error { _, err := c.ListRoles(ctx, &iam.ListRolesInput{}); return err }},
		{"iam:ListUsers (aws:PrincipalTag)", func(c *iam.Client) error { _, err := c.ListUsers(ctx, &iam.ListUsersInput{}); return err }},
		{"iam:ListGroups (aws:SourceIdentity)", func(c *iam.Client) error { _, err := c.ListGroups(ctx, &iam.ListGroupsInput{}); return err }},
	}
	webIAM, plainIAM := sessionIAM(inst, web.Credentials), sessionIAM(inst, plain.Credentials)
	for _, c := range calls {
		if err := c.call(webIAM); err != nil {
			t.Errorf("%s with the web identity session: %v, want it allowed", c.name, err)
		}
		apiErr(t, c.call(plainIAM), "AccessDenied", 403, "assumed-role/web/plain")
	}

	// Role chaining: the AssumeRole request of the web identity session carries the provider,
	// the plain session's does not; the chained session carries it no further.
	chained := must(sessionSTS(inst, web.Credentials).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(chainRole),
		RoleSessionName: aws.String("hop")}))(t)
	_, err := sessionSTS(inst, plain.Credentials).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(chainRole),
		RoleSessionName: aws.String("hop")})
	apiErr(t, err, "AccessDenied", 403, "sts:AssumeRole")
	_, err = sessionIAM(inst, chained.Credentials).GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("web")})
	apiErr(t, err, "AccessDenied", 403, "assumed-role/chained/hop")

	// AssumeRoleWithWebIdentity needs no credentials: signed with GetSessionToken's (which
	// may call only AssumeRole and GetCallerIdentity otherwise), the token is still read.
	gst := must(admin.GetSessionToken(ctx, &sts.GetSessionTokenInput{}))(t)
	must(sessionSTS(inst, gst.Credentials).AssumeRoleWithWebIdentity(ctx, &sts.AssumeRoleWithWebIdentityInput{
		RoleArn: aws.String(webRole), RoleSessionName: aws.String("via-gst"), WebIdentityToken: aws.String(token)}))(t)
	_, err = sessionSTS(inst, gst.Credentials).GetAccessKeyInfo(ctx, &sts.GetAccessKeyInfoInput{AccessKeyId: aws.String("ASIAEXAMPLEEXAMPLE12")})
	apiErr(t, err, "AccessDenied", 403, "Cannot call GetAccessKeyInfo with session credentials")
}

// A SAML session's requests carry saml:sub, saml:sub_type and saml:namequalifier, the keys
// a role's permissions policies may test
// (reference_policies_iam-condition-keys.html#condition-keys-saml_permission-policy), and
// not aws:FederatedProvider, which AWS documents for OIDC sessions only. The session of a
// GetSessionToken caller may call AssumeRoleWithSAML: it needs no credentials.
func TestSTSFederatedSAMLSessionKeys(t *testing.T) {
	inst, root, admin, acct := stsRecordedAdmin(t)
	ctx := ctxT(t)
	const entityID = "https://idp.example.com/keys"
	idp := must(samltest.NewIdP(entityID))(t)
	provider := aws.ToString(must(root.CreateSAMLProvider(ctx, &iam.CreateSAMLProviderInput{Name: aws.String("corp"),
		SAMLMetadataDocument: aws.String(idp.Metadata())}))(t).SAMLProviderArn)
	role := aws.ToString(must(root.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("saml-keys"),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"` +
			provider + `"},"Action":"sts:AssumeRoleWithSAML"}]}`)}))(t).Role.Arn)
	h := sha1.Sum([]byte(entityID + acct + "/corp"))
	nq := base64.StdEncoding.EncodeToString(h[:])
	must(root.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("saml-keys"), PolicyName: aws.String("keys"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":"iam:ListUsers","Resource":"*","Condition":{"StringEquals":{"saml:sub":"jdoe","saml:sub_type":"persistent","saml:namequalifier":"` + nq + `"}}},
		{"Effect":"Allow","Action":"iam:ListRoles","Resource":"*","Condition":{"Null":{"aws:FederatedProvider":"false"}}}]}`)}))(t)
	input := func() *sts.AssumeRoleWithSAMLInput {
		saml := samltest.Encode(must(idp.Build(samltest.Response{Subject: "jdoe", Attributes: []samltest.Attribute{
			{Name: samltest.AttrRole, Values: []string{role + "," + provider}},
			{Name: samltest.AttrRoleSessionName, Values: []string{"jdoe"}},
		}}, samltest.SignResponse))(t))
		return &sts.AssumeRoleWithSAMLInput{RoleArn: aws.String(role), PrincipalArn: aws.String(provider), SAMLAssertion: aws.String(saml)}
	}
	out := must(anonymousSTS(inst).AssumeRoleWithSAML(ctx, input()))(t)
	sessIAM := sessionIAM(inst, out.Credentials)
	must(sessIAM.ListUsers(ctx, &iam.ListUsersInput{}))(t)
	_, err := sessIAM.ListRoles(ctx, &iam.ListRolesInput{})
	apiErr(t, err, "AccessDenied", 403, "assumed-role/saml-keys/jdoe", "iam:ListRoles")

	gst := must(admin.GetSessionToken(ctx, &sts.GetSessionTokenInput{}))(t)
	must(sessionSTS(inst, gst.Credentials).AssumeRoleWithSAML(ctx, input()))(t)
}
