package e2e

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	jose "github.com/go-jose/go-jose/v4"
)

// oidcIssuer is a real OpenID Connect issuer on 127.0.0.1: HTTPS with httptest's
// self-signed certificate (registered in IAM by its thumbprint, as IAM trusts a provider
// whose certificate no public CA signed), a discovery document and a JWKS with one RSA key.
type oidcIssuer struct {
	srv   *httptest.Server
	key   *rsa.PrivateKey
	kid   string
	URL   string // https://127.0.0.1:PORT
	Host  string // 127.0.0.1:PORT, the IAM provider's name and condition-key prefix
	Thumb string
}

func newOIDCIssuer(t *testing.T) *oidcIssuer {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	is := &oidcIssuer{key: key, kid: "key-1"}
	mux := http.NewServeMux()
	is.srv = httptest.NewTLSServer(mux)
	t.Cleanup(is.srv.Close)
	is.URL = is.srv.URL
	is.Host = strings.TrimPrefix(is.URL, "https://")
	sum := sha1.Sum(is.srv.Certificate().Raw)
	is.Thumb = hex.EncodeToString(sum[:])
	mux.HandleFunc("/.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"issuer": is.URL, "jwks_uri": is.URL + "/keys",
			"id_token_signing_alg_values_supported": []string{"RS256"}})
	})
	mux.HandleFunc("/keys", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{
			{Key: &key.PublicKey, KeyID: is.kid, Algorithm: "RS256", Use: "sig"}}})
	})
	return is
}

// token signs claims over the defaults (this issuer, sub of the main branch, aud
// sts.amazonaws.com, an hour of validity); a nil value removes a claim.
func (is *oidcIssuer) token(t *testing.T, key *rsa.PrivateKey, over map[string]any) string {
	t.Helper()
	now := time.Now()
	claims := map[string]any{"iss": is.URL, "sub": "repo:org/app:ref:refs/heads/main", "aud": "sts.amazonaws.com",
		"iat": now.Unix(), "nbf": now.Unix() - 5, "exp": now.Add(time.Hour).Unix()}
	for k, v := range over {
		if v == nil {
			delete(claims, k)
		} else {
			claims[k] = v
		}
	}
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: key},
		(&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", is.kid))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(claims)
	jws, err := s.Sign(b)
	if err != nil {
		t.Fatal(err)
	}
	out, err := jws.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// anonSTS is an STS client without credentials: AssumeRoleWithWebIdentity is unsigned.
func anonSTS(inst *instance) *sts.Client {
	return sts.New(sts.Options{Region: "us-east-1", Credentials: aws.AnonymousCredentials{},
		BaseEndpoint: aws.String(inst.Endpoint), Retryer: aws.NopRetryer{}, HTTPClient: wholeBodyClient{}})
}

func TestSTSWebIdentity(t *testing.T) {
	is := newOIDCIssuer(t)
	inst, root := newRootServer(t)
	ctx := ctxT(t)
	acct := accountID(t, root)
	prov := must(root.CreateOpenIDConnectProvider(ctx, &iam.CreateOpenIDConnectProviderInput{Url: aws.String(is.URL),
		ClientIDList: []string{"sts.amazonaws.com"}, ThumbprintList: []string{is.Thumb}}))(t)
	provARN := aws.ToString(prov.OpenIDConnectProviderArn)
	if want := "arn:aws:iam::" + acct + ":oidc-provider/" + is.Host; provARN != want {
		t.Fatalf("provider ARN %q, want %q", provARN, want)
	}
	// The trust policy of the GitHub Actions guide: the provider, its aud and one branch's sub.
	trust := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":%q},
		"Action":["sts:AssumeRoleWithWebIdentity","sts:SetSourceIdentity"],
		"Condition":{"StringEquals":{"%s:aud":"sts.amazonaws.com"},"StringLike":{"%s:sub":"repo:org/app:ref:refs/heads/main"}}}]}`,
		provARN, is.Host, is.Host)
	role := must(root.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("deploy"), Path: aws.String("/ci/"),
		AssumeRolePolicyDocument: aws.String(trust)}))(t).Role
	must(root.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("deploy"), PolicyName: aws.String("read"),
		PolicyDocument: aws.String(allowDoc(`["iam:GetRole"]`, `"*"`))}))(t)
	roleARN := aws.ToString(role.Arn)
	anon := anonSTS(inst)
	assume := func(token string, mod func(*sts.AssumeRoleWithWebIdentityInput)) (*sts.AssumeRoleWithWebIdentityOutput, error) {
		in := &sts.AssumeRoleWithWebIdentityInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("run-42"),
			WebIdentityToken: aws.String(token)}
		if mod != nil {
			mod(in)
		}
		return anon.AssumeRoleWithWebIdentity(ctx, in)
	}

	start := time.Now()
	out := must(assume(is.token(t, is.key, map[string]any{"https://aws.amazon.com/source_identity": "octocat"}),
		func(in *sts.AssumeRoleWithWebIdentityInput) { in.DurationSeconds = aws.Int32(900) }))(t)
	sessARN := "arn:aws:sts::" + acct + ":assumed-role/deploy/run-42"
	u := out.AssumedRoleUser
	if aws.ToString(u.Arn) != sessARN || aws.ToString(u.AssumedRoleId) != aws.ToString(role.RoleId)+":run-42" {
		t.Errorf("AssumedRoleUser %s %s, want %s %s:run-42", aws.ToString(u.Arn), aws.ToString(u.AssumedRoleId), sessARN, aws.ToString(role.RoleId))
	}
	if aws.ToString(out.SubjectFromWebIdentityToken) != "repo:org/app:ref:refs/heads/main" || aws.ToString(out.Provider) != provARN ||
		aws.ToString(out.Audience) != "sts.amazonaws.com" || aws.ToString(out.SourceIdentity) != "octocat" || out.PackedPolicySize != nil {
		t.Errorf("output: subject %q provider %q audience %q source identity %q packed %v", aws.ToString(out.SubjectFromWebIdentityToken),
			aws.ToString(out.Provider), aws.ToString(out.Audience), aws.ToString(out.SourceIdentity), out.PackedPolicySize)
	}
	if exp := out.Credentials.Expiration.Sub(start); exp < 890*time.Second || exp > 910*time.Second {
		t.Errorf("credentials last %v, want 900s", exp)
	}

	// The credentials act as the role session.
	id := must(sessionSTS(inst, out.Credentials).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}))(t)
	if aws.ToString(id.Arn) != sessARN || aws.ToString(id.UserId) != aws.ToString(u.AssumedRoleId) || aws.ToString(id.Account) != acct {
		t.Errorf("GetCallerIdentity %s %s %s", aws.ToString(id.Arn), aws.ToString(id.UserId), aws.ToString(id.Account))
	}
	sessIAM := sessionIAM(inst, out.Credentials)
	must(sessIAM.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("deploy")}))(t)
	_, err := sessIAM.ListUsers(ctx, &iam.ListUsersInput{})
	apiErr(t, err, "AccessDenied", 403, sessARN, "iam:ListUsers")

	// A session policy caps the session and is reported by its packed size.
	out = must(assume(is.token(t, is.key, nil), func(in *sts.AssumeRoleWithWebIdentityInput) {
		in.Policy = aws.String(allowDoc(`"iam:ListUsers"`, `"*"`))
	}))(t)
	if out.PackedPolicySize == nil || *out.PackedPolicySize <= 0 || out.SourceIdentity != nil {
		t.Errorf("PackedPolicySize %v, SourceIdentity %v", out.PackedPolicySize, out.SourceIdentity)
	}
	_, err = sessionIAM(inst, out.Credentials).GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("deploy")})
	apiErr(t, err, "AccessDenied", 403, "iam:GetRole")

	// A signed request is answered the same: the token, not the signature, is the proof.
	k := must(root.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{}))(t).AccessKey
	signed := stsClient(inst, aws.ToString(k.AccessKeyId), aws.ToString(k.SecretAccessKey), "")
	must(signed.AssumeRoleWithWebIdentity(ctx, &sts.AssumeRoleWithWebIdentityInput{RoleArn: aws.String(roleARN),
		RoleSessionName: aws.String("signed"), WebIdentityToken: aws.String(is.token(t, is.key, nil))}))(t)

	other, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	denials := []struct {
		name   string
		token  string
		mod    func(*sts.AssumeRoleWithWebIdentityInput)
		code   string
		status int
		msg    string
	}{
		{name: "another branch's sub", token: is.token(t, is.key, map[string]any{"sub": "repo:org/app:ref:refs/heads/dev"}),
			code: "AccessDenied", status: 403, msg: "Not authorized to perform sts:AssumeRoleWithWebIdentity"},
		{name: "role without the provider's trust", token: is.token(t, is.key, nil),
			mod: func(in *sts.AssumeRoleWithWebIdentityInput) {
				in.RoleArn = aws.String("arn:aws:iam::" + acct + ":role/nope")
			},
			code: "AccessDenied", status: 403, msg: "Not authorized to perform sts:AssumeRoleWithWebIdentity"},
		{name: "wrong audience", token: is.token(t, is.key, map[string]any{"aud": "someone-else"}),
			code: "InvalidIdentityToken", status: 400, msg: "Incorrect token audience"},
		{name: "expired", token: is.token(t, is.key, map[string]any{"iat": time.Now().Add(-2 * time.Hour).Unix(), "exp": time.Now().Add(-time.Hour).Unix()}),
			code: "ExpiredTokenException", status: 400, msg: "Token expired: current date/time"},
		{name: "forged signature", token: is.token(t, other, nil), code: "InvalidIdentityToken", status: 400, msg: "signature"},
		{name: "issuer not registered", token: is.token(t, is.key, map[string]any{"iss": "https://idp.example.com"}),
			code: "InvalidIdentityToken", status: 400, msg: "No OpenIDConnect provider found in your account for https://idp.example.com"},
		{name: "not a JWT", token: "????-not-a-token", code: "InvalidIdentityToken", status: 400, msg: "Invalid web identity token"},
		{name: "alg none", token: "eyJhbGciOiJub25lIn0." + strings.Split(is.token(t, is.key, nil), ".")[1] + ".",
			code: "InvalidIdentityToken", status: 400, msg: "none"},
		{name: "duration over the role's maximum", token: is.token(t, is.key, nil),
			mod:  func(in *sts.AssumeRoleWithWebIdentityInput) { in.DurationSeconds = aws.Int32(7200) },
			code: "ValidationError", status: 400, msg: "MaxSessionDuration"},
	}
	for _, d := range denials {
		t.Run(d.name, func(t *testing.T) {
			_, err := assume(d.token, d.mod)
			apiErr(t, err, d.code, d.status, d.msg)
		})
	}

	// A thumbprint that is not the issuer's certificate's: IAM does not trust the issuer.
	must(root.UpdateOpenIDConnectProviderThumbprint(ctx, &iam.UpdateOpenIDConnectProviderThumbprintInput{
		OpenIDConnectProviderArn: aws.String(provARN), ThumbprintList: []string{strings.Repeat("0", 40)}}))(t)
	_, err = assume(is.token(t, is.key, nil), nil)
	apiErr(t, err, "InvalidIdentityToken", 400, "doesn't match configured thumbprint")
}

// TestSTSWebIdentityEmulator: at --enforce off, any token gets credentials for any role,
// as moto's test_assume_role_with_web_identity_boto3 expects; at the default level the
// token is verified.
func TestSTSWebIdentityEmulator(t *testing.T) {
	off := startServer(t, "", "--mode", "emulator", "--enforce", "off")
	ctx := ctxT(t)
	out := must(anonSTS(off).AssumeRoleWithWebIdentity(ctx, &sts.AssumeRoleWithWebIdentityInput{
		RoleArn: aws.String("arn:aws:iam::123456789012:role/test-role"), RoleSessionName: aws.String("session-name"),
		WebIdentityToken: aws.String("????"), DurationSeconds: aws.Int32(903),
		Policy: aws.String(allowDoc(`"s3:ListBucket"`, `"arn:aws:s3:::foobar-tester"`))}))(t)
	if aws.ToString(out.AssumedRoleUser.Arn) != "arn:aws:sts::123456789012:assumed-role/test-role/session-name" ||
		!strings.HasPrefix(aws.ToString(out.AssumedRoleUser.AssumedRoleId), "AROA") ||
		!strings.HasSuffix(aws.ToString(out.AssumedRoleUser.AssumedRoleId), ":session-name") ||
		!strings.HasPrefix(aws.ToString(out.Credentials.AccessKeyId), "ASIA") || len(aws.ToString(out.Credentials.SecretAccessKey)) != 40 {
		t.Errorf("emulated output: %+v %+v", out.AssumedRoleUser, out.Credentials)
	}
	if d := time.Until(aws.ToTime(out.Credentials.Expiration)); d < 890*time.Second || d > 910*time.Second {
		t.Errorf("credentials last %v, want 903s", d)
	}
	id := must(sessionSTS(off, out.Credentials).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}))(t)
	if aws.ToString(id.Arn) != aws.ToString(out.AssumedRoleUser.Arn) {
		t.Errorf("GetCallerIdentity %s", aws.ToString(id.Arn))
	}

	// moto's own test, through boto3, unchanged but for moto's token format.
	cmd := exec.Command("python3", filepath.Join("testdata", "sts_webidentity", "moto_web_identity.py"))
	cmd.Env = motoEnv(off)
	if out, err := cmd.CombinedOutput(); err != nil || strings.TrimSpace(string(out)) != "ok" {
		t.Errorf("moto's test_assume_role_with_web_identity_boto3: %v\n%s", err, out)
	}

	// soft: a registered provider's token is verified, and the trust policy's would-be
	// denial is recorded and let through.
	is := newOIDCIssuer(t)
	soft := startServer(t, "", "--mode", "emulator", "--enforce", "soft")
	root := iamClient(t, soft, "testing", "testing")
	prov := must(root.CreateOpenIDConnectProvider(ctx, &iam.CreateOpenIDConnectProviderInput{Url: aws.String(is.URL),
		ClientIDList: []string{"sts.amazonaws.com"}, ThumbprintList: []string{is.Thumb}}))(t)
	trust := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":%q},`+
		`"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"%s:sub":"someone-else"}}}]}`,
		aws.ToString(prov.OpenIDConnectProviderArn), is.Host)
	roleARN := aws.ToString(must(root.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("web"),
		AssumeRolePolicyDocument: aws.String(trust)}))(t).Role.Arn)
	must(anonSTS(soft).AssumeRoleWithWebIdentity(ctx, &sts.AssumeRoleWithWebIdentityInput{RoleArn: aws.String(roleARN),
		RoleSessionName: aws.String("soft"), WebIdentityToken: aws.String(is.token(t, is.key, nil))}))(t)
	recs := decisionsOf(t, soft, url.Values{"denied": {"true"}})
	if len(recs) != 1 || recs[0]["action"] != "sts:AssumeRoleWithWebIdentity" || recs[0]["enforced"] != false ||
		recs[0]["principal"] != aws.ToString(prov.OpenIDConnectProviderArn) {
		t.Errorf("soft decisions: %v", recs)
	}
	_, err := anonSTS(soft).AssumeRoleWithWebIdentity(ctx, &sts.AssumeRoleWithWebIdentityInput{RoleArn: aws.String(roleARN),
		RoleSessionName: aws.String("soft"), WebIdentityToken: aws.String(is.token(t, is.key, map[string]any{"aud": "x"}))})
	apiErr(t, err, "InvalidIdentityToken", 400, "Incorrect token audience")

	strict := startServer(t, "", "--mode", "emulator")
	_, err = anonSTS(strict).AssumeRoleWithWebIdentity(ctx, &sts.AssumeRoleWithWebIdentityInput{
		RoleArn: aws.String("arn:aws:iam::123456789012:role/test-role"), RoleSessionName: aws.String("session-name"),
		WebIdentityToken: aws.String("????")})
	apiErr(t, err, "InvalidIdentityToken", 400)
}
