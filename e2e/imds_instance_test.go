package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// instanceEnvLines runs `gatehouse instance env ID` and returns its exports as KEY=VALUE.
func instanceEnvLines(t *testing.T, inst *instance, id string) []string {
	t.Helper()
	out, err := exec.Command(binary, "instance", "env", id, "--data", inst.DataDir).Output()
	if err != nil {
		t.Fatalf("gatehouse instance env: %v", err)
	}
	var env []string
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if kv, ok := strings.CutPrefix(line, "export "); ok {
			env = append(env, kv)
		}
	}
	return env
}

// instanceExec runs CMD as the instance through `gatehouse instance exec`, in an
// environment that has the server's root credentials configured, so a command that used
// anything but the metadata service would act as root.
func instanceExec(t *testing.T, inst *instance, id string, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(binary, append([]string{"instance", "exec", "--data", inst.DataDir, id, "--"}, args...)...)
	cmd.Env = append(append(cleanAWSEnv(), gatehouseEnv(t, inst)...), "HOME="+t.TempDir())
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("instance exec: %v", err)
	}
	return strings.TrimSpace(out.String()), errb.String(), code
}

func launchWithRole(t *testing.T, inst *instance, tokens ec2types.HttpTokensState) string {
	t.Helper()
	kid, sec := rootCreds(t, inst)
	c := ec2Client(t, inst, kid, sec, "")
	out := must(c.RunInstances(ctxT(t), &ec2.RunInstancesInput{ImageId: aws.String("ami-12345678"), MinCount: aws.Int32(1), MaxCount: aws.Int32(1),
		IamInstanceProfile: &ec2types.IamInstanceProfileSpecification{Name: aws.String("role_1")},
		MetadataOptions:    &ec2types.InstanceMetadataOptionsRequest{HttpTokens: tokens}}))(t)
	return *out.Instances[0].InstanceId
}

// TestIMDSInstanceExecCLI is the tutorial's promise: code on the instance gets role_1's
// credentials from the metadata service — the AWS CLI and boto3 with no credentials
// configured act as assumed-role/role_1/INSTANCE-ID, and can do nothing beyond what role_1
// allows.
func TestIMDSInstanceExecCLI(t *testing.T) {
	if _, err := exec.LookPath("aws"); err != nil {
		t.Fatalf("the AWS CLI is needed: %v", err)
	}
	inst, root := newRootServer(t)
	tutorialRole(t, root)
	acct := accountID(t, root)
	id := launchWithRole(t, inst, ec2types.HttpTokensStateRequired)
	session := "arn:aws:sts::" + acct + ":assumed-role/role_1/" + id

	out, stderr, code := instanceExec(t, inst, id, "aws", "sts", "get-caller-identity", "--output", "json")
	var who struct{ Arn, UserId, Account string }
	if code != 0 || json.Unmarshal([]byte(out), &who) != nil || who.Arn != session || !strings.HasSuffix(who.UserId, ":"+id) {
		t.Fatalf("aws sts get-caller-identity as the instance: exit %d, %q\n%s", code, out, stderr)
	}
	_, stderr, code = instanceExec(t, inst, id, "aws", "iam", "list-users")
	if code == 0 || !strings.Contains(stderr, "(AccessDenied) when calling the ListUsers operation: User: "+session+" is not authorized to perform: iam:ListUsers") {
		t.Errorf("aws iam list-users as the instance: exit %d\n%s", code, stderr)
	}
	_, stderr, code = instanceExec(t, inst, id, "aws", "ec2", "describe-instances")
	if code == 0 || !strings.Contains(stderr, "(UnauthorizedOperation) when calling the DescribeInstances operation: You are not authorized to perform this operation. User: "+session) {
		t.Errorf("aws ec2 describe-instances as the instance: exit %d\n%s", code, stderr)
	}
	py := `import boto3; print(boto3.client("sts").get_caller_identity()["Arn"])`
	out, stderr, code = instanceExec(t, inst, id, "python3", "-c", py)
	if code != 0 || out != session {
		t.Errorf("boto3 as the instance: exit %d, %q, want %q\n%s", code, out, session, stderr)
	}
	// exec returns the command's exit code.
	if _, _, code := instanceExec(t, inst, id, "sh", "-c", "exit 7"); code != 7 {
		t.Errorf("exit code: got %d, want 7", code)
	}

	// The endpoint survives a restart of serve on the same port, so processes keep working.
	before := instanceEnvLines(t, inst, id)
	stopInstance(t, inst)
	inst = startServer(t, inst.DataDir)
	if after := instanceEnvLines(t, inst, id); after[0] != before[0] {
		t.Errorf("after restart the endpoint moved: %q, was %q", after[0], before[0])
	}
	out, stderr, code = instanceExec(t, inst, id, "aws", "sts", "get-caller-identity", "--query", "Arn", "--output", "text")
	if code != 0 || out != session {
		t.Errorf("after restart: exit %d, %q\n%s", code, out, stderr)
	}
}

// TestIMDSDefaultChainGoSDK: aws-sdk-go-v2's default credential chain, configured only by
// `gatehouse instance env`, gets the instance's credentials through IMDSv2 (the instance
// requires tokens, so IMDSv1 would fail), and a removed association takes them away.
func TestIMDSDefaultChainGoSDK(t *testing.T) {
	inst, root := newRootServer(t)
	tutorialRole(t, root)
	acct := accountID(t, root)
	id := launchWithRole(t, inst, ec2types.HttpTokensStateRequired)

	for _, k := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_EC2_METADATA_DISABLED"} {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
	t.Setenv("AWS_CONFIG_FILE", os.DevNull)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", os.DevNull)
	var endpoint string
	for _, kv := range instanceEnvLines(t, inst, id) {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
		if k == "AWS_EC2_METADATA_SERVICE_ENDPOINT" {
			endpoint = v
		}
	}
	ctx := ctxT(t)
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		t.Fatal(err)
	}
	creds, err := cfg.Credentials.Retrieve(ctx)
	if err != nil {
		t.Fatalf("default chain: %v", err)
	}
	if creds.Source != "EC2RoleProvider" || !strings.HasPrefix(creds.AccessKeyID, "ASIA") || !creds.CanExpire {
		t.Errorf("default chain: got source %q key %s, want EC2RoleProvider and ASIA…", creds.Source, creds.AccessKeyID)
	}
	who := must(sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}))(t)
	if want := "arn:aws:sts::" + acct + ":assumed-role/role_1/" + id; *who.Arn != want {
		t.Errorf("GetCallerIdentity: got %s, want %s", *who.Arn, want)
	}

	// The raw endpoint: IMDSv1 refused, a proxied token request refused.
	resp := must(http.Get(endpoint + "latest/meta-data/instance-id"))(t)
	resp.Body.Close()
	if resp.StatusCode != 401 {
		t.Errorf("IMDSv1 with tokens required: got %d, want 401", resp.StatusCode)
	}
	put := func(hdr map[string]string) (int, string) {
		req, _ := http.NewRequest("PUT", endpoint+"latest/api/token", nil)
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		resp := must(http.DefaultClient.Do(req))(t)
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if st, _ := put(map[string]string{"X-aws-ec2-metadata-token-ttl-seconds": "60", "X-Forwarded-For": "203.0.113.9"}); st != 403 {
		t.Errorf("token PUT with X-Forwarded-For: got %d, want 403", st)
	}
	st, tok := put(map[string]string{"X-aws-ec2-metadata-token-ttl-seconds": "60"})
	if st != 200 {
		t.Fatalf("token PUT: got %d", st)
	}
	get := func(path string) (int, string) {
		req, _ := http.NewRequest("GET", endpoint+path, nil)
		req.Header.Set("X-aws-ec2-metadata-token", tok)
		resp := must(http.DefaultClient.Do(req))(t)
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if st, body := get("latest/meta-data/iam/security-credentials/"); st != 200 || body != "role_1" {
		t.Errorf("security-credentials/: got %d %q", st, body)
	}

	// Disassociate: the endpoint stops serving credentials at once.
	kid, sec := rootCreds(t, inst)
	c := ec2Client(t, inst, kid, sec, "")
	list := must(c.DescribeIamInstanceProfileAssociations(ctx, &ec2.DescribeIamInstanceProfileAssociationsInput{
		Filters: []ec2types.Filter{{Name: aws.String("instance-id"), Values: []string{id}}}}))(t)
	must(c.DisassociateIamInstanceProfile(ctx, &ec2.DisassociateIamInstanceProfileInput{
		AssociationId: list.IamInstanceProfileAssociations[0].AssociationId}))(t)
	if st, _ := get("latest/meta-data/iam/security-credentials/role_1"); st != 404 {
		t.Errorf("credentials after disassociate: got %d, want 404", st)
	}
	// Terminating the instance closes its endpoint.
	must(c.TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: []string{id}}))(t)
	if out, err := exec.Command(binary, "instance", "env", id, "--data", inst.DataDir).CombinedOutput(); err == nil {
		t.Errorf("instance env of a terminated instance succeeded: %s", out)
	}
}
