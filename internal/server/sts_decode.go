package server

import (
	"gatehouse/internal/awserr"
	"gatehouse/internal/awsproto/stsapi"
)

// decodeAuthorizationMessage is not built yet; it says so rather than pretend.
func (s *Server) decodeAuthorizationMessage(c *call, in *stsapi.DecodeAuthorizationMessageInput) (*stsapi.DecodeAuthorizationMessageOutput, error) {
	return nil, awserr.InvalidAction("Gatehouse does not implement the STS action DecodeAuthorizationMessage yet.")
}
