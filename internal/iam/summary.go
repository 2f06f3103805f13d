package iam

import (
	"errors"

	"gatehouse/internal/kv"
)

// fillSummaryExtras adds to GetAccountSummary's map the counts of identity providers,
// server certificates and root signing certificates, and the STS global endpoint token
// version (https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetAccountSummary.html).
func fillSummaryExtras(tx kv.Tx, k keys, m map[string]int32) error {
	st, err := readState(tx, k)
	if err != nil {
		return err
	}
	m["Providers"] = int32(st.Counts[kindOIDC] + st.Counts[kindSAML])
	m["ServerCertificates"] = int32(st.Counts[kindServerCert])
	rootCerts, err := hasAny(tx, k.signingCertPrefix(rootOwner))
	if err != nil {
		return err
	}
	m["AccountSigningCertificatesPresent"] = 0
	if rootCerts {
		m["AccountSigningCertificatesPresent"] = 1
	}
	v, err := readTokenVersion(tx, k)
	m["GlobalEndpointTokenVersion"] = int32(v)
	return err
}

func isNotFound(err error) bool { return errors.Is(err, kv.ErrNotFound) }
