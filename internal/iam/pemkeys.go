package iam

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"encoding/pem"
	"errors"
)

// PEM parsing shared by server certificates, signing certificates and SAML decryption
// keys.

// pemBlock returns the first PEM block of s whose type is one of types, skipping others,
// or nil.
func pemBlock(s string, types ...string) *pem.Block {
	rest := bytes.TrimSpace([]byte(s))
	for {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			return nil
		}
		for _, t := range types {
			if b.Type == t {
				return b
			}
		}
	}
}

// parseCertificatePEM parses the first certificate of a PEM document.
func parseCertificatePEM(s string) (*x509.Certificate, error) {
	b := pemBlock(s, "CERTIFICATE")
	if b == nil {
		return nil, errors.New("no CERTIFICATE block")
	}
	return x509.ParseCertificate(b.Bytes)
}

// parseCertificateChainPEM parses every certificate of a PEM document (at least one).
func parseCertificateChainPEM(s string) ([]*x509.Certificate, error) {
	var out []*x509.Certificate
	rest := bytes.TrimSpace([]byte(s))
	for len(rest) > 0 {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		if b.Type != "CERTIFICATE" {
			return nil, errors.New("not a CERTIFICATE block")
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
		rest = bytes.TrimSpace(rest)
	}
	if len(out) == 0 {
		return nil, errors.New("no CERTIFICATE block")
	}
	return out, nil
}

// parsePrivateKeyPEM parses an RSA (PKCS #1), EC (SEC 1) or PKCS #8 private key.
func parsePrivateKeyPEM(s string) (crypto.Signer, error) {
	b := pemBlock(s, "RSA PRIVATE KEY", "EC PRIVATE KEY", "PRIVATE KEY")
	if b == nil {
		return nil, errors.New("no private key block")
	}
	var k any
	var err error
	switch b.Type {
	case "RSA PRIVATE KEY":
		k, err = x509.ParsePKCS1PrivateKey(b.Bytes)
	case "EC PRIVATE KEY":
		k, err = x509.ParseECPrivateKey(b.Bytes)
	default:
		k, err = x509.ParsePKCS8PrivateKey(b.Bytes)
	}
	if err != nil {
		return nil, err
	}
	signer, ok := k.(crypto.Signer)
	if !ok {
		return nil, errors.New("not a signing key")
	}
	return signer, nil
}
