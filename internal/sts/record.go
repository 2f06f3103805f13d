package sts

import (
	"encoding/binary"
	"errors"
	"time"

	"gatehouse/internal/seal"
)

// The session record is what a token seals: everything a node needs to authenticate and
// authorize a request signed with the temporary key, so that verification reads no store
// (DESIGN.md, "Temporary credentials are self-contained"). It is a compact binary encoding —
// a version byte, then fields in a fixed order, strings and lists length-prefixed with
// uvarints — because the token travels in every request's X-Amz-Security-Token header and
// JSON would double its size.

// recordVersion is the first byte of every record; a node refuses versions it does not know.
// Version 2 appends the EC2 role-delivery fields, version 3 the federated provider and its
// condition keys; records of versions 1 and 2 (without them) still open.
const recordVersion = 3

// secretBytes is the raw length of a temporary secret access key: 30 bytes are 40 base64
// characters, the length of AWS's secrets.
const secretBytes = 30

// Limits on what a record may hold when decoded, well above what the operations accept, so
// a forged record cannot make a node allocate without bound.
const (
	maxRecordString = 1 << 16
	maxRecordList   = 64
)

var errRecord = errors.New("sts: malformed session record")

const (
	flagMFA = 1 << iota
	flagChained
)

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// marshal encodes the session's sealed fields (not its access key ID, which is the token's
// associated data, nor its token).
func (s *Session) marshal() []byte {
	b := make([]byte, 0, 128+len(s.Policy))
	b = append(b, recordVersion, byte(s.Kind))
	b = binary.AppendUvarint(b, uint64(s.Issued.Unix()))
	b = binary.AppendUvarint(b, uint64(s.Expires.Unix()-s.Issued.Unix()))
	b = append(b, s.secret[:]...)
	var flags byte
	if s.MFA {
		flags |= flagMFA
	}
	if s.Chained {
		flags |= flagChained
	}
	b = append(b, flags)
	b = appendString(b, s.Partition)
	b = appendString(b, s.Account)
	b = appendString(b, s.SourceARN)
	b = appendString(b, s.UniqueID)
	b = appendString(b, s.Name)
	b = appendString(b, s.Policy)
	b = appendString(b, s.SourceIdentity)
	b = binary.AppendUvarint(b, uint64(len(s.PolicyARNs)))
	for _, a := range s.PolicyARNs {
		b = appendString(b, a)
	}
	b = binary.AppendUvarint(b, uint64(len(s.Tags)))
	for _, t := range s.Tags {
		b = appendString(b, t.Key)
		b = appendString(b, t.Value)
	}
	b = binary.AppendUvarint(b, uint64(len(s.TransitiveTagKeys)))
	for _, k := range s.TransitiveTagKeys {
		b = appendString(b, k)
	}
	b = appendString(b, s.SourceInstanceARN)
	b = appendString(b, s.RoleDelivery)
	b = appendString(b, s.FederatedProvider)
	b = binary.AppendUvarint(b, uint64(len(s.ProviderKeys)))
	for _, k := range s.ProviderKeys {
		b = appendString(b, k.Key)
		var multi byte
		if k.Multi {
			multi = 1
		}
		b = append(b, multi)
		b = binary.AppendUvarint(b, uint64(len(k.Values)))
		for _, v := range k.Values {
			b = appendString(b, v)
		}
	}
	return b
}

// recordUse is how full rec, the record of s, is against what a token can carry, in
// percent rounded up: its length against seal.MaxRecordLen (OpenToken refuses a longer
// token), and each list against maxRecordList (unmarshalSession refuses a longer one),
// whichever is fuller. Over 100, the token would not open.
func recordUse(s *Session, rec []byte) int {
	use := percent(len(rec), seal.MaxRecordLen)
	for _, n := range [...]int{len(s.PolicyARNs), len(s.Tags), len(s.TransitiveTagKeys), len(s.ProviderKeys)} {
		use = max(use, percent(n, maxRecordList))
	}
	for _, k := range s.ProviderKeys {
		use = max(use, percent(len(k.Values), maxRecordList))
	}
	return use
}

// percent is n of whole in percent, rounded up.
func percent(n, whole int) int { return (n*100 + whole - 1) / whole }

type reader struct {
	b   []byte
	err bool
}

func (r *reader) uvarint() uint64 {
	if r.err {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.err = true
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *reader) bytes(n int) []byte {
	if r.err || n < 0 || n > len(r.b) {
		r.err = true
		return nil
	}
	v := r.b[:n]
	r.b = r.b[n:]
	return v
}

func (r *reader) byte() byte {
	v := r.bytes(1)
	if v == nil {
		return 0
	}
	return v[0]
}

func (r *reader) string() string {
	n := r.uvarint()
	if n > maxRecordString {
		r.err = true
		return ""
	}
	return string(r.bytes(int(n)))
}

func (r *reader) count() int {
	n := r.uvarint()
	if n > maxRecordList {
		r.err = true
		return 0
	}
	return int(n)
}

// unmarshalSession decodes a record marshal wrote. It checks the structure, not the
// meaning: the record was authenticated by the seal before this runs, so a record that
// decodes was written by a node holding the keyring.
func unmarshalSession(b []byte) (*Session, error) {
	r := reader{b: b}
	version := r.byte()
	if version < 1 || version > recordVersion {
		return nil, errRecord
	}
	s := &Session{Kind: Kind(r.byte())}
	if !s.Kind.valid() {
		return nil, errRecord
	}
	issued := r.uvarint()
	life := r.uvarint()
	if issued > 1<<40 || life > 1<<32 {
		return nil, errRecord
	}
	s.Issued = time.Unix(int64(issued), 0).UTC()
	s.Expires = s.Issued.Add(time.Duration(life) * time.Second)
	copy(s.secret[:], r.bytes(secretBytes))
	flags := r.byte()
	s.MFA = flags&flagMFA != 0
	s.Chained = flags&flagChained != 0
	s.Partition = r.string()
	s.Account = r.string()
	s.SourceARN = r.string()
	s.UniqueID = r.string()
	s.Name = r.string()
	s.Policy = r.string()
	s.SourceIdentity = r.string()
	if n := r.count(); n > 0 {
		s.PolicyARNs = make([]string, n)
		for i := range s.PolicyARNs {
			s.PolicyARNs[i] = r.string()
		}
	}
	if n := r.count(); n > 0 {
		s.Tags = make([]Tag, n)
		for i := range s.Tags {
			s.Tags[i] = Tag{Key: r.string(), Value: r.string()}
		}
	}
	if n := r.count(); n > 0 {
		s.TransitiveTagKeys = make([]string, n)
		for i := range s.TransitiveTagKeys {
			s.TransitiveTagKeys[i] = r.string()
		}
	}
	if version >= 2 {
		s.SourceInstanceARN = r.string()
		s.RoleDelivery = r.string()
	}
	if version >= 3 {
		s.FederatedProvider = r.string()
		if n := r.count(); n > 0 {
			s.ProviderKeys = make([]ProviderKey, n)
			for i := range s.ProviderKeys {
				k := &s.ProviderKeys[i]
				k.Key = r.string()
				switch r.byte() {
				case 0:
				case 1:
					k.Multi = true
				default:
					r.err = true
				}
				if m := r.count(); m > 0 {
					k.Values = make([]string, m)
					for j := range k.Values {
						k.Values[j] = r.string()
					}
				}
			}
		}
	}
	if r.err || len(r.b) != 0 {
		return nil, errRecord
	}
	return s, nil
}
