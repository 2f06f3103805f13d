package sts

import (
	"context"
	"errors"

	"gatehouse/internal/seal"
)

// ErrInvalidRecord: a sealed record does not open (forged, garbled, sealed for other
// associated data, or under a key no node holds any more).
var ErrInvalidRecord = errors.New("sts: sealed record does not open")

// SealRecord seals a record that is not a session under the keyring that seals session
// tokens, bound to associatedData. Records that every node must open, and only for about
// as long as a session token lives — EC2's encoded authorization failure messages — share
// this keyring rather than keep one of their own: its keys rotate, reach every node
// through the store, and are pruned once MaxTokenLifetime has passed since they retired.
// The associated data is prefixed with recordLabel, so a record never opens as a session
// token nor a token as a record, whatever associatedData a caller picks.
func (s *Service) SealRecord(record, associatedData []byte) (string, error) {
	return s.keyring.Load().SealToken(record, recordAD(associatedData))
}

// recordLabel separates records from session tokens, whose associated data is an access
// key ID (20 upper-case letters and digits, never a NUL).
const recordLabel = "sts/record\x00"

func recordAD(ad []byte) []byte {
	return append([]byte(recordLabel), ad...)
}

// OpenRecord opens what SealRecord sealed for associatedData: ErrInvalidRecord when it
// does not open. Like Open, it reloads the keyring once when the record names a data key
// this node does not hold (another node rotated).
func (s *Service) OpenRecord(ctx context.Context, sealed string, associatedData []byte) ([]byte, error) {
	ad := recordAD(associatedData)
	rec, err := s.keyring.Load().OpenToken(sealed, ad)
	if errors.Is(err, seal.ErrUnknownKey) && s.reload != nil {
		if k := s.reloadKeyring(ctx); k != nil {
			rec, err = k.OpenToken(sealed, ad)
		}
	}
	if err != nil {
		return nil, ErrInvalidRecord
	}
	return rec, nil
}
