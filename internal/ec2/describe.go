package ec2

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"strconv"
	"strings"

	"gatehouse/internal/awsproto/ec2api"
	"gatehouse/internal/kv"
)

// Filter is one Filter.N of a Describe call: the instance matches when any value matches
// (values may hold * and ? wildcards); several filters must all match
// (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/Query-Requests.html#query-filtering).
type Filter struct {
	Name   string
	Values []string
}

// Query is a checked DescribeInstances request.
type Query struct {
	IDs        []string
	Filters    []Filter
	MaxResults int // 0: no limit
	NextToken  string
}

// instanceFilters are the DescribeInstances filters Gatehouse answers; each reads the
// attribute values a filter value is matched against. tag:KEY is handled apart.
var instanceFilters = map[string]func(*Instance) []string{
	"instance-id":         func(i *Instance) []string { return []string{i.ID} },
	"instance-state-name": func(i *Instance) []string { return []string{i.State.String()} },
	"instance-state-code": func(i *Instance) []string { return []string{strconv.Itoa(int(i.State.Code()))} },
	"image-id":            func(i *Instance) []string { return []string{i.ImageID} },
	"instance-type":       func(i *Instance) []string { return []string{i.Type} },
	"reservation-id":      func(i *Instance) []string { return []string{i.ReservationID} },
	"availability-zone":   func(i *Instance) []string { return []string{i.AvailabilityZone} },
	"owner-id":            func(i *Instance) []string { return []string{i.Account} },
	"iam-instance-profile.arn": func(i *Instance) []string {
		if i.Association == nil {
			return nil
		}
		return []string{i.Association.Profile.ARN}
	},
	"iam-instance-profile.id": func(i *Instance) []string {
		if i.Association == nil {
			return nil
		}
		return []string{i.Association.Profile.ID}
	},
	"tag-key": func(i *Instance) []string {
		out := make([]string, len(i.Tags))
		for n, t := range i.Tags {
			out[n] = t.Key
		}
		return out
	},
	"metadata-options.http-tokens":   func(i *Instance) []string { return []string{i.Metadata.Tokens.String()} },
	"metadata-options.http-endpoint": func(i *Instance) []string { return []string{i.Metadata.Endpoint.String()} },
}

// compiledFilter matches one instance attribute.
type compiledFilter struct {
	values func(*Instance) []string
	want   []string
}

func compileFilters(fs []Filter, known map[string]func(*Instance) []string) ([]compiledFilter, error) {
	out := make([]compiledFilter, 0, len(fs))
	for _, f := range fs {
		var get func(*Instance) []string
		if key, ok := strings.CutPrefix(f.Name, "tag:"); ok && key != "" {
			get = func(i *Instance) []string {
				var vs []string
				for _, t := range i.Tags {
					if t.Key == key {
						vs = append(vs, t.Value)
					}
				}
				return vs
			}
		} else if get = known[f.Name]; get == nil {
			return nil, ec2api.InvalidParameterValue("The filter '%s' is invalid", f.Name)
		}
		out = append(out, compiledFilter{values: get, want: f.Values})
	}
	return out, nil
}

func (f compiledFilter) match(in *Instance) bool {
	for _, have := range f.values(in) {
		for _, w := range f.want {
			if wildcard(w, have) {
				return true
			}
		}
	}
	return false
}

// wildcard matches EC2's filter wildcards: * any sequence, ? one character; a backslash
// escapes either.
func wildcard(pattern, s string) bool {
	if !strings.ContainsAny(pattern, `*?\`) {
		return pattern == s
	}
	// path.Match has the same * and ? and backslash escapes; '/' is the only character
	// it treats apart and '[' the only other special one, so quote both.
	p := strings.NewReplacer("[", `\[`, "/", "\x00").Replace(pattern)
	ok, err := path.Match(p, strings.ReplaceAll(s, "/", "\x00"))
	return err == nil && ok
}

// checkMaxResults applies DescribeInstances' rule: "You cannot specify this parameter and
// the instance IDs parameter in the same request", and the range 5..1000
// (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeInstances.html).
func checkMaxResults(n, hasIDs int, idsParam string) error {
	if n == 0 {
		return nil
	}
	if hasIDs > 0 {
		return ec2api.InvalidParameterCombination("The parameter %s cannot be used with the parameter maxResults", idsParam)
	}
	if n < 5 || n > 1000 {
		return ec2api.InvalidParameterValue("Value ( %d ) for parameter maxResults is invalid. Expecting a value between 5 and 1000.", n)
	}
	return nil
}

// token is an opaque NextToken: the last key of the page, base64 with a marker so that a
// token of another call is refused.
func encodeToken(kind, after string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(kind + "\x00" + after))
}

func decodeToken(kind, tok string) (string, error) {
	b, err := base64.RawURLEncoding.Strict().DecodeString(tok)
	if err == nil {
		// Only the token this package wrote: base64 decoders skip newlines, which would
		// let many strings stand for one token.
		if after, ok := strings.CutPrefix(string(b), kind+"\x00"); ok && encodeToken(kind, after) == tok {
			return after, nil
		}
	}
	return "", ec2api.InvalidNextToken("The token '%s' is invalid.", tok)
}

// Describe lists the account's visible instances that the query names and its filters
// match, ordered by ID, one page at a time.
func (s *Service) Describe(ctx context.Context, a Account, q Query) ([]Instance, string, error) {
	if err := CheckInstanceIDs(q.IDs); err != nil {
		return nil, "", err
	}
	if err := checkMaxResults(q.MaxResults, len(q.IDs), "instancesSet"); err != nil {
		return nil, "", err
	}
	fs, err := compileFilters(q.Filters, instanceFilters)
	if err != nil {
		return nil, "", err
	}
	after := ""
	if q.NextToken != "" {
		if after, err = decodeToken("i", q.NextToken); err != nil {
			return nil, "", err
		}
	}
	var out []Instance
	next := ""
	err = s.opt.Store.View(ctx, func(tx kv.Tx) error {
		out, next = out[:0], ""
		if len(q.IDs) > 0 {
			var missing []string
			for _, id := range dedupe(q.IDs) {
				in, err := getInstance(tx, a.ID, id)
				if err != nil && !isNotFound(err) {
					return err
				}
				if in == nil || !s.visible(in) {
					missing = append(missing, id)
					continue
				}
				if matchAll(fs, in) {
					out = append(out, *in)
				}
			}
			if len(missing) > 0 {
				return errNoInstance(missing...)
			}
			return nil
		}
		key := ""
		if after != "" {
			key = instanceKey(a.ID, after)
		}
		for {
			page, err := tx.List(instancePrefix(a.ID), key, 500)
			if err != nil {
				return err
			}
			for _, p := range page {
				var in Instance
				if err := json.Unmarshal(p.Value, &in); err != nil {
					return fmt.Errorf("ec2: %s: %w", p.Key, err)
				}
				if !s.visible(&in) || !matchAll(fs, &in) {
					continue
				}
				if q.MaxResults > 0 && len(out) == q.MaxResults {
					next = encodeToken("i", out[len(out)-1].ID)
					return nil
				}
				out = append(out, in)
			}
			if len(page) < 500 {
				return nil
			}
			key = page[len(page)-1].Key
		}
	})
	if err != nil {
		return nil, "", err
	}
	return out, next, nil
}

func isNotFound(err error) bool { return errors.Is(err, errNotFoundCode) }

func matchAll(fs []compiledFilter, in *Instance) bool {
	for _, f := range fs {
		if !f.match(in) {
			return false
		}
	}
	return true
}
