// Package authmsg owns the encoded authorization failure message: the JSON document that
// says why a request was denied, as STS DecodeAuthorizationMessage returns it, and its
// sealed, URL-safe form that EC2's UnauthorizedOperation errors carry
// (https://docs.aws.amazon.com/STS/latest/APIReference/API_DecodeAuthorizationMessage.html).
//
// The message is sealed because it can hold what the caller may not see (the statements
// that denied it, other principals' IDs): only a holder of the session keyring opens it,
// nobody can forge or alter one, and it is bound to the account it was issued in.
package authmsg

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"gatehouse/internal/policy"
)

// Message is the decoded document. Field names, their order and the {"items": […]} lists
// follow the messages AWS returns, e.g. the decode-authorization-message example in
// https://docs.aws.amazon.com/IAM/latest/UserGuide/sts_example_sts_DecodeAuthorizationMessage_section.html.
type Message struct {
	Allowed           bool            `json:"allowed"`
	ExplicitDeny      bool            `json:"explicitDeny"`
	MatchedStatements List[Statement] `json:"matchedStatements"`
	Failures          List[Value]     `json:"failures"`
	Context           Context         `json:"context"`
}

// Statement is a policy statement that applied to the request.
type Statement struct {
	StatementID     string          `json:"statementId"`
	Effect          string          `json:"effect"` // "ALLOW" or "DENY"
	Principals      List[Value]     `json:"principals"`
	PrincipalGroups List[Value]     `json:"principalGroups"`
	Actions         List[Value]     `json:"actions"`
	Resources       List[Value]     `json:"resources"`
	Conditions      List[Condition] `json:"conditions"`
}

// Context is the request as the policy engine saw it.
type Context struct {
	Principal  Principal       `json:"principal"`
	Action     string          `json:"action"`
	Resource   string          `json:"resource"`
	Conditions List[Condition] `json:"conditions"`
}

// Principal is the caller: its unique ID (AIDA… for a user, AROA…:session for a role
// session), a user's name, and its ARN.
type Principal struct {
	ID   string `json:"id"`
	Name string `json:"name,omitempty"`
	ARN  string `json:"arn"`
}

// Condition is a condition key with its values: a request context key, or a statement's
// condition (AWS lists the key and values, not the operator).
type Condition struct {
	Key    string      `json:"key"`
	Values List[Value] `json:"values"`
}

// Value is one item of a list.
type Value struct {
	Value string `json:"value"`
}

// List is AWS's list wrapper, {"items": […]}; an empty list is "items": [], never null.
type List[T any] struct {
	Items []T
}

// MarshalJSON writes {"items": […]}.
func (l List[T]) MarshalJSON() ([]byte, error) {
	items := l.Items
	if items == nil {
		items = []T{}
	}
	return json.Marshal(struct {
		Items []T `json:"items"`
	}{items})
}

// UnmarshalJSON reads {"items": […]}, rejecting other members.
func (l *List[T]) UnmarshalJSON(b []byte) error {
	var w struct {
		Items []T `json:"items"`
	}
	if err := strictUnmarshal(b, &w); err != nil {
		return err
	}
	l.Items = w.Items
	return nil
}

// Values returns a list of the given values.
func Values(vs ...string) List[Value] {
	out := make([]Value, len(vs))
	for i, v := range vs {
		out[i] = Value{v}
	}
	return List[Value]{out}
}

// NewCondition returns a condition key with its values.
func NewCondition(key string, values ...string) Condition {
	return Condition{Key: key, Values: Values(values...)}
}

// SortConditions orders conditions by key, so a message is the same for the same request
// whatever order its keys were gathered in.
func SortConditions(cs []Condition) {
	slices.SortStableFunc(cs, func(a, b Condition) int { return strings.Compare(a.Key, b.Key) })
}

// Effect is a statement effect as messages spell it: "ALLOW" or "DENY".
func Effect(e policy.Effect) string {
	if e == policy.Deny {
		return "DENY"
	}
	return "ALLOW"
}

// FromStatement describes a parsed policy statement that applied to a request made by the
// principals (unique IDs) listed, through the groups (unique IDs) listed. A statement
// with NotAction or NotResource lists those patterns as its actions or resources, as the
// document has no other place for them.
func FromStatement(st *policy.Statement, principals, groups []string) Statement {
	out := Statement{
		StatementID:     st.Sid,
		Effect:          Effect(st.Effect),
		Principals:      Values(principals...),
		PrincipalGroups: Values(groups...),
		Actions:         Values(st.Action...),
		Resources:       Values(st.Resource...),
	}
	for _, c := range st.Condition {
		out.Conditions.Items = append(out.Conditions.Items, NewCondition(c.Key, c.Values...))
	}
	return out
}

// ResourceKeys returns the request context keys AWS derives from the resource ARN and
// shows in a message's context: aws:ARN, aws:Account, aws:Region, aws:Service, aws:Type and
// aws:Resource (the decode-authorization-message example lists them beside the service's
// own keys). region stands in for an ARN without one (IAM's); a resource that is not an
// ARN ("*") yields none.
func ResourceKeys(resourceARN, region string) []Condition {
	parts := strings.SplitN(resourceARN, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" {
		return nil
	}
	service, arnRegion, account, resource := parts[2], parts[3], parts[4], parts[5]
	if arnRegion != "" {
		region = arnRegion
	}
	typ, _, _ := strings.Cut(resource, "/")
	out := []Condition{NewCondition("aws:ARN", resourceARN)}
	if account != "" {
		out = append(out, NewCondition("aws:Account", account))
	}
	if region != "" {
		out = append(out, NewCondition("aws:Region", region))
	}
	out = append(out, NewCondition("aws:Service", service), NewCondition("aws:Type", typ),
		NewCondition("aws:Resource", resource))
	return out
}

// MaxEncodedLen is the longest EncodedMessage DecodeAuthorizationMessage accepts
// (Length Constraints: Maximum length of 10240); Seal never returns a longer one.
const MaxEncodedLen = 10240

// version is the sealed record's format: version(1) ‖ issued Unix seconds(8) ‖ JSON.
const version = 1

const recordHeader = 1 + 8

// sealOverhead is what the keyring adds around a record (key ID, nonce, GCM tag), before
// base64url without padding.
const sealOverhead = 1 + 12 + 16

// maxJSON is the longest document whose sealed form fits MaxEncodedLen.
const maxJSON = MaxEncodedLen/4*3 - sealOverhead - recordHeader

// Sentinels of Open: both are InvalidAuthorizationMessageException at the edge.
var (
	// ErrInvalid: the message does not open for this account (garbled, forged, truncated,
	// issued in another account, or sealed under a key no node holds any more).
	ErrInvalid = errors.New("authmsg: invalid message")
	// ErrExpired: the message opened but is older than its lifetime.
	ErrExpired = errors.New("authmsg: message expired")
)

// Sealer seals and opens records under a rotating server keyring; *sts.Service is one.
type Sealer interface {
	SealRecord(record, associatedData []byte) (string, error)
	OpenRecord(ctx context.Context, sealed string, associatedData []byte) ([]byte, error)
}

// associatedData binds a message to its purpose and account: it never opens as a session
// token (whose associated data is an access key ID), nor in another account.
func associatedData(account string) []byte {
	return []byte("gatehouse/authorization-message/" + account)
}

// Seal encodes m for the account it was issued in. A document too long for
// MaxEncodedLen loses, in turn, its last context keys, its last matched statements, and
// the lists of the one statement left, until it fits: the decision, principal, action and
// resource are always kept. m is modified in place when trimmed.
func Seal(s Sealer, account string, issued time.Time, m *Message) (string, error) {
	doc, err := json.Marshal(m)
	if err != nil {
		return "", fmt.Errorf("authmsg: %w", err)
	}
	for len(doc) > maxJSON {
		if !trim(m, len(doc)-maxJSON) {
			return "", fmt.Errorf("authmsg: message of %d bytes does not fit", len(doc))
		}
		if doc, err = json.Marshal(m); err != nil {
			return "", fmt.Errorf("authmsg: %w", err)
		}
	}
	rec := make([]byte, recordHeader, recordHeader+len(doc))
	rec[0] = version
	binary.BigEndian.PutUint64(rec[1:], uint64(issued.Unix()))
	rec = append(rec, doc...)
	return s.SealRecord(rec, associatedData(account))
}

// trim drops trailing items of the first list of m that may lose some, enough of them to
// shorten the document by excess bytes if that list can; false when nothing is left to
// drop. Each item is sized once, so trimming costs about one marshal of the document.
func trim(m *Message, excess int) bool {
	if dropTail(&m.Context.Conditions.Items, excess, 0) {
		return true
	}
	if dropTail(&m.MatchedStatements.Items, excess, 1) {
		return true
	}
	if len(m.MatchedStatements.Items) == 1 {
		st := &m.MatchedStatements.Items[0]
		for _, l := range []*[]Value{&st.Actions.Items, &st.Resources.Items, &st.Principals.Items, &st.PrincipalGroups.Items} {
			if dropTail(l, excess, 0) {
				return true
			}
		}
		return dropTail(&st.Conditions.Items, excess, 0)
	}
	return false
}

// dropTail removes items from the end of *l, keeping at least keep, until the removed
// items' JSON (with their commas) covers excess bytes; false when it removed none.
func dropTail[T any](l *[]T, excess, keep int) bool {
	n := len(*l)
	freed := 0
	for n > keep && freed < excess {
		n--
		b, err := json.Marshal((*l)[n])
		if err != nil {
			return false
		}
		freed += len(b) + 1
	}
	if n == len(*l) {
		return false
	}
	*l = (*l)[:n]
	return true
}

// Open returns the JSON document sealed in encoded for account: ErrInvalid when it does
// not open, ErrExpired when it was issued more than lifetime before now ("This can happen
// if the token contains invalid characters, such as line breaks, or if the message has
// expired", InvalidAuthorizationMessageException).
func Open(ctx context.Context, s Sealer, account string, now time.Time, lifetime time.Duration, encoded string) ([]byte, error) {
	if len(encoded) == 0 || len(encoded) > MaxEncodedLen || !urlSafe(encoded) {
		return nil, ErrInvalid
	}
	rec, err := s.OpenRecord(ctx, encoded, associatedData(account))
	if err != nil || len(rec) < recordHeader || rec[0] != version {
		return nil, ErrInvalid
	}
	issued := time.Unix(int64(binary.BigEndian.Uint64(rec[1:recordHeader])), 0)
	if now.Sub(issued) > lifetime {
		return nil, ErrExpired
	}
	doc := rec[recordHeader:]
	if !json.Valid(doc) {
		// Only a bug could seal this, but the caller gets a document it can parse or none.
		return nil, ErrInvalid
	}
	return doc, nil
}

// urlSafe reports whether s holds only base64url characters. Go's decoder skips line
// breaks, but a message with one inside is not the message Seal returned (AWS names line
// breaks as what makes a message invalid).
func urlSafe(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// Parse reads a decoded document strictly: unknown members are an error. Tests and tools
// use it to check a document against AWS's shape.
func Parse(doc []byte) (*Message, error) {
	var m Message
	if err := strictUnmarshal(doc, &m); err != nil {
		return nil, err
	}
	return &m, nil
}

func strictUnmarshal(b []byte, v any) error {
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("authmsg: trailing data after the document")
	}
	return nil
}
