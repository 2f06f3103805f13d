package e2e

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"gatehouse/internal/store/storetest"
)

// Several `gatehouse serve` processes sharing one PostgreSQL store (DESIGN.md: "PostgreSQL
// for several nodes"; "the node that made a change sees it at once, other nodes within a
// second").

// pgTestSchema gives the nodes a schema of the test's own (storetest.PostgresSchema),
// registered before they start so that it is dropped after they have stopped.
func pgTestSchema(t *testing.T) string { return storetest.PostgresSchema(t, "e2e_") }

func newMasterKey(t *testing.T) string {
	t.Helper()
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// eventually retries check until it returns nil or within passes, and returns how long
// it took; the last error fails the test.
func eventually(t *testing.T, within time.Duration, what string, check func() error) time.Duration {
	t.Helper()
	start := time.Now()
	for {
		err := check()
		if err == nil {
			return time.Since(start)
		}
		if time.Since(start) > within {
			t.Fatalf("%s: not within %v: %v", what, within, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func errCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	if err != nil {
		return err.Error()
	}
	return ""
}

// Two nodes start at once on an empty database: exactly one creates the account and its
// root key. Then what one node changes, the other enforces within about a second: keys,
// policies, users, sessions.
func TestMultiNodePostgres(t *testing.T) {
	dsn := pgTestSchema(t)
	env := []string{"GATEHOUSE_MASTER_KEY=" + newMasterKey(t)}
	// Both first starts race on the empty store.
	a := launchServer(t, "", env, "--store", dsn)
	b := launchServer(t, "", env, "--store", dsn)
	waitHealthy(t, a)
	waitHealthy(t, b)

	creators := rootCredentialFiles(a, b)
	if len(creators) != 1 {
		t.Fatalf("%d nodes wrote a root credentials file, want exactly 1", len(creators))
	}
	rootID, rootSecret := rootCreds(t, creators[0])
	ctx := ctxT(t)
	rootA, rootB := iamClient(t, a, rootID, rootSecret), iamClient(t, b, rootID, rootSecret)
	acct := accountID(t, rootA)
	if got := accountID(t, rootB); got != acct {
		t.Fatalf("node B serves account %s, node A %s", got, acct)
	}
	rootKeys := must(rootB.ListAccessKeys(ctx, &iam.ListAccessKeysInput{}))(t).AccessKeyMetadata
	if len(rootKeys) != 1 || aws.ToString(rootKeys[0].AccessKeyId) != rootID {
		t.Fatalf("root has keys %+v, want just %s", rootKeys, rootID)
	}

	// A user, a key and a policy made on A work on B.
	must(rootA.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("alice")}))(t)
	k := must(rootA.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("alice")}))(t).AccessKey
	keyID, secret := aws.ToString(k.AccessKeyId), aws.ToString(k.SecretAccessKey)
	must(rootA.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("alice"), PolicyName: aws.String("p"),
		PolicyDocument: aws.String(allowDoc(`["iam:GetUser","iam:ListUsers","sts:AssumeRole"]`, `"*"`))}))(t)
	aliceB := iamClient(t, b, keyID, secret)
	must(aliceB.ListUsers(ctx, &iam.ListUsersInput{}))(t)
	must(aliceB.GetUser(ctx, &iam.GetUserInput{}))(t)

	// Its last use, noted on B, reaches GetAccessKeyLastUsed on A.
	eventually(t, 5*time.Second, "alice's key use on B seen on A", func() error {
		out, err := rootA.GetAccessKeyLastUsed(ctx, &iam.GetAccessKeyLastUsedInput{AccessKeyId: aws.String(keyID)})
		if err != nil {
			return err
		}
		if out.AccessKeyLastUsed == nil || out.AccessKeyLastUsed.LastUsedDate == nil {
			return fmt.Errorf("no LastUsedDate")
		}
		return nil
	})

	// A policy changed on A: B's decision follows.
	must(rootA.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("alice"), PolicyName: aws.String("p"),
		PolicyDocument: aws.String(allowDoc(`["iam:GetUser","sts:AssumeRole"]`, `"*"`))}))(t)
	took := eventually(t, 2*time.Second, "ListUsers refused on B after A narrowed the policy", func() error {
		_, err := aliceB.ListUsers(ctx, &iam.ListUsersInput{})
		if errCode(err) != "AccessDenied" {
			return fmt.Errorf("ListUsers: %v, want AccessDenied", err)
		}
		return nil
	})
	t.Logf("policy change reached B after %v", took)

	// UpdateUser on A: GetUser on B (whose answer B has read before) shows the new path.
	must(rootB.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("alice")}))(t)
	must(rootA.UpdateUser(ctx, &iam.UpdateUserInput{UserName: aws.String("alice"), NewPath: aws.String("/moved/")}))(t)
	eventually(t, 2*time.Second, "GetUser on B after UpdateUser on A", func() error {
		out, err := rootB.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("alice")})
		if err != nil {
			return err
		}
		if p := aws.ToString(out.User.Path); p != "/moved/" {
			return fmt.Errorf("path %q, want /moved/", p)
		}
		return nil
	})

	// A session issued on A works on B.
	trust := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::%s:root"},"Action":"sts:AssumeRole"}]}`, acct)
	role := must(rootA.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("reader"),
		AssumeRolePolicyDocument: aws.String(trust)}))(t).Role
	must(rootA.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("reader"), PolicyName: aws.String("read"),
		PolicyDocument: aws.String(allowDoc(`"iam:ListUsers"`, `"*"`))}))(t)
	assumed := must(stsClient(a, keyID, secret, "").AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: role.Arn,
		RoleSessionName: aws.String("s1")}))(t)
	who := must(sessionSTS(b, assumed.Credentials).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}))(t)
	if want := "arn:aws:sts::" + acct + ":assumed-role/reader/s1"; aws.ToString(who.Arn) != want {
		t.Fatalf("the session on B is %s, want %s", aws.ToString(who.Arn), want)
	}
	sessB := sessionIAM(b, assumed.Credentials)
	must(sessB.ListUsers(ctx, &iam.ListUsersInput{}))(t)
	// The role's policy removed on A: the session is refused on B.
	must(rootA.DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{RoleName: aws.String("reader"), PolicyName: aws.String("read")}))(t)
	eventually(t, 2*time.Second, "the session refused on B after A removed the role's policy", func() error {
		_, err := sessB.ListUsers(ctx, &iam.ListUsersInput{})
		if errCode(err) != "AccessDenied" {
			return fmt.Errorf("ListUsers: %v, want AccessDenied", err)
		}
		return nil
	})

	// The key deactivated on A is refused on B (whose key cache holds it) within about a
	// second, and works again once reactivated; deleted, it is refused for good.
	must(aliceB.GetUser(ctx, &iam.GetUserInput{}))(t)
	must(rootA.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{UserName: aws.String("alice"), AccessKeyId: aws.String(keyID),
		Status: "Inactive"}))(t)
	took = eventually(t, 2*time.Second, "the deactivated key refused on B", func() error {
		_, err := aliceB.GetUser(ctx, &iam.GetUserInput{})
		if errCode(err) != "InvalidClientTokenId" {
			return fmt.Errorf("GetUser: %v, want InvalidClientTokenId", err)
		}
		return nil
	})
	t.Logf("deactivation reached B after %v", took)
	must(rootA.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{UserName: aws.String("alice"), AccessKeyId: aws.String(keyID),
		Status: "Active"}))(t)
	eventually(t, 2*time.Second, "the reactivated key accepted on B", func() error {
		_, err := aliceB.GetUser(ctx, &iam.GetUserInput{})
		return err
	})
	must(rootA.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{UserName: aws.String("alice"), AccessKeyId: aws.String(keyID)}))(t)
	eventually(t, 2*time.Second, "the deleted key refused on B", func() error {
		_, err := aliceB.GetUser(ctx, &iam.GetUserInput{})
		if errCode(err) != "InvalidClientTokenId" {
			return fmt.Errorf("GetUser: %v, want InvalidClientTokenId", err)
		}
		return nil
	})

	// An instance launched through A gets a metadata endpoint on B too (each node serves
	// every running instance, on a port of its own); terminated through B, A closes its
	// endpoint.
	run := must(ec2Client(t, a, rootID, rootSecret, "").RunInstances(ctx, &ec2.RunInstancesInput{
		ImageId: aws.String("ami-12345678"), MinCount: aws.Int32(1), MaxCount: aws.Int32(1)}))(t)
	instID := aws.ToString(run.Instances[0].InstanceId)
	for _, inst := range []*instance{a, b} {
		eventually(t, 2*time.Second, "the instance's metadata endpoint on "+inst.DataDir, func() error {
			got, err := instanceMetadata(inst, instID, "latest/meta-data/instance-id")
			if err != nil {
				return err
			}
			if got != instID {
				return fmt.Errorf("instance-id %q, want %s", got, instID)
			}
			return nil
		})
	}
	must(ec2Client(t, b, rootID, rootSecret, "").TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: []string{instID}}))(t)
	eventually(t, 2*time.Second, "A closed the terminated instance's endpoint", func() error {
		if _, err := os.Stat(filepath.Join(a.DataDir, "instances", instID+".json")); !os.IsNotExist(err) {
			return fmt.Errorf("A's record of the instance is still there (stat: %v)", err)
		}
		return nil
	})

	// A node whose master key is not the store's refuses to start, saying why, and seals
	// nothing under its key.
	c := launchServer(t, "", []string{"GATEHOUSE_MASTER_KEY=" + newMasterKey(t)}, "--store", dsn)
	done := make(chan error, 1)
	go func() { <-c.scanned; done <- c.cmd.Wait() }()
	select {
	case err := <-done:
		if err == nil {
			t.Fatalf("a node with another master key started")
		}
		if logs := c.logs.String(); !strings.Contains(logs, "same key") {
			t.Fatalf("a node with another master key failed without naming the master key:\n%s", logs)
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("a node with another master key is still running:\n%s", c.logs.String())
	}
}

// instanceMetadata reads path from the metadata endpoint that inst opened for an instance
// (its record in DATA/instances), with an IMDSv2 token.
func instanceMetadata(inst *instance, id, path string) (string, error) {
	b, err := os.ReadFile(filepath.Join(inst.DataDir, "instances", id+".json"))
	if err != nil {
		return "", err
	}
	var rec struct {
		Endpoint string `json:"endpoint"`
	}
	if err := json.Unmarshal(b, &rec); err != nil {
		return "", err
	}
	req, _ := http.NewRequest(http.MethodPut, rec.Endpoint+"latest/api/token", nil)
	req.Header.Set("X-Aws-Ec2-Metadata-Token-Ttl-Seconds", "60")
	token, err := imdsFetch(req)
	if err != nil {
		return "", err
	}
	req, _ = http.NewRequest(http.MethodGet, rec.Endpoint+path, nil)
	req.Header.Set("X-Aws-Ec2-Metadata-Token", token)
	return imdsFetch(req)
}

func imdsFetch(req *http.Request) (string, error) {
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("%s %s: %s: %s", req.Method, req.URL, resp.Status, b)
	}
	return string(b), nil
}

// Emulator mode on a shared store: /moto-api/reset through one node empties the accounts
// for every node — the other drops its cached keys and read results within about a second.
func TestMultiNodeEmulatorReset(t *testing.T) {
	dsn := pgTestSchema(t)
	env := []string{"GATEHOUSE_MASTER_KEY=" + newMasterKey(t)}
	a := launchServer(t, "", env, "--store", dsn, "--mode", "emulator")
	b := launchServer(t, "", env, "--store", dsn, "--mode", "emulator")
	waitHealthy(t, a)
	waitHealthy(t, b)
	creators := rootCredentialFiles(a, b)
	if len(creators) != 1 {
		t.Fatalf("%d nodes wrote a root credentials file, want exactly 1", len(creators))
	}
	rootID, rootSecret := rootCreds(t, creators[0])
	ctx := ctxT(t)
	rootA, rootB := iamClient(t, a, rootID, rootSecret), iamClient(t, b, rootID, rootSecret)
	must(rootA.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("alice")}))(t)
	k := must(rootA.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("alice")}))(t).AccessKey
	aliceB := stsClient(b, aws.ToString(k.AccessKeyId), aws.ToString(k.SecretAccessKey), "")
	aliceARN := "arn:aws:iam::123456789012:user/alice"
	// B caches alice's key and her GetUser answer.
	if who := must(aliceB.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}))(t); aws.ToString(who.Arn) != aliceARN {
		t.Fatalf("alice's key on B is %s, want %s", aws.ToString(who.Arn), aliceARN)
	}
	must(rootB.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("alice")}))(t)

	resp, err := http.Post(a.Endpoint+"/moto-api/reset", "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST /moto-api/reset: %s", resp.Status)
	}
	took := eventually(t, 2*time.Second, "alice gone on B after a reset through A", func() error {
		if _, err := rootB.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("alice")}); errCode(err) != "NoSuchEntity" {
			return fmt.Errorf("GetUser alice: %v, want NoSuchEntity", err)
		}
		// An unknown key is the account's root in emulator mode (docs/emulator.md), so
		// alice's deleted key no longer makes the caller alice.
		who, err := aliceB.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		if err != nil {
			return err
		}
		if aws.ToString(who.Arn) == aliceARN {
			return fmt.Errorf("alice's deleted key is still alice on B")
		}
		return nil
	})
	t.Logf("the reset reached B after %v", took)
	// The root key survives the reset on both nodes.
	must(rootB.ListUsers(ctx, &iam.ListUsersInput{}))(t)
}

// rootCredentialFiles returns the nodes that wrote DIR/credentials: those that created the
// account on first start.
func rootCredentialFiles(nodes ...*instance) []*instance {
	var out []*instance
	for _, inst := range nodes {
		if _, err := os.Stat(filepath.Join(inst.DataDir, "credentials")); err == nil {
			out = append(out, inst)
		}
	}
	return out
}
