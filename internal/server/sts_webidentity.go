package server

import (
	"gatehouse/internal/awserr"
	"gatehouse/internal/awsproto/stsapi"
)

// assumeRoleWithWebIdentity is not built yet; it says so rather than pretend.
func (s *Server) assumeRoleWithWebIdentity(c *call, in *stsapi.AssumeRoleWithWebIdentityInput) (*stsapi.AssumeRoleWithWebIdentityOutput, error) {
	return nil, awserr.InvalidAction("Gatehouse does not implement the STS action AssumeRoleWithWebIdentity yet.")
}
