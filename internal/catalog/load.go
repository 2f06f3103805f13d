package catalog

import (
	"bytes"
	"compress/gzip"
	_ "embed"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"strings"
	"sync"

	"gatehouse/internal/catalog/internal/format"
)

//go:embed data/services.json.gz
var servicesGz []byte

// index is the decoded service catalog with its lookup tables.
type index struct {
	source   string
	services []*Service
	byPrefix map[string]*Service // lower-case prefix
	actions  map[string]*Action  // lower-case "s3:getobject"
	all      []*Action           // every action, sorted by service, then name
	keys     map[string]ConditionKey

	templatesByPrefix  map[string][]keyTemplate
	templatesAnyPrefix []keyTemplate
}

// load decodes the embedded catalog on first use. The data is generated and checked by
// this package's tests, so a failure to decode is a build defect, not a runtime condition:
// it panics rather than make every lookup return an error no caller could act on.
var load = sync.OnceValue(func() *index {
	c, err := decode(servicesGz)
	if err != nil {
		panic(fmt.Sprintf("catalog: embedded data/services.json.gz: %v", err))
	}
	return c
})

func decode(gz []byte) (*index, error) {
	raw, err := gunzip(gz)
	if err != nil {
		return nil, err
	}
	var f format.Catalog
	if err := json.Unmarshal(raw, &f); err != nil {
		return nil, err
	}
	return buildIndex(&f)
}

func buildIndex(f *format.Catalog) (*index, error) {
	c := &index{
		source:            f.Source,
		byPrefix:          make(map[string]*Service, len(f.Services)),
		actions:           make(map[string]*Action, 25000),
		keys:              make(map[string]ConditionKey, 3000),
		templatesByPrefix: map[string][]keyTemplate{},
	}
	addKey := func(k ConditionKey) {
		lower := strings.ToLower(k.Name)
		if _, dup := c.keys[lower]; dup {
			return
		}
		c.keys[lower] = k
		if t, ok := parseKeyTemplate(k); ok {
			if p := t.templatePrefix(); p != "" {
				c.templatesByPrefix[p] = append(c.templatesByPrefix[p], t)
			} else {
				c.templatesAnyPrefix = append(c.templatesAnyPrefix, t)
			}
		}
	}
	// The global keys come first: where a service repeats one (every taggable service lists
	// aws:RequestTag/${TagKey}), the global description of it wins.
	for _, k := range f.Global {
		t, ok := ParseConditionType(k.Type)
		if !ok {
			return nil, fmt.Errorf("global key %s: unknown type %q", k.Name, k.Type)
		}
		addKey(ConditionKey{Name: k.Name, Type: t, Description: k.Description, Global: true})
	}

	// Keys that a service defines under another service's prefix (sts lists
	// iam:ResourceTag/${TagKey}) are added after every service's own keys, so that the
	// owning service's entry is the one a lookup finds.
	var foreign []ConditionKey
	for _, fs := range f.Services {
		s := &Service{Prefix: fs.Prefix, Name: fs.Name}
		lowerPrefix := strings.ToLower(fs.Prefix)
		if _, dup := c.byPrefix[lowerPrefix]; dup {
			return nil, fmt.Errorf("service %s listed twice", fs.Prefix)
		}
		c.byPrefix[lowerPrefix] = s
		c.services = append(c.services, s)

		for _, k := range fs.Keys {
			t, ok := ParseConditionType(k.Type)
			if !ok {
				return nil, fmt.Errorf("%s key %s: unknown type %q", fs.Prefix, k.Name, k.Type)
			}
			ck := ConditionKey{Name: k.Name, Type: t, Description: k.Description}
			s.ConditionKeys = append(s.ConditionKeys, ck)
			if p, _, _ := strings.Cut(strings.ToLower(k.Name), ":"); p == lowerPrefix {
				addKey(ck)
			} else {
				foreign = append(foreign, ck)
			}
		}

		types := make(map[string]*ResourceType, len(fs.Resources))
		for _, r := range fs.Resources {
			rt := &ResourceType{Service: s, Name: r.Name, ARNFormat: r.ARN, ConditionKeys: r.Keys}
			s.ResourceTypes = append(s.ResourceTypes, rt)
			types[r.Name] = rt
		}

		s.Actions = make([]*Action, 0, len(fs.Actions))
		for _, fa := range fs.Actions {
			level, ok := ParseAccessLevel(fa.Level)
			if !ok {
				return nil, fmt.Errorf("%s:%s: unknown access level %q", fs.Prefix, fa.Name, fa.Level)
			}
			full := fs.Prefix + ":" + fa.Name
			a := &Action{
				Service:          s,
				Name:             fa.Name,
				Description:      fa.Description,
				AccessLevel:      level,
				ConditionKeys:    fa.Keys,
				DependentActions: fa.Dependent,
				full:             full,
				lower:            strings.ToLower(full),
				lowerName:        strings.ToLower(fa.Name),
			}
			for _, ar := range fa.Resources {
				rt, ok := types[ar.Type]
				if !ok {
					return nil, fmt.Errorf("%s: unknown resource type %q", full, ar.Type)
				}
				a.Resources = append(a.Resources, ActionResource{
					Type: rt, Required: ar.Required, ConditionKeys: ar.Keys, DependentActions: ar.Dependent,
				})
			}
			if _, dup := c.actions[a.lower]; dup {
				return nil, fmt.Errorf("action %s listed twice", full)
			}
			c.actions[a.lower] = a
			s.Actions = append(s.Actions, a)
			c.all = append(c.all, a)
		}
	}
	for _, k := range foreign {
		addKey(k)
	}
	return c, nil
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
