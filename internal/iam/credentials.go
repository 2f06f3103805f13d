package iam

import (
	"context"

	"gatehouse/internal/awsproto/iamapi"
	"gatehouse/internal/kv"
)

// A user's other credentials. Gatehouse does not issue signing certificates, SSH
// public keys or service-specific credentials (their Create operations are not served), so a
// user never has any and these lists are empty; they still check the user and the marker as
// IAM does, because tools that clean up a user (Terraform's force_destroy, aws-nuke) list them
// before DeleteUser.

// credentialOwner checks the named user (or, without a name, that the caller is a user or
// root) and the marker.
func (s *Service) credentialOwner(ctx context.Context, a Account, op string, name, marker *string, maxItems *int32) error {
	if _, err := newPager(op, keysFor(a.ID).base(), marker, maxItems); err != nil {
		return err
	}
	return s.view(ctx, func(tx kv.Tx) error {
		_, err := keyOwner(tx, a, name)
		return err
	})
}

func (s *Service) ListSigningCertificates(ctx context.Context, a Account, in *iamapi.ListSigningCertificatesInput) (*iamapi.ListSigningCertificatesOutput, error) {
	if err := s.credentialOwner(ctx, a, "ListSigningCertificates", in.UserName, in.Marker, in.MaxItems); err != nil {
		return nil, err
	}
	return &iamapi.ListSigningCertificatesOutput{Certificates: []iamapi.SigningCertificate{}, IsTruncated: ptr(false)}, nil
}

func (s *Service) ListSSHPublicKeys(ctx context.Context, a Account, in *iamapi.ListSSHPublicKeysInput) (*iamapi.ListSSHPublicKeysOutput, error) {
	if err := s.credentialOwner(ctx, a, "ListSSHPublicKeys", in.UserName, in.Marker, in.MaxItems); err != nil {
		return nil, err
	}
	return &iamapi.ListSSHPublicKeysOutput{SSHPublicKeys: []iamapi.SSHPublicKeyMetadata{}, IsTruncated: ptr(false)}, nil
}

func (s *Service) ListServiceSpecificCredentials(ctx context.Context, a Account, in *iamapi.ListServiceSpecificCredentialsInput) (*iamapi.ListServiceSpecificCredentialsOutput, error) {
	if in.AllUsers != nil && *in.AllUsers {
		if _, err := newPager("ListServiceSpecificCredentials", keysFor(a.ID).base(), in.Marker, in.MaxItems); err != nil {
			return nil, err
		}
	} else if err := s.credentialOwner(ctx, a, "ListServiceSpecificCredentials", in.UserName, in.Marker, in.MaxItems); err != nil {
		return nil, err
	}
	return &iamapi.ListServiceSpecificCredentialsOutput{ServiceSpecificCredentials: []iamapi.ServiceSpecificCredentialMetadata{}, IsTruncated: ptr(false)}, nil
}
