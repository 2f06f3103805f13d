package catalog

import (
	_ "embed"
	"fmt"
	"strings"
	"sync"

	"gatehouse/internal/catalog/internal/format"
)

//go:embed data/services.json.gz
var servicesGz []byte

// index is the decoded service catalog with its lookup tables. Loading it decodes the
// header member (every service's name and condition keys, the global keys); a service's actions
// and resource types are decoded the first time something asks for that service, so a
// server that only ever looks at iam, sts, ec2 and s3 decodes only those.
type index struct {
	source   string
	services []*Service
	byPrefix map[string]*Service // lower-case prefix
	keys     map[string]ConditionKey

	templatesByPrefix  map[string][]keyTemplate
	templatesAnyPrefix []keyTemplate

	all func() []*Action // every action, sorted by service, then name
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
	h, members, err := format.Decode(gz)
	if err != nil {
		return nil, err
	}
	return buildIndex(h, members)
}

func buildIndex(h format.Header, details [][]byte) (*index, error) {
	c := &index{
		source:            h.Source,
		byPrefix:          make(map[string]*Service, len(h.Services)),
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
	for _, k := range h.Global {
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
	for i, fs := range h.Services {
		s := &Service{Prefix: fs.Prefix, Name: fs.Name, detail: details[i]}
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
	}
	for _, k := range foreign {
		addKey(k)
	}
	c.all = sync.OnceValue(func() []*Action {
		var all []*Action
		for _, s := range c.services {
			all = append(all, s.load().Actions...)
		}
		return all
	})
	return c, nil
}

// load decodes the service's actions and resource types on first use and returns s.
func (s *Service) load() *Service {
	s.once.Do(func() {
		if err := s.decodeDetail(); err != nil {
			panic(fmt.Sprintf("catalog: embedded data/services.json.gz: service %s: %v", s.Prefix, err))
		}
	})
	return s
}

func (s *Service) decodeDetail() error {
	d, err := format.DecodeDetail(s.detail)
	if err != nil {
		return err
	}
	types := make(map[string]*ResourceType, len(d.Resources))
	s.ResourceTypes = make([]*ResourceType, 0, len(d.Resources))
	for _, r := range d.Resources {
		rt := &ResourceType{Service: s, Name: r.Name, ARNFormat: r.ARN, ConditionKeys: r.Keys}
		s.ResourceTypes = append(s.ResourceTypes, rt)
		types[r.Name] = rt
	}
	s.Actions = make([]*Action, 0, len(d.Actions))
	s.byName = make(map[string]*Action, len(d.Actions))
	for _, fa := range d.Actions {
		level, ok := ParseAccessLevel(fa.Level)
		if !ok {
			return fmt.Errorf("%s: unknown access level %q", fa.Name, fa.Level)
		}
		full := s.Prefix + ":" + fa.Name
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
				return fmt.Errorf("%s: unknown resource type %q", full, ar.Type)
			}
			a.Resources = append(a.Resources, ActionResource{
				Type: rt, Required: ar.Required, ConditionKeys: ar.Keys, DependentActions: ar.Dependent,
			})
		}
		if _, dup := s.byName[a.lowerName]; dup {
			return fmt.Errorf("action %s listed twice", full)
		}
		s.byName[a.lowerName] = a
		s.Actions = append(s.Actions, a)
	}
	return nil
}
