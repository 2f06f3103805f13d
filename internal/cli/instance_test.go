package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestExecEnvDropsCredentials(t *testing.T) {
	base := []string{"PATH=/bin", "AWS_ACCESS_KEY_ID=AKIA", "AWS_SECRET_ACCESS_KEY=s", "AWS_PROFILE=p",
		"AWS_SHARED_CREDENTIALS_FILE=/c", "AWS_EC2_METADATA_DISABLED=true", "AWS_REGION=eu-west-1", "HOME=/root"}
	got := execEnv(base, [][2]string{{"AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://127.0.0.1:1/"}, {"AWS_REGION", "us-east-1"}})
	want := []string{"AWS_EC2_METADATA_SERVICE_ENDPOINT=http://127.0.0.1:1/", "AWS_REGION=us-east-1", "HOME=/root", "PATH=/bin"}
	if !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestInstanceEnvAndExec(t *testing.T) {
	dir := t.TempDir()
	id := "i-0123456789abcdef0"
	if err := os.MkdirAll(filepath.Join(dir, "instances"), 0o700); err != nil {
		t.Fatal(err)
	}
	rec := `{"instanceId":"` + id + `","account":"111122223333","region":"eu-west-1","endpoint":"http://127.0.0.1:4242/"}`
	if err := os.WriteFile(filepath.Join(dir, "instances", id+".json"), []byte(rec), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := writeEndpointInfo(dir, endpointInfo{Listen: "127.0.0.1:7777", Region: "eu-west-1"}); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	std := IO{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb}
	if code := runInstance(context.Background(), []string{"env", id, "--data", dir}, std); code != 0 {
		t.Fatalf("env: exit %d: %s", code, errb.String())
	}
	for _, line := range []string{"export AWS_EC2_METADATA_SERVICE_ENDPOINT=http://127.0.0.1:4242/",
		"export AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE=IPv4", "export AWS_ENDPOINT_URL=http://127.0.0.1:7777",
		"export AWS_REGION=eu-west-1"} {
		if !strings.Contains(out.String(), line+"\n") {
			t.Errorf("env output lacks %q:\n%s", line, out.String())
		}
	}
	if !strings.HasPrefix(out.String(), "unset AWS_ACCESS_KEY_ID ") {
		t.Errorf("env output does not unset credentials first:\n%s", out.String())
	}

	out.Reset()
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIAEXAMPLE")
	code := runInstance(context.Background(), []string{"exec", "--data", dir, id, "--", "sh", "-c",
		`echo "$AWS_EC2_METADATA_SERVICE_ENDPOINT|${AWS_ACCESS_KEY_ID-unset}"; exit 3`}, std)
	if code != 3 || out.String() != "http://127.0.0.1:4242/|unset\n" {
		t.Errorf("exec: got exit %d, output %q; want 3 and the endpoint without the key", code, out.String())
	}
	errb.Reset()
	if code := runInstance(context.Background(), []string{"env", "i-0000000000000000f", "--data", dir}, std); code != 1 ||
		!strings.Contains(errb.String(), "is not running") {
		t.Errorf("unknown instance: got exit %d, %q", code, errb.String())
	}
}
