package main

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"
)

// The committed packages are exactly what the generator makes from the models: a change to
// the generator or the models without regenerating fails here.
func TestGeneratedUpToDate(t *testing.T) {
	models := filepath.Join("..", "..", "..", "..", "shared", "data", "aws-models")
	if _, err := os.Stat(models); err != nil {
		t.Skipf("models not found at %s: %v", models, err)
	}
	for _, svc := range services {
		t.Run(svc.Package, func(t *testing.T) {
			dir := t.TempDir()
			if err := generate(svc, filepath.Join(models, svc.Name, svc.Version), dir); err != nil {
				t.Fatal(err)
			}
			files, _ := filepath.Glob(filepath.Join(dir, "*.go"))
			if len(files) == 0 {
				t.Fatal("generator wrote nothing")
			}
			for _, f := range files {
				got, _ := os.ReadFile(f)
				committed, err := os.ReadFile(filepath.Join("..", svc.Package, filepath.Base(f)))
				if err != nil {
					t.Fatalf("%v: run go generate ./internal/awsproto", err)
				}
				if string(got) != string(committed) {
					t.Errorf("%s/%s is stale: run go generate ./internal/awsproto", svc.Package, filepath.Base(f))
				}
			}
		})
	}
}

func TestFirstSentence(t *testing.T) {
	for _, c := range []struct{ note, in, want string }{
		{"HTML stripped, first sentence kept", "<p>Creates a new IAM user. For information about quotas, see <a href=\"x\">IAM quotas</a>.</p>", "Creates a new IAM user."},
		{"entities unescaped, whitespace collapsed", "<p>The ARN &amp; its\n   path</p>", "The ARN & its path"},
		{"'e.g.' does not end a sentence", "<p>A name, e.g. alice. More.</p>", "A name, e.g. alice."},
		{"empty", "", ""},
	} {
		if got := firstSentence(c.in); got != c.want {
			t.Errorf("%s: got %q, want %q", c.note, got, c.want)
		}
	}
}

func TestGoPattern(t *testing.T) {
	for _, c := range []struct {
		note, java string
		match      []string
		noMatch    []string
	}{
		{"Java matches() needs the whole value", `[\w+=,.@-]+`, []string{"alice", "a.b@c"}, []string{"a b", "", "ok!"}},
		{"\\uXXXX ranges become \\x{XXXX}", `[\u0009\u000A\u000D\u0020-\u00FF]+`, []string{"{\n\t\"a\": 1}", "é"}, []string{"中", "\x01"}},
		{"alternation is anchored as a whole", `(\u002F)|(\u002F[\u0021-\u007E]+\u002F)`, []string{"/", "/a/b/"}, []string{"/a", "a/"}},
	} {
		src, err := goPattern(c.java)
		if err != nil {
			t.Fatalf("%s: %v", c.note, err)
		}
		re := regexp.MustCompile(src)
		for _, s := range c.match {
			if !re.MatchString(s) {
				t.Errorf("%s: %q should match %s", c.note, s, src)
			}
		}
		for _, s := range c.noMatch {
			if re.MatchString(s) {
				t.Errorf("%s: %q should not match %s", c.note, s, src)
			}
		}
	}
	if _, err := goPattern(`^[a-z0-9]([a-z0-9]|-(?!-)){1,61}[a-z0-9]$`); err == nil {
		t.Error("a lookahead compiled in RE2: lookaheadPatterns is no longer needed for it")
	}
}
