package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"gatehouse/internal/arn"
	"gatehouse/internal/awserr"
	"gatehouse/internal/awsproto/iamapi"
	"gatehouse/internal/iam"
	"gatehouse/internal/imds"
	"gatehouse/internal/sts"
)

func init() {
	register("instance", "act as an EC2 instance: env ID prints its metadata endpoint; exec ID -- CMD runs CMD as it", runInstance)
}

// profileRoles finds the role in an instance profile for the metadata service.
type profileRoles struct{ iam *iam.Service }

func (p profileRoles) ProfileRole(ctx context.Context, profileARN string) (sts.Role, bool, error) {
	roleARN, err := p.iam.InstanceProfileRole(ctx, profileARN)
	var ae *awserr.Error
	if errors.As(err, &ae) && ae.Code == "NoSuchEntity" {
		return sts.Role{}, false, nil // the profile was deleted: no credentials, as on EC2
	}
	if err != nil || roleARN == "" {
		return sts.Role{}, false, err
	}
	a, err := arn.Parse(roleARN)
	if err != nil {
		return sts.Role{}, false, err
	}
	name := a.Resource[strings.LastIndexByte(a.Resource, '/')+1:]
	out, err := p.iam.GetRole(ctx, iam.Account{ID: a.Account, Partition: a.Partition}, &iamapi.GetRoleInput{RoleName: &name})
	if errors.As(err, &ae) && ae.Code == "NoSuchEntity" {
		return sts.Role{}, false, nil
	}
	if err != nil {
		return sts.Role{}, false, err
	}
	r := sts.Role{ARN: out.Role.Arn, ID: out.Role.RoleId, Account: a.Account, Partition: a.Partition, MaxSessionDuration: 3600}
	if out.Role.MaxSessionDuration != nil {
		r.MaxSessionDuration = int(*out.Role.MaxSessionDuration)
	}
	return r, true, nil
}

// credentialVars are the settings that would win over the instance metadata service in the
// SDKs' default credential chains
// (https://docs.aws.amazon.com/sdkref/latest/guide/standardized-credentials.html), and
// AWS_EC2_METADATA_DISABLED, which would switch it off; `instance env` unsets them.
var credentialVars = []string{
	"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN",
	"AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SHARED_CREDENTIALS_FILE",
	"AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN", "AWS_ROLE_SESSION_NAME",
	"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
	"AWS_CONTAINER_AUTHORIZATION_TOKEN", "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
	"AWS_EC2_METADATA_DISABLED", "AWS_EC2_METADATA_V1_DISABLED",
}

// instanceEnv is the environment that makes the AWS CLI and SDKs act as the instance: the
// metadata endpoint (a base URL, to which the SDKs append latest/…), IPv4 mode, and the
// API endpoint and region of the server.
func instanceEnv(dataDir, id string) ([][2]string, error) {
	rec, err := imds.ReadRecord(dataDir, id)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("instance %s has no metadata endpoint in %s: it does not exist or is not running (is gatehouse serve running?)", id, dataDir)
	}
	if err != nil {
		return nil, err
	}
	info, err := readEndpointInfo(dataDir)
	if err != nil {
		return nil, err
	}
	region := rec.Region
	if region == "" {
		region = info.Region
	}
	return [][2]string{
		{"AWS_EC2_METADATA_SERVICE_ENDPOINT", rec.Endpoint},
		{"AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE", "IPv4"},
		{"AWS_ENDPOINT_URL", "http://" + info.Listen},
		{"AWS_REGION", region},
		{"AWS_DEFAULT_REGION", region},
	}, nil
}

func runInstance(ctx context.Context, args []string, std IO) int {
	if len(args) == 0 || (args[0] != "env" && args[0] != "exec") {
		fmt.Fprintln(std.Stderr, "usage: gatehouse instance env ID [--data DIR]")
		fmt.Fprintln(std.Stderr, "       gatehouse instance exec [--data DIR] [--netns] ID -- CMD [ARG…]")
		return 2
	}
	sub := args[0]
	fset := newFlagSet("instance "+sub, std)
	data := fset.String("data", "./gatehouse-data", "the state directory gatehouse serve uses")
	netns := fset.Bool("netns", false, "exec only, Linux as root: run CMD in a network namespace where 169.254.169.254 is the instance's metadata service")
	// Flags may come before or after the ID: take the ID out first.
	rest := args[1:]
	var id string
	var cmdArgs []string
	var flagArgs []string
	for i := 0; i < len(rest); i++ {
		a := rest[i]
		switch {
		case a == "--":
			cmdArgs = rest[i+1:]
			i = len(rest)
		case strings.HasPrefix(a, "-"):
			flagArgs = append(flagArgs, a)
			if !strings.Contains(a, "=") && i+1 < len(rest) && (a == "--data" || a == "-data") {
				flagArgs = append(flagArgs, rest[i+1])
				i++
			}
		case id == "":
			id = a
		default:
			cmdArgs = rest[i:]
			i = len(rest)
		}
	}
	if err := parseWithEnv(fset, flagArgs, osGetenv); err != nil {
		return 2
	}
	if id == "" {
		fmt.Fprintf(std.Stderr, "gatehouse instance %s: an instance ID is required\n", sub)
		return 2
	}
	dir, err := filepath.Abs(*data)
	if err != nil {
		fmt.Fprintf(std.Stderr, "gatehouse instance %s: %v\n", sub, err)
		return 1
	}
	env, err := instanceEnv(dir, id)
	if err != nil {
		fmt.Fprintf(std.Stderr, "gatehouse instance %s: %v\n", sub, err)
		return 1
	}
	if sub == "env" {
		fmt.Fprintf(std.Stdout, "unset %s\n", strings.Join(credentialVars, " "))
		for _, kv := range env {
			fmt.Fprintf(std.Stdout, "export %s=%s\n", kv[0], kv[1])
		}
		return 0
	}
	if len(cmdArgs) == 0 {
		fmt.Fprintln(std.Stderr, "gatehouse instance exec: a command is required after the instance ID")
		return 2
	}
	cmd := exec.CommandContext(ctx, cmdArgs[0], cmdArgs[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = std.Stdin, std.Stdout, std.Stderr
	if *netns {
		// Inside the namespace the SDKs' default, http://169.254.169.254/, is the
		// instance's endpoint, and the API endpoint's address is forwarded too: nothing
		// but the region and the API endpoint is configured.
		meta, api := strings.TrimSuffix(strings.TrimPrefix(env[0][1], "http://"), "/"), strings.TrimPrefix(env[2][1], "http://")
		cmd.Env = execEnv(os.Environ(), env[2:])
		cmd.Env = slices.DeleteFunc(cmd.Env, func(kv string) bool { return strings.HasPrefix(kv, "AWS_EC2_METADATA_SERVICE_ENDPOINT") })
		stop, err := imds.StartInNamespace(cmd, meta, []string{api})
		if err != nil {
			fmt.Fprintf(std.Stderr, "gatehouse instance exec --netns: %v\n", err)
			return 1
		}
		err = cmd.Wait()
		stop()
		return exitCode(err, std)
	}
	cmd.Env = execEnv(os.Environ(), env)
	return exitCode(cmd.Run(), std)
}

// exitCode is the exit code of a command that ran (or could not start).
func exitCode(err error, std IO) int {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ee.ExitCode() >= 0 {
			return ee.ExitCode()
		}
		return 128 + 15 // killed by a signal
	}
	if err != nil {
		fmt.Fprintf(std.Stderr, "gatehouse instance exec: %v\n", err)
		return 127
	}
	return 0
}

// execEnv is base without the credential settings and with the instance's.
func execEnv(base []string, env [][2]string) []string {
	drop := make(map[string]bool, len(credentialVars)+len(env))
	for _, k := range credentialVars {
		drop[k] = true
	}
	for _, kv := range env {
		drop[kv[0]] = true
	}
	out := make([]string, 0, len(base)+len(env))
	for _, kv := range base {
		k, _, _ := strings.Cut(kv, "=")
		if !drop[k] {
			out = append(out, kv)
		}
	}
	for _, kv := range env {
		out = append(out, kv[0]+"="+kv[1])
	}
	sort.Strings(out)
	return out
}
