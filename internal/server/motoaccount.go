package server

import (
	"strings"

	"gatehouse/internal/arn"
	"gatehouse/internal/awserr"
	"gatehouse/internal/sigv4"
)

// motoAccountHeader selects the account in moto server mode
// (https://docs.getmoto.org/en/latest/docs/multi_account.html): moto's
// BaseResponse.get_current_account reads it before the access key.
const motoAccountHeader = "X-Moto-Account-Id"

// unknownKeyAccount is the account whose root an access key Gatehouse did not issue acts as
// (unknownKey): the account moto's x-moto-account-id header names, as moto server takes it
// before the access key; else a 12-digit key ID's, as LocalStack does
// (https://docs.localstack.cloud/references/multi-account-setups/); else the default
// account. Keys Gatehouse issued never come here — they keep the identity they authenticate
// as — and production refuses unknown keys before asking.
func (s *Server) unknownKeyAccount(c *call, sreq *sigv4.Request) (string, error) {
	if v := c.r.Header.Values(motoAccountHeader); len(v) > 0 {
		// moto takes any string as an account; Gatehouse's accounts are 12 digits, and a
		// request for one it cannot hold is refused rather than quietly sent to another.
		id := strings.TrimSpace(v[0])
		if !arn.IsAccountID(id) {
			return "", awserr.ValidationError("The x-moto-account-id header must be a 12-digit account ID, not %q.", id)
		}
		return id, nil
	}
	if arn.IsAccountID(sreq.AccessKeyID) {
		return sreq.AccessKeyID, nil
	}
	return s.emu.defaultAccount, nil
}
