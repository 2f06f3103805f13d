package iam

import (
	"context"
	"strings"

	"gatehouse/internal/kv"
)

// SAMLProviderUUID returns the unique identifier IAM assigned to the SAML provider at arn
// (GetSAMLProvider's SAMLProviderUUID): the IdP-ID of the sign-in URL
// https://REGION.signin.aws.amazon.com/saml/acs/IdP-ID that an IdP encrypting assertions
// names as their Recipient (id_roles_providers_create_saml_assertions.html). NoSuchEntity
// when there is no such provider.
func (s *Service) SAMLProviderUUID(ctx context.Context, arn string) (string, error) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 {
		return "", samlNotFound(arn)
	}
	a := Account{ID: parts[4], Partition: parts[1]}
	var rec samlRecord
	err := s.view(ctx, func(tx kv.Tx) error {
		var err error
		rec, err = getSAML(tx, a, arn)
		return err
	})
	return rec.UUID, err
}
