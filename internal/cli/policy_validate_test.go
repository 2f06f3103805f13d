package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"gatehouse/internal/catalog"
)

func runValidate(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = runPolicyValidate(context.Background(), args, IO{Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errb})
	return code, out.String(), errb.String()
}

func TestPolicyValidate(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("testdata", "validate.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cases []struct {
		Note        string
		Args        []string
		Exit        int
		Stdout      []string
		StdoutCount *int
		Stderr      string
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cases); err != nil {
		t.Fatal(err)
	}
	// The cases name files relative to testdata, as a user in that directory would.
	t.Chdir("testdata")
	for _, tc := range cases {
		t.Run(strings.Join(tc.Args, " "), func(t *testing.T) {
			code, out, errs := runValidate(t, "", tc.Args...)
			if code != tc.Exit {
				t.Errorf("%s\nexit %d, want %d; stderr %q", tc.Note, code, tc.Exit, errs)
			}
			var lines []string
			if out != "" {
				lines = strings.Split(strings.TrimSuffix(out, "\n"), "\n")
			}
			if tc.StdoutCount != nil {
				if len(lines) != *tc.StdoutCount {
					t.Errorf("%s\n%d output lines, want %d:\n%s", tc.Note, len(lines), *tc.StdoutCount, out)
				}
			} else if !slices.Equal(lines, tc.Stdout) && !(len(lines) == 0 && len(tc.Stdout) == 0) {
				t.Errorf("%s\nstdout:\n%s\nwant:\n%s", tc.Note, out, strings.Join(tc.Stdout, "\n"))
			}
			if !strings.Contains(errs, tc.Stderr) {
				t.Errorf("%s\nstderr %q, want it to contain %q", tc.Note, errs, tc.Stderr)
			}
		})
	}
}

func TestPolicyValidateStdin(t *testing.T) {
	code, out, _ := runValidate(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::my_bucket"}]}`, "-")
	if code != 0 || !strings.HasPrefix(out, "-: WARNING Statement[0].Action: s3:GetObject acts on") || !strings.Contains(out, "arn:aws:s3:::my_bucket/*") {
		t.Errorf("exit %d, stdout %q", code, out)
	}
}

// TestPolicyValidateManaged validates the tutorial's managed policies as a user would,
// from files: AmazonEC2FullAccess (step 1) and AmazonS3FullAccess (step 4) have no error.
func TestPolicyValidateManaged(t *testing.T) {
	dir := t.TempDir()
	var files []string
	for _, name := range []string{"AmazonEC2FullAccess", "AmazonS3FullAccess", "IAMUserChangePassword"} {
		p, ok := catalog.LookupManagedPolicy(name)
		if !ok {
			t.Fatalf("no managed policy %s", name)
		}
		f := filepath.Join(dir, name+".json")
		if err := os.WriteFile(f, []byte(p.Document), 0o600); err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	code, out, errs := runValidate(t, "", files...)
	if code != 0 || strings.Contains(out, " ERROR ") {
		t.Errorf("exit %d, stdout %q, stderr %q", code, out, errs)
	}
}

// TestPolicyValidateRegistered runs the command through Main, as the binary does.
func TestPolicyValidateRegistered(t *testing.T) {
	var out, errb bytes.Buffer
	code := Main(context.Background(), []string{"policy", "validate", "-"}, strings.NewReader(`{"Statement":[`), &out, &errb)
	if code != 1 || !strings.Contains(out.String(), "JSON_SYNTAX_ERROR") {
		t.Errorf("exit %d, stdout %q, stderr %q", code, out.String(), errb.String())
	}
}
