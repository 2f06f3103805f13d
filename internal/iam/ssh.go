package iam

import (
	"context"
	"crypto/md5"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"

	"gatehouse/internal/awserr"
	"gatehouse/internal/awsproto/iamapi"
	"gatehouse/internal/kv"
)

// SSH public keys for CodeCommit
// (https://docs.aws.amazon.com/IAM/latest/APIReference/API_UploadSSHPublicKey.html,
// https://docs.aws.amazon.com/codecommit/latest/userguide/setting-up-ssh-unixes.html). The body
// is "in ssh-rsa format or PEM format"; the key is RSA of at least 2048 bits; the fingerprint
// is the MD5 of the key's wire encoding in colon-separated hex, as `ssh-keygen -l -E md5`
// prints it. Keys are stored in the wire encoding under
// a/<acct>/ssh-key/<userID>/<APKA…> so GetSSHPublicKey can render either encoding.

const (
	prefixSSHKey   = "APKA"
	maxSSHKeys     = 5 // "SSH public keys per IAM user: 5" (quotas)
	minSSHRSABits  = 2048
	kindSSHKeyPath = "ssh-key/"
)

func (k keys) sshKeyPrefix(userID string) string { return k.base() + kindSSHKeyPath + userID + "/" }

type sshKeyRecord struct {
	ID   string `json:"id"`
	Wire []byte `json:"wire"` // ssh.PublicKey.Marshal()
	// Raw is a body kept as given instead of Wire: under Options.MotoLenient a body that is
	// not an RSA key (moto stores any, and its tests upload an X.509 certificate). It is
	// returned as given in every encoding, as moto does.
	Raw         string    `json:"raw,omitempty"`
	Fingerprint string    `json:"fingerprint"`
	Status      string    `json:"status"`
	Uploaded    time.Time `json:"uploaded"`
}

func sshKeyNotFound(id string) *awserr.Error {
	return noSuchEntity("The Public Key with id %s cannot be found.", id)
}

// ParseSSHPublicKey parses an UploadSSHPublicKey body: an OpenSSH "ssh-rsa AAAA… comment"
// line or a PEM RSA public key (PKIX "PUBLIC KEY" or PKCS #1 "RSA PUBLIC KEY").
func ParseSSHPublicKey(body string) (ssh.PublicKey, error) {
	body = strings.TrimSpace(body)
	unrecognized := iamapi.UnrecognizedPublicKeyEncoding("The public key encoding format is unsupported or unrecognized.")
	invalid := iamapi.InvalidPublicKey("The public key is malformed or otherwise invalid.")
	var pub ssh.PublicKey
	switch {
	case strings.HasPrefix(body, "-----BEGIN "):
		b, _ := pem.Decode([]byte(body))
		if b == nil {
			return nil, invalid
		}
		var k any
		var err error
		switch b.Type {
		case "PUBLIC KEY":
			k, err = x509.ParsePKIXPublicKey(b.Bytes)
		case "RSA PUBLIC KEY":
			k, err = x509.ParsePKCS1PublicKey(b.Bytes)
		default:
			return nil, unrecognized
		}
		if err != nil {
			return nil, invalid
		}
		if _, ok := k.(*rsa.PublicKey); !ok {
			return nil, unrecognized
		}
		if pub, err = ssh.NewPublicKey(k); err != nil {
			return nil, invalid
		}
	case strings.HasPrefix(body, ssh.KeyAlgoRSA+" "):
		var err error
		if pub, _, _, _, err = ssh.ParseAuthorizedKey([]byte(body)); err != nil {
			return nil, invalid
		}
	default:
		return nil, unrecognized
	}
	ck, ok := pub.(ssh.CryptoPublicKey)
	if !ok {
		return nil, unrecognized
	}
	rk, ok := ck.CryptoPublicKey().(*rsa.PublicKey)
	if !ok {
		return nil, unrecognized
	}
	if rk.N.BitLen() < minSSHRSABits {
		return nil, invalid
	}
	return pub, nil
}

// sshBody renders a stored key in the encoding GetSSHPublicKey asks for.
func sshBody(r sshKeyRecord, enc iamapi.EncodingType) (string, error) {
	if r.Wire == nil {
		return r.Raw, nil
	}
	wire := r.Wire
	pub, err := ssh.ParsePublicKey(wire)
	if err != nil {
		return "", err
	}
	if enc == iamapi.EncodingTypePEM {
		der, err := x509.MarshalPKIXPublicKey(pub.(ssh.CryptoPublicKey).CryptoPublicKey())
		if err != nil {
			return "", err
		}
		return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})), nil
	}
	return pub.Type() + " " + base64.StdEncoding.EncodeToString(wire), nil
}

// userOwner resolves a required UserName to the user's spelling and unique ID.
func userOwner(tx kv.Tx, a Account, name *string) (string, string, error) {
	u, err := getUser(tx, keysFor(a.ID), str(name))
	return u.Name, u.ID, err
}

func (s *Service) UploadSSHPublicKey(ctx context.Context, a Account, in *iamapi.UploadSSHPublicKeyInput) (*iamapi.UploadSSHPublicKeyOutput, error) {
	pub, err := ParseSSHPublicKey(str(in.SSHPublicKeyBody))
	var raw string
	if err != nil {
		if !s.opt.MotoLenient {
			return nil, err
		}
		raw = str(in.SSHPublicKeyBody)
	}
	var out iamapi.SSHPublicKey
	err = s.update(ctx, a, "UploadSSHPublicKey", func() string { return "user/" + str(in.UserName) }, func(t *txn) error {
		user, uid, err := userOwner(t.tx, a, in.UserName)
		if err != nil {
			return err
		}
		have, err := listAll(t.tx, t.k.sshKeyPrefix(uid))
		if err != nil {
			return err
		}
		var fp string
		if pub != nil {
			fp = ssh.FingerprintLegacyMD5(pub)
		} else {
			fp = opaqueFingerprint(raw)
		}
		for _, p := range have {
			var r sshKeyRecord
			if err := jsonUnmarshal(p.Value, &r); err != nil {
				return err
			}
			if r.Fingerprint == fp {
				return iamapi.DuplicateSSHPublicKey("The SSH public key is already associated with the specified IAM user.")
			}
		}
		if len(have) >= maxSSHKeys {
			return quota("SSHPublicKeysPerUser", maxSSHKeys)
		}
		id, err := randomString(s.opt.Rand, idAlphabet, 16)
		if err != nil {
			return err
		}
		rec := sshKeyRecord{ID: prefixSSHKey + id, Fingerprint: fp, Status: "Active", Uploaded: t.now}
		if pub != nil {
			rec.Wire = pub.Marshal()
		} else {
			rec.Raw = raw
		}
		body, err := sshBody(rec, iamapi.EncodingTypeSSH)
		if err != nil {
			return err
		}
		out = iamapi.SSHPublicKey{UserName: user, SSHPublicKeyId: rec.ID, Fingerprint: fp, SSHPublicKeyBody: body,
			Status: "Active", UploadDate: timePtr(t.now)}
		return putJSON(t.tx, t.k.sshKeyPrefix(uid)+rec.ID, rec)
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.UploadSSHPublicKeyOutput{SSHPublicKey: &out}, nil
}

// userSSHKey reads one of a user's keys.
func userSSHKey(tx kv.Tx, a Account, name *string, id string) (user, key string, r sshKeyRecord, err error) {
	user, uid, err := userOwner(tx, a, name)
	if err != nil {
		return "", "", r, err
	}
	key = keysFor(a.ID).sshKeyPrefix(uid) + id
	found, err := getJSON(tx, key, &r)
	if err == nil && !found {
		err = sshKeyNotFound(id)
	}
	return user, key, r, err
}

func (s *Service) GetSSHPublicKey(ctx context.Context, a Account, in *iamapi.GetSSHPublicKeyInput) (*iamapi.GetSSHPublicKeyOutput, error) {
	var out iamapi.SSHPublicKey
	err := s.view(ctx, func(tx kv.Tx) error {
		user, _, r, err := userSSHKey(tx, a, in.UserName, str(in.SSHPublicKeyId))
		if err != nil {
			return err
		}
		body, err := sshBody(r, in.Encoding)
		out = iamapi.SSHPublicKey{UserName: user, SSHPublicKeyId: r.ID, Fingerprint: r.Fingerprint, SSHPublicKeyBody: body,
			Status: iamapi.StatusType(r.Status), UploadDate: timePtr(r.Uploaded)}
		return err
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.GetSSHPublicKeyOutput{SSHPublicKey: &out}, nil
}

func (s *Service) UpdateSSHPublicKey(ctx context.Context, a Account, in *iamapi.UpdateSSHPublicKeyInput) (*iamapi.UpdateSSHPublicKeyOutput, error) {
	id := str(in.SSHPublicKeyId)
	err := s.update(ctx, a, "UpdateSSHPublicKey", func() string { return "ssh-public-key/" + id }, func(t *txn) error {
		_, key, r, err := userSSHKey(t.tx, a, in.UserName, id)
		if err != nil {
			return err
		}
		r.Status = string(in.Status)
		return putJSON(t.tx, key, r)
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.UpdateSSHPublicKeyOutput{}, nil
}

func (s *Service) DeleteSSHPublicKey(ctx context.Context, a Account, in *iamapi.DeleteSSHPublicKeyInput) (*iamapi.DeleteSSHPublicKeyOutput, error) {
	id := str(in.SSHPublicKeyId)
	err := s.update(ctx, a, "DeleteSSHPublicKey", func() string { return "ssh-public-key/" + id }, func(t *txn) error {
		_, key, _, err := userSSHKey(t.tx, a, in.UserName, id)
		if err != nil {
			return err
		}
		return t.tx.Delete(key)
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.DeleteSSHPublicKeyOutput{}, nil
}

// ListSSHPublicKeys lists a user's keys; without UserName, the calling user's (IAM infers
// the user from the credentials, and a root caller has none).
func (s *Service) ListSSHPublicKeys(ctx context.Context, a Account, in *iamapi.ListSSHPublicKeysInput) (*iamapi.ListSSHPublicKeysOutput, error) {
	out := &iamapi.ListSSHPublicKeysOutput{SSHPublicKeys: []iamapi.SSHPublicKeyMetadata{}}
	pg, err := newPager("ListSSHPublicKeys", keysFor(a.ID).base(), in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	err = s.view(ctx, func(tx kv.Tx) error {
		user, owner, err := credOwner(tx, a, in.UserName)
		if err != nil || owner == rootOwner {
			out.IsTruncated = ptr(false)
			return err
		}
		ps, tr, next, err := pg.list(tx, keysFor(a.ID).sshKeyPrefix(owner))
		if err != nil {
			return err
		}
		for _, p := range ps {
			var r sshKeyRecord
			if err := jsonUnmarshal(p.Value, &r); err != nil {
				return err
			}
			out.SSHPublicKeys = append(out.SSHPublicKeys, iamapi.SSHPublicKeyMetadata{UserName: user, SSHPublicKeyId: r.ID,
				Status: iamapi.StatusType(r.Status), UploadDate: r.Uploaded})
		}
		out.IsTruncated, out.Marker = markerOut(tr, next)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// opaqueFingerprint is the fingerprint of a body kept as given (sshKeyRecord.Raw): the MD5
// of the body in IAM's colon-separated form (moto's is the same MD5 without colons), so that
// uploading the same body twice is still DuplicateSSHPublicKey.
func opaqueFingerprint(body string) string {
	sum := md5.Sum([]byte(body))
	parts := make([]string, len(sum))
	for i, b := range sum {
		parts[i] = hex.EncodeToString([]byte{b})
	}
	return strings.Join(parts, ":")
}
