package iam

import (
	"context"
	"strings"

	"gatehouse/internal/awsproto/iamapi"
	"gatehouse/internal/kv"
)

// Outbound identity federation
// (https://docs.aws.amazon.com/IAM/latest/APIReference/API_EnableOutboundWebIdentityFederation.html):
// when enabled, the account's STS vends JSON Web Tokens (sts:GetWebIdentityToken) that
// external services verify against the account's issuer. The issuer identifier is made once
// per account, "https://<uuid>.tokens.sts.global.api.aws" as AWS forms it, and kept across
// disable and enable so that relying parties need not be reconfigured. Stored at
// a/<acct>/outbound-federation.

type outboundRecord struct {
	Issuer  string `json:"issuer"`
	Enabled bool   `json:"enabled"`
}

func (k keys) outbound() string { return k.base() + "outbound-federation" }

func (s *Service) EnableOutboundWebIdentityFederation(ctx context.Context, a Account, in *iamapi.EnableOutboundWebIdentityFederationInput) (*iamapi.EnableOutboundWebIdentityFederationOutput, error) {
	var rec outboundRecord
	err := s.update(ctx, a, "EnableOutboundWebIdentityFederation", func() string { return "account" }, func(t *txn) error {
		if _, err := getJSON(t.tx, t.k.outbound(), &rec); err != nil {
			return err
		}
		if rec.Enabled {
			return iamapi.FeatureEnabled("Outbound identity federation is already enabled for this account.")
		}
		if rec.Issuer == "" {
			id, err := newUUID(s.opt.Rand)
			if err != nil {
				return err
			}
			rec.Issuer = "https://" + id + ".tokens.sts.global.api.aws"
		}
		rec.Enabled = true
		return putJSON(t.tx, t.k.outbound(), rec)
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.EnableOutboundWebIdentityFederationOutput{IssuerIdentifier: ptr(rec.Issuer)}, nil
}

func (s *Service) DisableOutboundWebIdentityFederation(ctx context.Context, a Account, in *iamapi.DisableOutboundWebIdentityFederationInput) (*iamapi.DisableOutboundWebIdentityFederationOutput, error) {
	err := s.update(ctx, a, "DisableOutboundWebIdentityFederation", func() string { return "account" }, func(t *txn) error {
		var rec outboundRecord
		if _, err := getJSON(t.tx, t.k.outbound(), &rec); err != nil {
			return err
		}
		if !rec.Enabled {
			return iamapi.FeatureDisabled("Outbound identity federation is not enabled for this account.")
		}
		rec.Enabled = false
		return putJSON(t.tx, t.k.outbound(), rec)
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.DisableOutboundWebIdentityFederationOutput{}, nil
}

func (s *Service) GetOutboundWebIdentityFederationInfo(ctx context.Context, a Account, in *iamapi.GetOutboundWebIdentityFederationInfoInput) (*iamapi.GetOutboundWebIdentityFederationInfoOutput, error) {
	var rec outboundRecord
	err := s.view(ctx, func(tx kv.Tx) error {
		_, err := getJSON(tx, keysFor(a.ID).outbound(), &rec)
		return err
	})
	if err != nil {
		return nil, err
	}
	if !rec.Enabled {
		return nil, iamapi.FeatureDisabled("Outbound identity federation is not enabled for this account.")
	}
	return &iamapi.GetOutboundWebIdentityFederationInfoOutput{IssuerIdentifier: ptr(rec.Issuer), JwtVendingEnabled: ptr(true)}, nil
}

// OutboundIssuer returns the account's issuer identifier when outbound identity federation
// is enabled, for STS's GetWebIdentityToken; ok is false otherwise.
func (s *Service) OutboundIssuer(ctx context.Context, account string) (issuer string, ok bool, err error) {
	var rec outboundRecord
	err = s.view(ctx, func(tx kv.Tx) error {
		_, err := getJSON(tx, keysFor(account).outbound(), &rec)
		return err
	})
	return rec.Issuer, rec.Enabled, err
}

// Organizations features. A Gatehouse account stands alone: there is no AWS Organizations
// service behind it, so the operations that act on the organization's management account
// answer as IAM does for an account outside any organization
// (https://docs.aws.amazon.com/IAM/latest/APIReference/API_EnableOrganizationsRootCredentialsManagement.html,
// OrganizationNotFoundException).

func noOrganization() error {
	return iamapi.OrganizationNotFoundException("The request was rejected because no organization is associated with your account.")
}

func (s *Service) ListOrganizationsFeatures(ctx context.Context, a Account, in *iamapi.ListOrganizationsFeaturesInput) (*iamapi.ListOrganizationsFeaturesOutput, error) {
	return nil, noOrganization()
}

func (s *Service) EnableOrganizationsRootCredentialsManagement(ctx context.Context, a Account, in *iamapi.EnableOrganizationsRootCredentialsManagementInput) (*iamapi.EnableOrganizationsRootCredentialsManagementOutput, error) {
	return nil, noOrganization()
}

func (s *Service) DisableOrganizationsRootCredentialsManagement(ctx context.Context, a Account, in *iamapi.DisableOrganizationsRootCredentialsManagementInput) (*iamapi.DisableOrganizationsRootCredentialsManagementOutput, error) {
	return nil, noOrganization()
}

func (s *Service) EnableOrganizationsRootSessions(ctx context.Context, a Account, in *iamapi.EnableOrganizationsRootSessionsInput) (*iamapi.EnableOrganizationsRootSessionsOutput, error) {
	return nil, noOrganization()
}

func (s *Service) DisableOrganizationsRootSessions(ctx context.Context, a Account, in *iamapi.DisableOrganizationsRootSessionsInput) (*iamapi.DisableOrganizationsRootSessionsOutput, error) {
	return nil, noOrganization()
}

// GenerateOrganizationsAccessReport reports on an organization entity path
// ("o-…/r-…/ou-…/<account>"); with no organization there is none to report on.
func (s *Service) GenerateOrganizationsAccessReport(ctx context.Context, a Account, in *iamapi.GenerateOrganizationsAccessReportInput) (*iamapi.GenerateOrganizationsAccessReportOutput, error) {
	if !strings.HasPrefix(str(in.EntityPath), "o-") {
		return nil, invalidInput("Invalid entity path %s: it must start with the organization ID (o-…).", str(in.EntityPath))
	}
	return nil, noOrganization()
}

// GetOrganizationsAccessReport finds no job: GenerateOrganizationsAccessReport never starts
// one without an organization.
func (s *Service) GetOrganizationsAccessReport(ctx context.Context, a Account, in *iamapi.GetOrganizationsAccessReportInput) (*iamapi.GetOrganizationsAccessReportOutput, error) {
	return nil, noSuchEntity("No Organizations access report exists with job ID %s.", str(in.JobId))
}
