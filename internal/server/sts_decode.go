package server

import (
	"gatehouse/internal/authmsg"
	"gatehouse/internal/awsproto/stsapi"
	"gatehouse/internal/sts"
)

// decodeAuthorizationMessage runs DecodeAuthorizationMessage: the caller must be allowed
// sts:DecodeAuthorizationMessage (an action without a resource type, so on "*"), and the
// message must open under this server's keyring for the caller's account
// (https://docs.aws.amazon.com/STS/latest/APIReference/API_DecodeAuthorizationMessage.html).
//
// AWS does not document whether another account may decode a message; Gatehouse binds a
// message to the account whose request it describes, since it can name that account's
// policies and principals, and another account's caller gets the invalid-message error.
// A message lives as long as a session token can (sts.MaxTokenLifetime), which is also as
// long as the keyring keeps a retired key: "or if the message has expired"
// (InvalidAuthorizationMessageException).
func (s *Server) decodeAuthorizationMessage(c *call, in *stsapi.DecodeAuthorizationMessageInput) (*stsapi.DecodeAuthorizationMessageOutput, error) {
	if err := s.authorizeSTS(c, "sts:DecodeAuthorizationMessage", "*", nil); err != nil {
		return nil, err
	}
	doc, err := authmsg.Open(c.r.Context(), s.sts, c.caller.account.ID, s.cfg.Now(), sts.MaxTokenLifetime, *in.EncodedMessage)
	if err != nil {
		return nil, stsapi.InvalidAuthorizationMessageException("Message is not valid")
	}
	out := string(doc)
	return &stsapi.DecodeAuthorizationMessageOutput{DecodedMessage: &out}, nil
}
