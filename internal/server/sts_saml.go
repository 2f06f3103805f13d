package server

import (
	"gatehouse/internal/awserr"
	"gatehouse/internal/awsproto/stsapi"
)

// assumeRoleWithSAML is not built yet; it says so rather than pretend.
func (s *Server) assumeRoleWithSAML(c *call, in *stsapi.AssumeRoleWithSAMLInput) (*stsapi.AssumeRoleWithSAMLOutput, error) {
	return nil, awserr.InvalidAction("Gatehouse does not implement the STS action AssumeRoleWithSAML yet.")
}
