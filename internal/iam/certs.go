package iam

import (
	"context"
	"crypto"
	"crypto/x509"
	"strings"
	"time"

	"gatehouse/internal/awserr"
	"gatehouse/internal/awsproto/iamapi"
	"gatehouse/internal/kv"
)

// Server certificates (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_server-certs.html,
// https://docs.aws.amazon.com/IAM/latest/APIReference/API_UploadServerCertificate.html) and
// signing certificates (https://docs.aws.amazon.com/IAM/latest/APIReference/API_UploadSigningCertificate.html).
//
// A server certificate is an entity with a name and a path, like a user, so it shares the
// entity layout: a/<acct>/server-certificate/<lc> and its path index. Its private key is
// sealed with the certificate's ID as associated data and never returned.
//
// Signing certificates belong to a user (or the root) and are keyed by the owner's unique ID,
// which survives UpdateUser's renames: a/<acct>/signing-cert/<userID|root>/<certID>.
//
// Decision: an expired certificate is accepted, as IAM keeps expired server certificates
// (the user guide asks you to delete them); its Expiration says so.

// kindServerCert shares the entity layout of users and roles.
const kindServerCert entityKind = "server-certificate"

const (
	prefixServerCert = "ASCA"
	maxServerCerts   = 20 // "Server certificates stored in IAM: 20" (quotas)
	maxSigningCerts  = 2  // "Signing certificates assigned to an IAM user: 2"
)

func malformedCertificate(format string, args ...any) *awserr.Error {
	return iamapi.MalformedCertificate(format, args...)
}

func serverCertNotFound(name string) *awserr.Error {
	return noSuchEntity("The Server Certificate with name %s cannot be found.", name)
}

type serverCertRecord struct {
	Name       string      `json:"name"`
	Path       string      `json:"path"`
	ID         string      `json:"id"`
	Body       string      `json:"body"`
	Chain      string      `json:"chain,omitempty"`
	SealedKey  []byte      `json:"sealedKey"`
	Uploaded   time.Time   `json:"uploaded"`
	Expiration time.Time   `json:"expiration"`
	Tags       []tagRecord `json:"tags,omitempty"`
}

// parseServerCertificate checks what UploadServerCertificate is given: a PEM certificate, a
// PEM private key whose public half is the certificate's, and an optional chain of PEM
// certificates.
func parseServerCertificate(body, key, chain string) (*x509.Certificate, error) {
	cert, err := parseCertificatePEM(body)
	if err != nil {
		return nil, malformedCertificate("Unable to parse certificate. Please ensure the certificate is in PEM format.")
	}
	priv, err := parsePrivateKeyPEM(key)
	if err != nil {
		return nil, malformedCertificate("Unable to parse private key. Please ensure the private key is in PEM format.")
	}
	if chain != "" {
		certs, err := parseCertificateChainPEM(chain)
		if err != nil {
			return nil, malformedCertificate("Unable to parse certificate chain. Please ensure the certificate chain is in PEM format.")
		}
		// Each certificate of the chain must have signed the one before it, starting with the
		// body's issuer; IAM names the first that did not.
		prev := cert
		for i, c := range certs {
			if err := prev.CheckSignatureFrom(c); err != nil {
				return nil, malformedCertificate("Unable to validate certificate chain. The certificate chain must start with the immediate signing certificate, followed by any intermediaries in order. The index within the chain of the invalid certificate is: %d", i)
			}
			prev = c
		}
	}
	pub, ok := cert.PublicKey.(interface{ Equal(crypto.PublicKey) bool })
	if !ok || !pub.Equal(priv.Public()) {
		return nil, iamapi.KeyPairMismatch("Unable to validate certificate with provided private key. Please ensure the certificate and private key match.")
	}
	return cert, nil
}

func (a Account) serverCertMeta(r serverCertRecord) iamapi.ServerCertificateMetadata {
	return iamapi.ServerCertificateMetadata{Path: r.Path, ServerCertificateName: r.Name, ServerCertificateId: r.ID,
		Arn: a.arn(kindServerCert, r.Path, r.Name), UploadDate: timePtr(r.Uploaded), Expiration: timePtr(r.Expiration)}
}

func getServerCert(tx kv.Tx, k keys, name string) (serverCertRecord, error) {
	var r serverCertRecord
	found, err := getJSON(tx, k.entity(kindServerCert, name), &r)
	if err == nil && !found {
		err = serverCertNotFound(name)
	}
	return r, err
}

func (s *Service) UploadServerCertificate(ctx context.Context, a Account, in *iamapi.UploadServerCertificateInput) (*iamapi.UploadServerCertificateOutput, error) {
	name, path := str(in.ServerCertificateName), pathOr(in.Path)
	cert, err := parseServerCertificate(str(in.CertificateBody), str(in.PrivateKey), str(in.CertificateChain))
	if err != nil {
		return nil, err
	}
	tags := tagsIn(in.Tags)
	if err := checkNewTags(tags); err != nil {
		return nil, err
	}
	var rec serverCertRecord
	err = s.update(ctx, a, "UploadServerCertificate", func() string { return "server-certificate/" + name }, func(t *txn) error {
		if found, err := exists(t.tx, t.k.entity(kindServerCert, name)); err != nil {
			return err
		} else if found {
			return entityAlreadyExists("The Server Certificate with name %s already exists.", name)
		}
		if err := t.count(kindServerCert, 1, maxServerCerts, "ServerCertificatesPerAccount"); err != nil {
			return err
		}
		id, err := newUniqueID(s.opt.Rand, prefixServerCert)
		if err != nil {
			return err
		}
		sealed, err := s.opt.Sealer.Seal([]byte(str(in.PrivateKey)), []byte(id))
		if err != nil {
			return err
		}
		rec = serverCertRecord{Name: name, Path: path, ID: id, Body: strings.TrimSpace(str(in.CertificateBody)),
			Chain: strings.TrimSpace(str(in.CertificateChain)), SealedKey: sealed, Uploaded: t.now,
			Expiration: cert.NotAfter.UTC().Truncate(time.Second), Tags: tags}
		return t.putEntity(kindServerCert, name, path, rec)
	})
	if err != nil {
		return nil, err
	}
	meta := a.serverCertMeta(rec)
	return &iamapi.UploadServerCertificateOutput{ServerCertificateMetadata: &meta, Tags: tagsOut(tags)}, nil
}

func (s *Service) GetServerCertificate(ctx context.Context, a Account, in *iamapi.GetServerCertificateInput) (*iamapi.GetServerCertificateOutput, error) {
	var r serverCertRecord
	err := s.view(ctx, func(tx kv.Tx) error {
		var err error
		r, err = getServerCert(tx, keysFor(a.ID), str(in.ServerCertificateName))
		return err
	})
	if err != nil {
		return nil, err
	}
	// The tag list is there even when empty (recorded against AWS in LocalStack's
	// test_iam_server_certificates snapshots).
	out := iamapi.ServerCertificate{ServerCertificateMetadata: a.serverCertMeta(r), CertificateBody: r.Body, Tags: append([]iamapi.Tag{}, tagsOut(r.Tags)...)}
	if r.Chain != "" {
		out.CertificateChain = ptr(r.Chain)
	}
	return &iamapi.GetServerCertificateOutput{ServerCertificate: out}, nil
}

func (s *Service) ListServerCertificates(ctx context.Context, a Account, in *iamapi.ListServerCertificatesInput) (*iamapi.ListServerCertificatesOutput, error) {
	out := &iamapi.ListServerCertificatesOutput{ServerCertificateMetadataList: []iamapi.ServerCertificateMetadata{}}
	tr, next, err := s.listByPath(ctx, a, kindServerCert, "ListServerCertificates", in.PathPrefix, in.Marker, in.MaxItems, func(b []byte) error {
		var r serverCertRecord
		if err := jsonUnmarshal(b, &r); err != nil {
			return err
		}
		out.ServerCertificateMetadataList = append(out.ServerCertificateMetadataList, a.serverCertMeta(r))
		return nil
	})
	if err != nil {
		return nil, err
	}
	out.IsTruncated, out.Marker = markerOut(tr, next)
	return out, nil
}

// UpdateServerCertificate renames a certificate or moves it to a new path.
func (s *Service) UpdateServerCertificate(ctx context.Context, a Account, in *iamapi.UpdateServerCertificateInput) (*iamapi.UpdateServerCertificateOutput, error) {
	name := str(in.ServerCertificateName)
	err := s.update(ctx, a, "UpdateServerCertificate", func() string { return "server-certificate/" + name }, func(t *txn) error {
		r, err := getServerCert(t.tx, t.k, name)
		if err != nil {
			return err
		}
		newName, newPath := r.Name, r.Path
		if in.NewServerCertificateName != nil {
			newName = *in.NewServerCertificateName
		}
		if in.NewPath != nil {
			newPath = *in.NewPath
		}
		if lower(newName) != lower(r.Name) {
			if found, err := exists(t.tx, t.k.entity(kindServerCert, newName)); err != nil {
				return err
			} else if found {
				return entityAlreadyExists("The Server Certificate with name %s already exists.", newName)
			}
		}
		if err := t.deleteEntity(kindServerCert, r.Name, r.Path); err != nil {
			return err
		}
		r.Name, r.Path = newName, newPath
		return t.putEntity(kindServerCert, r.Name, r.Path, r)
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.UpdateServerCertificateOutput{}, nil
}

func (s *Service) DeleteServerCertificate(ctx context.Context, a Account, in *iamapi.DeleteServerCertificateInput) (*iamapi.DeleteServerCertificateOutput, error) {
	name := str(in.ServerCertificateName)
	err := s.update(ctx, a, "DeleteServerCertificate", func() string { return "server-certificate/" + name }, func(t *txn) error {
		r, err := getServerCert(t.tx, t.k, name)
		if err != nil {
			return err
		}
		if err := t.count(kindServerCert, -1, 0, ""); err != nil {
			return err
		}
		return t.deleteEntity(kindServerCert, r.Name, r.Path)
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.DeleteServerCertificateOutput{}, nil
}

func (s *Service) modifyServerCert(ctx context.Context, a Account, action, name string, fn func(r *serverCertRecord) error) error {
	return s.update(ctx, a, action, func() string { return "server-certificate/" + name }, func(t *txn) error {
		r, err := getServerCert(t.tx, t.k, name)
		if err != nil {
			return err
		}
		if err := fn(&r); err != nil {
			return err
		}
		return putJSON(t.tx, t.k.entity(kindServerCert, name), r)
	})
}

func (s *Service) TagServerCertificate(ctx context.Context, a Account, in *iamapi.TagServerCertificateInput) (*iamapi.TagServerCertificateOutput, error) {
	err := s.modifyServerCert(ctx, a, "TagServerCertificate", str(in.ServerCertificateName), func(r *serverCertRecord) error {
		tags, err := mergeTags(r.Tags, tagsIn(in.Tags), "TagsPerServerCertificate")
		r.Tags = tags
		return err
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.TagServerCertificateOutput{}, nil
}

func (s *Service) UntagServerCertificate(ctx context.Context, a Account, in *iamapi.UntagServerCertificateInput) (*iamapi.UntagServerCertificateOutput, error) {
	err := s.modifyServerCert(ctx, a, "UntagServerCertificate", str(in.ServerCertificateName), func(r *serverCertRecord) error {
		r.Tags = removeTags(r.Tags, in.TagKeys)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.UntagServerCertificateOutput{}, nil
}

func (s *Service) ListServerCertificateTags(ctx context.Context, a Account, in *iamapi.ListServerCertificateTagsInput) (*iamapi.ListServerCertificateTagsOutput, error) {
	var r serverCertRecord
	err := s.view(ctx, func(tx kv.Tx) error {
		var err error
		r, err = getServerCert(tx, keysFor(a.ID), str(in.ServerCertificateName))
		return err
	})
	if err != nil {
		return nil, err
	}
	tags, tr, next, err := pageTags(a, "ListServerCertificateTags", r.Tags, in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	out := &iamapi.ListServerCertificateTagsOutput{Tags: tags}
	out.IsTruncated, out.Marker = markerOut(tr, next)
	return out, nil
}

// ServerCertificatePrivateKey opens a server certificate's sealed private key, for a TLS
// endpoint that serves it; IAM's API never returns it.
func (s *Service) ServerCertificatePrivateKey(ctx context.Context, account, name string) (string, error) {
	var r serverCertRecord
	err := s.view(ctx, func(tx kv.Tx) error {
		var err error
		r, err = getServerCert(tx, keysFor(account), name)
		return err
	})
	if err != nil {
		return "", err
	}
	b, err := s.opt.Sealer.Open(r.SealedKey, []byte(r.ID))
	return string(b), err
}

// ---- signing certificates ----

const rootOwner = "root"

func (k keys) signingCertPrefix(owner string) string { return k.base() + "signing-cert/" + owner + "/" }

type signingCertRecord struct {
	ID       string    `json:"id"`
	Body     string    `json:"body"`
	Status   string    `json:"status"`
	Uploaded time.Time `json:"uploaded"`
}

func signingCertNotFound(id string) *awserr.Error {
	return noSuchEntity("The Certificate with id %s cannot be found.", id)
}

// credOwner resolves UserName (or the caller) to the owner's display name ("" for root) and
// the ID its credentials are keyed by.
func credOwner(tx kv.Tx, a Account, name *string) (display, ownerID string, err error) {
	owner, u, err := keyOwnerRecord(tx, a, name)
	if err != nil {
		return "", "", err
	}
	if u == nil {
		return "", rootOwner, nil
	}
	return owner, u.ID, nil
}

func signingCertOut(user string, r signingCertRecord) iamapi.SigningCertificate {
	return iamapi.SigningCertificate{UserName: user, CertificateId: r.ID, CertificateBody: r.Body,
		Status: iamapi.StatusType(r.Status), UploadDate: timePtr(r.Uploaded)}
}

// UploadSigningCertificate stores an X.509 certificate for SOAP/SigV2-era signing. The body
// must parse; the same certificate may not be uploaded twice to the account
// (DuplicateCertificate); a user holds at most two.
func (s *Service) UploadSigningCertificate(ctx context.Context, a Account, in *iamapi.UploadSigningCertificateInput) (*iamapi.UploadSigningCertificateOutput, error) {
	// The body is kept byte for byte, its trailing newline included: AWS returns exactly
	// what was uploaded (verified against AWS by moto's aws_verified signing-certificate test).
	body := str(in.CertificateBody)
	cert, err := parseCertificatePEM(strings.TrimSpace(body))
	if err != nil {
		// A signing certificate that does not parse is named in the message, unlike a server
		// certificate (recorded against AWS in LocalStack's test_signing_certificate_errors).
		return nil, malformedCertificate("Certificate %s is malformed.", body)
	}
	if now := s.now(); now.After(cert.NotAfter) {
		return nil, iamapi.InvalidCertificate("The certificate has expired.")
	}
	var out iamapi.SigningCertificate
	err = s.update(ctx, a, "UploadSigningCertificate", func() string { return "user/" + str(in.UserName) }, func(t *txn) error {
		user, owner, err := credOwner(t.tx, a, in.UserName)
		if err != nil {
			return err
		}
		all, err := listAll(t.tx, t.k.base()+"signing-cert/")
		if err != nil {
			return err
		}
		held := 0
		for _, p := range all {
			var r signingCertRecord
			if err := jsonUnmarshal(p.Value, &r); err != nil {
				return err
			}
			if sameCertificate(r.Body, cert) {
				return iamapi.DuplicateCertificate("The Certificate with id %s already exists.", r.ID)
			}
			if strings.HasPrefix(p.Key, t.k.signingCertPrefix(owner)) {
				held++
			}
		}
		if held >= maxSigningCerts {
			return quota("CertificatesPerUser", maxSigningCerts)
		}
		id, err := randomString(s.opt.Rand, idAlphabet, 32)
		if err != nil {
			return err
		}
		rec := signingCertRecord{ID: id, Body: body, Status: "Active", Uploaded: t.now}
		out = signingCertOut(user, rec)
		return putJSON(t.tx, t.k.signingCertPrefix(owner)+id, rec)
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.UploadSigningCertificateOutput{Certificate: out}, nil
}

func sameCertificate(body string, c *x509.Certificate) bool {
	have, err := parseCertificatePEM(body)
	return err == nil && have.Equal(c)
}

func (s *Service) modifySigningCert(ctx context.Context, a Account, action string, name *string, id string, fn func(t *txn, key string, r *signingCertRecord) error) error {
	return s.update(ctx, a, action, func() string { return "signing-certificate/" + id }, func(t *txn) error {
		_, owner, err := credOwner(t.tx, a, name)
		if err != nil {
			return err
		}
		key := t.k.signingCertPrefix(owner) + id
		var r signingCertRecord
		found, err := getJSON(t.tx, key, &r)
		if err != nil {
			return err
		}
		if !found {
			return signingCertNotFound(id)
		}
		return fn(t, key, &r)
	})
}

func (s *Service) UpdateSigningCertificate(ctx context.Context, a Account, in *iamapi.UpdateSigningCertificateInput) (*iamapi.UpdateSigningCertificateOutput, error) {
	err := s.modifySigningCert(ctx, a, "UpdateSigningCertificate", in.UserName, str(in.CertificateId), func(t *txn, key string, r *signingCertRecord) error {
		r.Status = string(in.Status)
		return putJSON(t.tx, key, r)
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.UpdateSigningCertificateOutput{}, nil
}

func (s *Service) DeleteSigningCertificate(ctx context.Context, a Account, in *iamapi.DeleteSigningCertificateInput) (*iamapi.DeleteSigningCertificateOutput, error) {
	err := s.modifySigningCert(ctx, a, "DeleteSigningCertificate", in.UserName, str(in.CertificateId), func(t *txn, key string, _ *signingCertRecord) error {
		return t.tx.Delete(key)
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.DeleteSigningCertificateOutput{}, nil
}

func (s *Service) ListSigningCertificates(ctx context.Context, a Account, in *iamapi.ListSigningCertificatesInput) (*iamapi.ListSigningCertificatesOutput, error) {
	out := &iamapi.ListSigningCertificatesOutput{Certificates: []iamapi.SigningCertificate{}}
	pg, err := newPager("ListSigningCertificates", keysFor(a.ID).base(), in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	err = s.view(ctx, func(tx kv.Tx) error {
		user, owner, err := credOwner(tx, a, in.UserName)
		if err != nil {
			return err
		}
		ps, tr, next, err := pg.list(tx, keysFor(a.ID).signingCertPrefix(owner))
		if err != nil {
			return err
		}
		for _, p := range ps {
			var r signingCertRecord
			if err := jsonUnmarshal(p.Value, &r); err != nil {
				return err
			}
			out.Certificates = append(out.Certificates, signingCertOut(user, r))
		}
		out.IsTruncated, out.Marker = markerOut(tr, next)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
