package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

func init() {
	register("env", "print the shell lines that point the AWS CLI and SDKs at Gatehouse", runEnv)
}

// endpointFile records, in DIR, where the running server listens, so `gatehouse env` and
// `gatehouse instance env` can print the right endpoint without being told the flags again.
const endpointFile = "endpoint.json"

type endpointInfo struct {
	Listen  string `json:"listen"`
	Console string `json:"console"`
	Region  string `json:"region"`
	Account string `json:"account"`
	Mode    string `json:"mode"`
}

func writeEndpointInfo(dir string, info endpointInfo) error {
	b, err := json.MarshalIndent(info, "", "  ")
	if err != nil {
		return err
	}
	tmp := filepath.Join(dir, endpointFile+".tmp")
	if err := os.WriteFile(tmp, append(b, '\n'), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(dir, endpointFile))
}

func readEndpointInfo(dir string) (endpointInfo, error) {
	info := endpointInfo{Listen: "127.0.0.1:7474", Region: "us-east-1"}
	b, err := os.ReadFile(filepath.Join(dir, endpointFile))
	if os.IsNotExist(err) {
		return info, nil
	}
	if err != nil {
		return info, err
	}
	if err := json.Unmarshal(b, &info); err != nil {
		return info, fmt.Errorf("%s: %w", filepath.Join(dir, endpointFile), err)
	}
	return info, nil
}

func runEnv(ctx context.Context, args []string, std IO) int {
	fs := newFlagSet("env", std)
	data := fs.String("data", "./gatehouse-data", "the state directory gatehouse serve uses")
	if err := parseWithEnv(fs, args, osGetenv); err != nil {
		return 2
	}
	dir, err := filepath.Abs(*data)
	if err != nil {
		fmt.Fprintf(std.Stderr, "gatehouse env: %v\n", err)
		return 1
	}
	info, err := readEndpointInfo(dir)
	if err != nil {
		fmt.Fprintf(std.Stderr, "gatehouse env: %v\n", err)
		return 1
	}
	fmt.Fprintf(std.Stdout, "export AWS_ENDPOINT_URL=http://%s\n", info.Listen)
	fmt.Fprintf(std.Stdout, "export AWS_SHARED_CREDENTIALS_FILE=%s\n", filepath.Join(dir, credentialsFile))
	fmt.Fprintf(std.Stdout, "export AWS_PROFILE=%s\n", credentialsProfile)
	fmt.Fprintf(std.Stdout, "export AWS_REGION=%s\n", info.Region)
	// AWS CLI v1 and older boto3 read only AWS_DEFAULT_REGION.
	fmt.Fprintf(std.Stdout, "export AWS_DEFAULT_REGION=%s\n", info.Region)
	return 0
}

// The root key is written as an AWS shared-credentials file (DESIGN.md, "Serve").
const (
	credentialsFile    = "credentials"
	credentialsProfile = "gatehouse"
)

// writeCredentialsFile writes the profile with mode 0600, replacing the file atomically.
func writeCredentialsFile(dir, keyID, secret string) error {
	body := fmt.Sprintf("[%s]\naws_access_key_id = %s\naws_secret_access_key = %s\n", credentialsProfile, keyID, secret)
	tmp := filepath.Join(dir, credentialsFile+".tmp")
	if err := os.WriteFile(tmp, []byte(body), 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(dir, credentialsFile))
}
