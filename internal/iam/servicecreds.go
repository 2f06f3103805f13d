package iam

import (
	"context"
	"crypto/subtle"
	"encoding/base64"
	"io"
	"strings"
	"time"

	"gatehouse/internal/awserr"
	"gatehouse/internal/awsproto/iamapi"
	"gatehouse/internal/kv"
)

// Service-specific credentials
// (https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateServiceSpecificCredential.html,
// https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_service-specific-creds.html):
// a user name and generated password for one service (CodeCommit's Git over HTTPS,
// Amazon Keyspaces), or a Bedrock API key. The password is returned by Create and Reset
// only, and stored sealed with the credential's ID. At most two per user per service.
// Stored under a/<acct>/svc-cred/<userID>/<ACCA…>.

const (
	prefixServiceCred = "ACCA"
	maxServiceCreds   = 2 // "Service-specific credentials per user per service: 2"
)

// serviceCredServices are the services that accept service-specific credentials; Bedrock
// issues an API key (alias and secret, with an expiry) instead of a user name and password.
var serviceCredServices = map[string]bool{
	"codecommit.amazonaws.com": false,
	"cassandra.amazonaws.com":  false,
	"bedrock.amazonaws.com":    true, // API key
}

func (k keys) serviceCredPrefix(userID string) string { return k.base() + "svc-cred/" + userID + "/" }

type serviceCredRecord struct {
	ID          string     `json:"id"`
	Service     string     `json:"service"`
	ServiceUser string     `json:"serviceUser"` // user name or, for an API key, its alias
	Sealed      []byte     `json:"sealed"`
	Status      string     `json:"status"`
	Created     time.Time  `json:"created"`
	Expires     *time.Time `json:"expires,omitempty"`
}

func serviceCredNotFound(id string) *awserr.Error {
	return noSuchEntity("No such credential %s exists", id)
}

// newServicePassword is 32 random bytes in base64: 44 characters, as IAM's.
func newServicePassword(r io.Reader) (string, error) {
	b := make([]byte, 32)
	if _, err := io.ReadFull(r, b); err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(b), nil
}

func (r serviceCredRecord) out(user, secret string) *iamapi.ServiceSpecificCredential {
	o := &iamapi.ServiceSpecificCredential{CreateDate: r.Created, ExpirationDate: r.Expires, ServiceName: r.Service,
		ServiceSpecificCredentialId: r.ID, UserName: user, Status: iamapi.StatusType(r.Status)}
	if serviceCredServices[r.Service] {
		o.ServiceCredentialAlias, o.ServiceCredentialSecret = ptr(r.ServiceUser), ptr(secret)
	} else {
		o.ServiceUserName, o.ServicePassword = ptr(r.ServiceUser), ptr(secret)
	}
	return o
}

func (r serviceCredRecord) meta(user string) iamapi.ServiceSpecificCredentialMetadata {
	m := iamapi.ServiceSpecificCredentialMetadata{UserName: user, Status: iamapi.StatusType(r.Status), CreateDate: r.Created,
		ExpirationDate: r.Expires, ServiceSpecificCredentialId: r.ID, ServiceName: r.Service}
	if serviceCredServices[r.Service] {
		m.ServiceCredentialAlias = ptr(r.ServiceUser)
	} else {
		m.ServiceUserName = ptr(r.ServiceUser)
	}
	return m
}

func (s *Service) CreateServiceSpecificCredential(ctx context.Context, a Account, in *iamapi.CreateServiceSpecificCredentialInput) (*iamapi.CreateServiceSpecificCredentialOutput, error) {
	service := str(in.ServiceName)
	apiKey, ok := serviceCredServices[service]
	if !ok {
		return nil, iamapi.NotSupportedService("No such service %s is supported for Service Specific Credentials", service)
	}
	if in.CredentialAgeDays != nil && !apiKey {
		return nil, invalidInput("CredentialAgeDays is only supported for bedrock.amazonaws.com.")
	}
	var out *iamapi.ServiceSpecificCredential
	err := s.update(ctx, a, "CreateServiceSpecificCredential", func() string { return "user/" + str(in.UserName) }, func(t *txn) error {
		user, uid, err := userOwner(t.tx, a, in.UserName)
		if err != nil {
			return err
		}
		have, err := listAll(t.tx, t.k.serviceCredPrefix(uid))
		if err != nil {
			return err
		}
		n := 0
		for _, p := range have {
			var r serviceCredRecord
			if err := jsonUnmarshal(p.Value, &r); err != nil {
				return err
			}
			if r.Service == service {
				n++
			}
		}
		if n >= maxServiceCreds {
			return quota("ServiceSpecificCredentialsPerUserPerService", maxServiceCreds)
		}
		id, err := newUniqueID(s.opt.Rand, prefixServiceCred)
		if err != nil {
			return err
		}
		secret, err := newServicePassword(s.opt.Rand)
		if err != nil {
			return err
		}
		sealed, err := s.opt.Sealer.Seal([]byte(secret), []byte(id))
		if err != nil {
			return err
		}
		rec := serviceCredRecord{ID: id, Service: service, ServiceUser: user + "-at-" + a.ID, Sealed: sealed, Status: "Active", Created: t.now}
		if apiKey {
			// A Bedrock API key's alias is the user's name and a suffix of its ID.
			rec.ServiceUser = "BedrockAPIKey-" + strings.ToLower(id[len(id)-4:]) + "-at-" + a.ID
			if in.CredentialAgeDays != nil {
				rec.Expires = timePtr(t.now.AddDate(0, 0, int(*in.CredentialAgeDays)))
			}
		}
		out = rec.out(user, secret)
		return putJSON(t.tx, t.k.serviceCredPrefix(uid)+id, rec)
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.CreateServiceSpecificCredentialOutput{ServiceSpecificCredential: out}, nil
}

// modifyServiceCred runs fn on one of a user's (or, without UserName, the caller's)
// credentials.
func (s *Service) modifyServiceCred(ctx context.Context, a Account, action string, name *string, id string, fn func(t *txn, user, key string, r *serviceCredRecord) error) error {
	return s.update(ctx, a, action, func() string { return "service-specific-credential/" + id }, func(t *txn) error {
		user, owner, err := credOwner(t.tx, a, name)
		if err != nil {
			return err
		}
		key := t.k.serviceCredPrefix(owner) + id
		var r serviceCredRecord
		found, err := getJSON(t.tx, key, &r)
		if err != nil {
			return err
		}
		if !found {
			return serviceCredNotFound(id)
		}
		return fn(t, user, key, &r)
	})
}

// ResetServiceSpecificCredential replaces the password (or API key secret) and returns it.
func (s *Service) ResetServiceSpecificCredential(ctx context.Context, a Account, in *iamapi.ResetServiceSpecificCredentialInput) (*iamapi.ResetServiceSpecificCredentialOutput, error) {
	var out *iamapi.ServiceSpecificCredential
	err := s.modifyServiceCred(ctx, a, "ResetServiceSpecificCredential", in.UserName, str(in.ServiceSpecificCredentialId), func(t *txn, user, key string, r *serviceCredRecord) error {
		secret, err := newServicePassword(s.opt.Rand)
		if err != nil {
			return err
		}
		if r.Sealed, err = s.opt.Sealer.Seal([]byte(secret), []byte(r.ID)); err != nil {
			return err
		}
		out = r.out(user, secret)
		return putJSON(t.tx, key, r)
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.ResetServiceSpecificCredentialOutput{ServiceSpecificCredential: out}, nil
}

func (s *Service) UpdateServiceSpecificCredential(ctx context.Context, a Account, in *iamapi.UpdateServiceSpecificCredentialInput) (*iamapi.UpdateServiceSpecificCredentialOutput, error) {
	err := s.modifyServiceCred(ctx, a, "UpdateServiceSpecificCredential", in.UserName, str(in.ServiceSpecificCredentialId), func(t *txn, _, key string, r *serviceCredRecord) error {
		r.Status = string(in.Status)
		return putJSON(t.tx, key, r)
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.UpdateServiceSpecificCredentialOutput{}, nil
}

func (s *Service) DeleteServiceSpecificCredential(ctx context.Context, a Account, in *iamapi.DeleteServiceSpecificCredentialInput) (*iamapi.DeleteServiceSpecificCredentialOutput, error) {
	err := s.modifyServiceCred(ctx, a, "DeleteServiceSpecificCredential", in.UserName, str(in.ServiceSpecificCredentialId), func(t *txn, _, key string, _ *serviceCredRecord) error {
		return t.tx.Delete(key)
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.DeleteServiceSpecificCredentialOutput{}, nil
}

// ListServiceSpecificCredentials lists a user's credentials (the caller's without UserName),
// or every user's with AllUsers, optionally for one service. Passwords are never listed.
func (s *Service) ListServiceSpecificCredentials(ctx context.Context, a Account, in *iamapi.ListServiceSpecificCredentialsInput) (*iamapi.ListServiceSpecificCredentialsOutput, error) {
	out := &iamapi.ListServiceSpecificCredentialsOutput{ServiceSpecificCredentials: []iamapi.ServiceSpecificCredentialMetadata{}}
	k := keysFor(a.ID)
	pg, err := newPager("ListServiceSpecificCredentials", k.base(), in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	service := str(in.ServiceName)
	err = s.view(ctx, func(tx kv.Tx) error {
		prefix := k.base() + "svc-cred/"
		names := map[string]string{} // user ID → name
		if in.AllUsers == nil || !*in.AllUsers {
			user, owner, err := credOwner(tx, a, in.UserName)
			if err != nil {
				return err
			}
			prefix, names[owner] = k.serviceCredPrefix(owner), user
		}
		// Filtering by service happens after the page is cut, so a page may hold fewer
		// than MaxItems; the marker still resumes exactly after the last key examined.
		ps, tr, next, err := pg.list(tx, prefix)
		if err != nil {
			return err
		}
		for _, p := range ps {
			var r serviceCredRecord
			if err := jsonUnmarshal(p.Value, &r); err != nil {
				return err
			}
			if service != "" && r.Service != service {
				continue
			}
			uid := strings.SplitN(p.Key[len(k.base()+"svc-cred/"):], "/", 2)[0]
			name, ok := names[uid]
			if !ok {
				name, err = userNameByID(tx, k, uid)
				if err != nil {
					return err
				}
				names[uid] = name
			}
			out.ServiceSpecificCredentials = append(out.ServiceSpecificCredentials, r.meta(name))
		}
		out.IsTruncated, out.Marker = markerOut(tr, next)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// userNameByID finds a user's name from its unique ID (a scan of the account's users; only
// ListServiceSpecificCredentials with AllUsers needs it).
func userNameByID(tx kv.Tx, k keys, id string) (string, error) {
	ps, err := listAll(tx, k.base()+string(kindUser)+"/")
	if err != nil {
		return "", err
	}
	for _, p := range ps {
		var u userRecord
		if err := jsonUnmarshal(p.Value, &u); err != nil {
			return "", err
		}
		if u.ID == id {
			return u.Name, nil
		}
	}
	return "", nil
}

// VerifyServiceSpecificCredential checks a service user name and password (or API key alias
// and secret) for service, as the service's endpoint would: the credential must be Active
// and unexpired. It returns the owning user's name.
func (s *Service) VerifyServiceSpecificCredential(ctx context.Context, account, service, serviceUser, password string) (string, error) {
	k := keysFor(account)
	denied := awserr.AccessDenied("The service-specific credential is not valid.")
	var user string
	err := s.view(ctx, func(tx kv.Tx) error {
		ps, err := listAll(tx, k.base()+"svc-cred/")
		if err != nil {
			return err
		}
		for _, p := range ps {
			var r serviceCredRecord
			if err := jsonUnmarshal(p.Value, &r); err != nil {
				return err
			}
			if r.Service != service || r.ServiceUser != serviceUser {
				continue
			}
			plain, err := s.opt.Sealer.Open(r.Sealed, []byte(r.ID))
			if err != nil {
				return err
			}
			if subtle.ConstantTimeCompare(plain, []byte(password)) != 1 || r.Status != "Active" ||
				(r.Expires != nil && !s.now().Before(*r.Expires)) {
				continue
			}
			user, err = userNameByID(tx, k, strings.SplitN(p.Key[len(k.base()+"svc-cred/"):], "/", 2)[0])
			return err
		}
		return denied
	})
	return user, err
}

// userCredentialsConflict is DeleteUser's check for the credentials of this file's family,
// with IAM's messages: "must delete certificates first" for signing certificates, and the
// generic "must remove referenced objects first" for SSH public keys and service-specific
// credentials (as aws-nuke and Terraform users report them).
func userCredentialsConflict(tx kv.Tx, k keys, userID string) error {
	for _, c := range []struct{ prefix, msg string }{
		{k.signingCertPrefix(userID), "Cannot delete entity, must delete certificates first."},
		{k.sshKeyPrefix(userID), "Cannot delete entity, must remove referenced objects first."},
		{k.serviceCredPrefix(userID), "Cannot delete entity, must remove referenced objects first."},
	} {
		if has, err := hasAny(tx, c.prefix); err != nil {
			return err
		} else if has {
			return deleteConflict("%s", c.msg)
		}
	}
	return nil
}
