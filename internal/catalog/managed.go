package catalog

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	_ "embed"
	"encoding/base32"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
)

// The AWS managed policies, as moto 5.2.1 (Apache-2.0) republishes AWS's documents.
//
//go:embed data/aws-managed-policies.json.gz
var managedGz []byte

// ManagedPolicy is an AWS managed policy (https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_managed-vs-inline.html#aws-managed-policies):
// what GetPolicy and GetPolicyVersion return for it.
type ManagedPolicy struct {
	Name string // "AmazonS3FullAccess"
	Path string // "/", "/service-role/", "/aws-service-role/", "/job-function/"
	// ARN is arn:aws:iam::aws:policy<Path><Name>.
	ARN string
	// PolicyID is a stable ID in AWS's form ("ANPA" and 17 characters), derived from the
	// name so it is the same on every start and every node. AWS's own IDs for these policies
	// are not in the source data.
	PolicyID         string
	DefaultVersionID string // "v2"
	CreateDate       time.Time
	UpdateDate       time.Time
	// Document is the default version's policy document as compact JSON text.
	Document string
}

type managedIndex struct {
	sorted []ManagedPolicy // by name
	byName map[string]int
	byARN  map[string]int
}

var loadManaged = sync.OnceValue(func() *managedIndex {
	m, err := decodeManaged(managedGz)
	if err != nil {
		panic(fmt.Sprintf("catalog: embedded data/aws-managed-policies.json.gz: %v", err))
	}
	return m
})

// ManagedPolicies returns every AWS managed policy, sorted by name. The slice is the
// caller's own; the documents in it are shared strings.
func ManagedPolicies() []ManagedPolicy { return slices.Clone(loadManaged().sorted) }

// LookupManagedPolicy returns the AWS managed policy with the given name, which must match
// exactly ("AmazonS3FullAccess").
func LookupManagedPolicy(name string) (ManagedPolicy, bool) {
	m := loadManaged()
	i, ok := m.byName[name]
	if !ok {
		return ManagedPolicy{}, false
	}
	return m.sorted[i], true
}

// LookupManagedPolicyARN returns the AWS managed policy with the given ARN
// ("arn:aws:iam::aws:policy/service-role/AmazonEC2RoleforSSM"), which must match exactly.
func LookupManagedPolicyARN(arn string) (ManagedPolicy, bool) {
	m := loadManaged()
	i, ok := m.byARN[arn]
	if !ok {
		return ManagedPolicy{}, false
	}
	return m.sorted[i], true
}

// ManagedPolicyARNPrefix starts the ARN of every AWS managed policy; its account field is
// "aws" (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html#identifiers-arns).
const ManagedPolicyARNPrefix = "arn:aws:iam::aws:policy"

func decodeManaged(gz []byte) (*managedIndex, error) {
	raw, err := gunzip(gz)
	if err != nil {
		return nil, err
	}
	var in map[string]struct {
		Path             string          `json:"Path"`
		DefaultVersionID string          `json:"DefaultVersionId"`
		CreateDate       string          `json:"CreateDate"`
		UpdateDate       string          `json:"UpdateDate"`
		Document         json.RawMessage `json:"Document"`
	}
	if err := json.Unmarshal(raw, &in); err != nil {
		return nil, err
	}
	m := &managedIndex{
		sorted: make([]ManagedPolicy, 0, len(in)),
		byName: make(map[string]int, len(in)),
		byARN:  make(map[string]int, len(in)),
	}
	for name, p := range in {
		created, err := time.Parse(time.RFC3339, p.CreateDate)
		if err != nil {
			return nil, fmt.Errorf("%s: CreateDate: %w", name, err)
		}
		updated, err := time.Parse(time.RFC3339, p.UpdateDate)
		if err != nil {
			return nil, fmt.Errorf("%s: UpdateDate: %w", name, err)
		}
		if !strings.HasPrefix(p.Path, "/") || !strings.HasSuffix(p.Path, "/") {
			return nil, fmt.Errorf("%s: path %q", name, p.Path)
		}
		// The documents are stored compact already; compacting is only for a future copy
		// that is not (json.Unmarshal has validated them either way).
		doc := string(p.Document)
		if bytes.ContainsAny(p.Document, " \t\r\n") {
			var b bytes.Buffer
			if err := json.Compact(&b, p.Document); err != nil {
				return nil, fmt.Errorf("%s: document: %w", name, err)
			}
			doc = b.String()
		}
		m.sorted = append(m.sorted, ManagedPolicy{
			Name:             name,
			Path:             p.Path,
			ARN:              ManagedPolicyARNPrefix + p.Path + name,
			PolicyID:         managedPolicyID(name),
			DefaultVersionID: p.DefaultVersionID,
			CreateDate:       created.UTC(),
			UpdateDate:       updated.UTC(),
			Document:         doc,
		})
	}
	slices.SortFunc(m.sorted, func(a, b ManagedPolicy) int { return strings.Compare(a.Name, b.Name) })
	for i, p := range m.sorted {
		m.byName[p.Name] = i
		m.byARN[p.ARN] = i
	}
	return m, nil
}

// managedPolicyID derives "ANPA" and 17 characters of base32 (the alphabet of AWS's unique
// IDs, https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html#identifiers-unique-ids)
// from a hash of the name.
func managedPolicyID(name string) string {
	sum := sha256.Sum256([]byte("gatehouse aws managed policy\x00" + name))
	return "ANPA" + base32.StdEncoding.EncodeToString(sum[:])[:17]
}

// gunzip decompresses a gzip member into a buffer sized from its trailer (ISIZE, the
// uncompressed length modulo 2³², RFC 1952 section 2.3.1), saving the copies a growing
// buffer would make.
func gunzip(gz []byte) ([]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		return nil, err
	}
	size := 0
	if n := len(gz); n >= 4 {
		size = int(binary.LittleEndian.Uint32(gz[n-4:]))
	}
	buf := bytes.NewBuffer(make([]byte, 0, size+1))
	if _, err := buf.ReadFrom(zr); err != nil {
		return nil, err
	}
	return buf.Bytes(), zr.Close()
}
