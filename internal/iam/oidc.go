package iam

import (
	"context"
	"encoding/hex"
	"net/url"
	"slices"
	"strings"
	"time"

	"gatehouse/internal/awserr"
	"gatehouse/internal/awsproto/iamapi"
	"gatehouse/internal/kv"
)

// OpenID Connect identity providers
// (https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateOpenIDConnectProvider.html,
// https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_providers_create_oidc.html).
// A provider is named by its URL without the scheme: https://token.example.com/a becomes
// arn:aws:iam::ACCT:oidc-provider/token.example.com/a. Stored under
// a/<acct>/oidc/<host/path> with the host lower-cased (DNS names are case-insensitive;
// the path is not).

const (
	maxOIDCThumbprints = 5   // "Thumbprints per OIDC provider: 5" (IAM quotas)
	maxOIDCClientIDs   = 100 // "Client IDs per OIDC provider: 100"
	maxOIDCProviders   = 100 // "Identity providers (IdPs) associated with an IAM SAML/OIDC provider object"
)

const kindOIDC entityKind = "oidc"

func (k keys) oidcPrefix() string          { return k.base() + "oidc/" }
func (k keys) oidc(resource string) string { return k.oidcPrefix() + resource }
func (a Account) oidcARN(resource string) string {
	return "arn:" + a.partition() + ":iam::" + a.ID + ":oidc-provider/" + resource
}

type oidcRecord struct {
	Resource    string      `json:"resource"` // host/path, the URL without https://
	ClientIDs   []string    `json:"clientIds,omitempty"`
	Thumbprints []string    `json:"thumbprints,omitempty"`
	Created     time.Time   `json:"created"`
	Tags        []tagRecord `json:"tags,omitempty"`
}

// oidcResource parses a provider URL as IAM accepts it: https, a host, no query or
// fragment. The result is host[:port]/path without a trailing slash.
func oidcResource(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil || !strings.EqualFold(u.Scheme, "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return "", awserr.ValidationError("Invalid Open ID Connect Provider URL")
	}
	return strings.ToLower(u.Host) + strings.TrimRight(u.EscapedPath(), "/"), nil
}

// checkThumbprints enforces 40 hexadecimal characters (a SHA-1 of the IdP's certificate)
// and at most five. Since 2023 IAM accepts an empty list and secures the provider with its
// own trusted CA library instead.
func checkThumbprints(ts []string) ([]string, error) {
	if len(ts) > maxOIDCThumbprints {
		// IAM's sentence says "fewer than 5" although five are allowed (recorded against AWS
		// with six in LocalStack's test_create_open_id_connect_provider_too_many_thumbprints).
		return nil, invalidInput("Thumbprint list must contain fewer than %d entries.", maxOIDCThumbprints)
	}
	out := make([]string, 0, len(ts))
	for _, t := range ts {
		if _, err := hex.DecodeString(t); err != nil || len(t) != 40 {
			return nil, invalidInput("Thumbprint %s is not a valid SHA-1 fingerprint: it must be 40 hexadecimal characters.", t)
		}
		out = append(out, strings.ToLower(t))
	}
	return out, nil
}

func checkClientIDs(ids []string) ([]string, error) {
	var out []string
	for _, id := range ids {
		if id == "" || len(id) > 255 {
			return nil, awserr.ValidationError("1 validation error detected: Value at 'clientIDList' failed to satisfy constraint: Member must have length between 1 and 255")
		}
		if !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	if len(out) > maxOIDCClientIDs {
		return nil, quota("ClientIdsPerOpenIdConnectProvider", maxOIDCClientIDs)
	}
	return out, nil
}

func oidcNotFound(arn string) *awserr.Error {
	return noSuchEntity("OpenIDConnect Provider not found for arn %s", arn)
}

// oidcFromARN returns the provider resource an ARN of this account names.
func (a Account) oidcFromARN(arn string) (string, bool) {
	prefix := a.oidcARN("")
	if !strings.HasPrefix(arn, prefix) || len(arn) == len(prefix) {
		return "", false
	}
	return arn[len(prefix):], true
}

func getOIDC(tx kv.Tx, a Account, arn string) (oidcRecord, error) {
	var rec oidcRecord
	res, ok := a.oidcFromARN(arn)
	if !ok {
		return rec, oidcNotFound(arn)
	}
	found, err := getJSON(tx, keysFor(a.ID).oidc(res), &rec)
	if err != nil {
		return rec, err
	}
	if !found {
		return rec, oidcNotFound(arn)
	}
	return rec, nil
}

func (s *Service) CreateOpenIDConnectProvider(ctx context.Context, a Account, in *iamapi.CreateOpenIDConnectProviderInput) (*iamapi.CreateOpenIDConnectProviderOutput, error) {
	res, err := oidcResource(str(in.Url))
	if err != nil {
		return nil, err
	}
	thumbs, err := checkThumbprints(in.ThumbprintList)
	if err != nil {
		return nil, err
	}
	clients, err := checkClientIDs(in.ClientIDList)
	if err != nil {
		return nil, err
	}
	tags := tagsIn(in.Tags)
	if err := checkNewTags(tags); err != nil {
		return nil, err
	}
	err = s.update(ctx, a, "CreateOpenIDConnectProvider", func() string { return "oidc-provider/" + res }, func(t *txn) error {
		if found, err := exists(t.tx, t.k.oidc(res)); err != nil {
			return err
		} else if found {
			return entityAlreadyExists("Provider with url %s already exists.", str(in.Url))
		}
		if err := t.count(kindOIDC, 1, maxOIDCProviders, "OpenIdConnectProvidersPerAccount"); err != nil {
			return err
		}
		return putJSON(t.tx, t.k.oidc(res), oidcRecord{Resource: res, ClientIDs: clients, Thumbprints: thumbs, Created: t.now, Tags: tags})
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.CreateOpenIDConnectProviderOutput{OpenIDConnectProviderArn: ptr(a.oidcARN(res)), Tags: tagsOut(tags)}, nil
}

func (s *Service) GetOpenIDConnectProvider(ctx context.Context, a Account, in *iamapi.GetOpenIDConnectProviderInput) (*iamapi.GetOpenIDConnectProviderOutput, error) {
	var rec oidcRecord
	err := s.view(ctx, func(tx kv.Tx) error {
		var err error
		rec, err = getOIDC(tx, a, str(in.OpenIDConnectProviderArn))
		return err
	})
	if err != nil {
		return nil, err
	}
	// IAM reports the URL without its scheme, as the ARN names it.
	return &iamapi.GetOpenIDConnectProviderOutput{Url: ptr(rec.Resource), ClientIDList: nonNil(rec.ClientIDs),
		ThumbprintList: nonNil(rec.Thumbprints), CreateDate: timePtr(rec.Created), Tags: append([]iamapi.Tag{}, tagsOut(rec.Tags)...)}, nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// DeleteOpenIDConnectProvider of a provider that does not exist is NoSuchEntity. The API
// reference still says the operation "does not fail or return an error if you call the
// operation for a provider that does not exist", but AWS answers a second delete with
// "OpenId connect Provider <arn> cannot be found." (recorded in LocalStack's
// test_iam_oidc.py::test_delete_open_id_connect_provider, 2026).
func (s *Service) DeleteOpenIDConnectProvider(ctx context.Context, a Account, in *iamapi.DeleteOpenIDConnectProviderInput) (*iamapi.DeleteOpenIDConnectProviderOutput, error) {
	arn := str(in.OpenIDConnectProviderArn)
	err := s.update(ctx, a, "DeleteOpenIDConnectProvider", func() string { return arn }, func(t *txn) error {
		rec, err := getOIDC(t.tx, a, arn)
		if isNoSuchEntity(err) {
			return noSuchEntity("OpenId connect Provider %s cannot be found.", arn)
		}
		if err != nil {
			return err
		}
		if err := t.count(kindOIDC, -1, 0, ""); err != nil {
			return err
		}
		return t.tx.Delete(t.k.oidc(rec.Resource))
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.DeleteOpenIDConnectProviderOutput{}, nil
}

func (s *Service) ListOpenIDConnectProviders(ctx context.Context, a Account, in *iamapi.ListOpenIDConnectProvidersInput) (*iamapi.ListOpenIDConnectProvidersOutput, error) {
	out := &iamapi.ListOpenIDConnectProvidersOutput{OpenIDConnectProviderList: []iamapi.OpenIDConnectProviderListEntry{}}
	err := s.view(ctx, func(tx kv.Tx) error {
		ps, err := listAll(tx, keysFor(a.ID).oidcPrefix())
		for _, p := range ps {
			out.OpenIDConnectProviderList = append(out.OpenIDConnectProviderList,
				iamapi.OpenIDConnectProviderListEntry{Arn: ptr(a.oidcARN(p.Key[len(keysFor(a.ID).oidcPrefix()):]))})
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// modifyOIDC runs fn on a provider's record and stores the result.
func (s *Service) modifyOIDC(ctx context.Context, a Account, action, arn string, fn func(r *oidcRecord) error) error {
	return s.update(ctx, a, action, func() string { return arn }, func(t *txn) error {
		rec, err := getOIDC(t.tx, a, arn)
		if err != nil {
			return err
		}
		if err := fn(&rec); err != nil {
			return err
		}
		return putJSON(t.tx, t.k.oidc(rec.Resource), rec)
	})
}

// AddClientIDToOpenIDConnectProvider is idempotent: adding a client ID the provider has
// already succeeds (API reference).
func (s *Service) AddClientIDToOpenIDConnectProvider(ctx context.Context, a Account, in *iamapi.AddClientIDToOpenIDConnectProviderInput) (*iamapi.AddClientIDToOpenIDConnectProviderOutput, error) {
	err := s.modifyOIDC(ctx, a, "AddClientIDToOpenIDConnectProvider", str(in.OpenIDConnectProviderArn), func(r *oidcRecord) error {
		ids, err := checkClientIDs(append(slices.Clone(r.ClientIDs), str(in.ClientID)))
		r.ClientIDs = ids
		return err
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.AddClientIDToOpenIDConnectProviderOutput{}, nil
}

// RemoveClientIDFromOpenIDConnectProvider is idempotent too: removing a client ID that is
// not there succeeds.
func (s *Service) RemoveClientIDFromOpenIDConnectProvider(ctx context.Context, a Account, in *iamapi.RemoveClientIDFromOpenIDConnectProviderInput) (*iamapi.RemoveClientIDFromOpenIDConnectProviderOutput, error) {
	err := s.modifyOIDC(ctx, a, "RemoveClientIDFromOpenIDConnectProvider", str(in.OpenIDConnectProviderArn), func(r *oidcRecord) error {
		r.ClientIDs = slices.DeleteFunc(r.ClientIDs, func(id string) bool { return id == str(in.ClientID) })
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.RemoveClientIDFromOpenIDConnectProviderOutput{}, nil
}

// UpdateOpenIDConnectProviderThumbprint replaces the whole list.
func (s *Service) UpdateOpenIDConnectProviderThumbprint(ctx context.Context, a Account, in *iamapi.UpdateOpenIDConnectProviderThumbprintInput) (*iamapi.UpdateOpenIDConnectProviderThumbprintOutput, error) {
	thumbs, err := checkThumbprints(in.ThumbprintList)
	if err != nil {
		return nil, err
	}
	err = s.modifyOIDC(ctx, a, "UpdateOpenIDConnectProviderThumbprint", str(in.OpenIDConnectProviderArn), func(r *oidcRecord) error {
		r.Thumbprints = thumbs
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.UpdateOpenIDConnectProviderThumbprintOutput{}, nil
}

func (s *Service) TagOpenIDConnectProvider(ctx context.Context, a Account, in *iamapi.TagOpenIDConnectProviderInput) (*iamapi.TagOpenIDConnectProviderOutput, error) {
	err := s.modifyOIDC(ctx, a, "TagOpenIDConnectProvider", str(in.OpenIDConnectProviderArn), func(r *oidcRecord) error {
		tags, err := mergeTags(r.Tags, tagsIn(in.Tags), "TagsPerOpenIdConnectProvider")
		if e, ok := awserr.As(err); ok && e.Code == "LimitExceeded" {
			// Recorded against AWS (test_open_id_connect_provider_tags_limit).
			return limitExceeded("The number of tags has reached the maximum limit.")
		}
		r.Tags = tags
		return err
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.TagOpenIDConnectProviderOutput{}, nil
}

func (s *Service) UntagOpenIDConnectProvider(ctx context.Context, a Account, in *iamapi.UntagOpenIDConnectProviderInput) (*iamapi.UntagOpenIDConnectProviderOutput, error) {
	err := s.modifyOIDC(ctx, a, "UntagOpenIDConnectProvider", str(in.OpenIDConnectProviderArn), func(r *oidcRecord) error {
		r.Tags = removeTags(r.Tags, in.TagKeys)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.UntagOpenIDConnectProviderOutput{}, nil
}

func (s *Service) ListOpenIDConnectProviderTags(ctx context.Context, a Account, in *iamapi.ListOpenIDConnectProviderTagsInput) (*iamapi.ListOpenIDConnectProviderTagsOutput, error) {
	var rec oidcRecord
	err := s.view(ctx, func(tx kv.Tx) error {
		var err error
		rec, err = getOIDC(tx, a, str(in.OpenIDConnectProviderArn))
		return err
	})
	if err != nil {
		return nil, err
	}
	tags, tr, next, err := pageTags(a, "ListOpenIDConnectProviderTags", rec.Tags, in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	out := &iamapi.ListOpenIDConnectProviderTagsOutput{Tags: tags}
	out.IsTruncated, out.Marker = markerOut(tr, next)
	return out, nil
}

// OIDCProvider is an OpenID Connect provider as STS's AssumeRoleWithWebIdentity needs it.
type OIDCProvider struct {
	ARN         string
	URL         string // https://host/path, the token's expected iss
	ClientIDs   []string
	Thumbprints []string
	Created     time.Time
}

// OIDCProvider returns the account's provider named by its ARN or by its issuer URL (with
// or without https://); NoSuchEntity when there is none.
func (s *Service) OIDCProvider(ctx context.Context, account, arnOrURL string) (OIDCProvider, error) {
	a := Account{ID: account}
	var rec oidcRecord
	err := s.view(ctx, func(tx kv.Tx) error {
		if strings.HasPrefix(arnOrURL, "arn:") {
			a.Partition = arnPartition(arnOrURL)
			var err error
			rec, err = getOIDC(tx, a, arnOrURL)
			return err
		}
		u := arnOrURL
		if !strings.Contains(u, "://") {
			u = "https://" + u
		}
		res, err := oidcResource(u)
		if err != nil {
			return oidcNotFound(a.oidcARN(arnOrURL))
		}
		return getOIDCByResource(tx, a, res, &rec)
	})
	if err != nil {
		return OIDCProvider{}, err
	}
	return OIDCProvider{ARN: a.oidcARN(rec.Resource), URL: "https://" + rec.Resource, ClientIDs: slices.Clone(rec.ClientIDs),
		Thumbprints: slices.Clone(rec.Thumbprints), Created: rec.Created}, nil
}

func getOIDCByResource(tx kv.Tx, a Account, res string, rec *oidcRecord) error {
	found, err := getJSON(tx, keysFor(a.ID).oidc(res), rec)
	if err == nil && !found {
		return oidcNotFound(a.oidcARN(res))
	}
	return err
}

// arnPartition is the partition field of an ARN ("" when it has none).
func arnPartition(arn string) string {
	parts := strings.SplitN(arn, ":", 3)
	if len(parts) < 3 {
		return ""
	}
	return parts[1]
}
