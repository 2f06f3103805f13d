package iam

import (
	"context"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strings"
	"time"
	"unicode"

	"golang.org/x/crypto/argon2"

	"gatehouse/internal/awserr"
	"gatehouse/internal/awsproto/iamapi"
	"gatehouse/internal/kv"
)

// Login profiles — a user's console password
// (https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateLoginProfile.html).
// Passwords are stored only as Argon2id hashes at OWASP's recommended parameters
// (m=19 MiB, t=2, p=1; https://cheatsheetseries.owasp.org/cheatsheets/Password_Storage_Cheat_Sheet.html).

const (
	argonTime    = 2
	argonMemory  = 19 * 1024 // KiB
	argonThreads = 1
	argonKeyLen  = 32
	argonSaltLen = 16
)

type loginRecord struct {
	Created       time.Time `json:"created"`
	ResetRequired bool      `json:"resetRequired"`
	Hash          string    `json:"hash"` // $argon2id$v=19$m=…,t=…,p=…$salt$key
	// Changed is when the password was last set (the credential report's
	// password_last_changed); nil means at Created.
	Changed *time.Time `json:"changed,omitempty"`
	// History holds the hashes of earlier passwords, newest first, as many as the password
	// policy's PasswordReusePrevention asks to remember (see password.go).
	History []string `json:"history,omitempty"`
}

func loginNotFound(user string) *awserr.Error {
	return noSuchEntity("Login Profile for User %s cannot be found.", user)
}

// passwordPolicy is the account's password policy
// (https://docs.aws.amazon.com/IAM/latest/APIReference/API_UpdateAccountPasswordPolicy.html).
type passwordPolicy struct {
	MinLength        int  `json:"minLength"`
	RequireSymbols   bool `json:"symbols"`
	RequireNumbers   bool `json:"numbers"`
	RequireUppercase bool `json:"upper"`
	RequireLowercase bool `json:"lower"`
	AllowChange      bool `json:"allowChange"`
	MaxAge           int  `json:"maxAge"`
	ReusePrevention  int  `json:"reuse"`
	HardExpiry       bool `json:"hardExpiry"`
}

func (k keys) passwordPolicy() string { return k.base() + "password-policy" }

func passwordViolation() *awserr.Error {
	return awserr.New(400, "PasswordPolicyViolation", "Password does not conform to the account password policy.")
}

// checkPassword applies the account's password policy or, while it has none, IAM's default
// one: at least 8 characters from at least three of upper-case letters, lower-case letters,
// digits and symbols
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_passwords_account-policy.html#default-policy-details).
// Under Options.MotoLenient (motoDefault) the default policy is waived: moto server checks
// no password against any policy, and suites written for it set passwords like "my-pass"
// (moto's test_iam.py); a policy the account set is still applied, since the suite asked
// for it.
func checkPassword(tx kv.Tx, k keys, pw string, motoDefault bool) error {
	var upper, lowerc, digit, symbol bool
	for _, r := range pw {
		switch {
		case unicode.IsUpper(r):
			upper = true
		case unicode.IsLower(r):
			lowerc = true
		case unicode.IsDigit(r):
			digit = true
		default:
			symbol = true
		}
	}
	var p passwordPolicy
	found, err := getJSON(tx, k.passwordPolicy(), &p)
	if err != nil {
		return err
	}
	n := len([]rune(pw))
	if !found && motoDefault {
		return nil
	}
	if !found {
		kinds := 0
		for _, b := range []bool{upper, lowerc, digit, symbol} {
			if b {
				kinds++
			}
		}
		if n < 8 || kinds < 3 {
			return passwordViolation()
		}
		return nil
	}
	if n < p.MinLength || (p.RequireSymbols && !symbol) || (p.RequireNumbers && !digit) ||
		(p.RequireUppercase && !upper) || (p.RequireLowercase && !lowerc) {
		return passwordViolation()
	}
	return nil
}

func (s *Service) hashPassword(pw string) (string, error) {
	salt := make([]byte, argonSaltLen)
	if _, err := s.opt.Rand.Read(salt); err != nil {
		return "", fmt.Errorf("iam: random: %w", err)
	}
	key := argon2.IDKey([]byte(pw), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	enc := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		enc.EncodeToString(salt), enc.EncodeToString(key)), nil
}

// verifyHash checks a password against a stored hash in constant time.
func verifyHash(hash, pw string) bool {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false
	}
	var m uint32
	var t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil {
		return false
	}
	enc := base64.RawStdEncoding
	salt, err1 := enc.DecodeString(parts[4])
	want, err2 := enc.DecodeString(parts[5])
	if err1 != nil || err2 != nil {
		return false
	}
	got := argon2.IDKey([]byte(pw), salt, t, m, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

// loginOwner is the user a login-profile call acts on: the named one, or the calling user.
func loginOwner(a Account, name *string) (string, error) {
	if name != nil && *name != "" {
		return *name, nil
	}
	if p, ok := parsePrincipalARN(a.Caller); ok && p.Resource == "user" {
		return p.Name, nil
	}
	return "", awserr.ValidationError("Must specify userName when calling with non-User credentials")
}

func (s *Service) CreateLoginProfile(ctx context.Context, a Account, in *iamapi.CreateLoginProfileInput) (*iamapi.CreateLoginProfileOutput, error) {
	name, err := loginOwner(a, in.UserName)
	if err != nil {
		return nil, err
	}
	pw := str(in.Password)
	// The user and an existing profile are checked before the password: for a user that does
	// not exist, or already has a password, AWS answers NoSuchEntity or EntityAlreadyExists
	// whatever the password, not PasswordPolicyViolation. The transaction below checks both
	// again, for a concurrent change.
	err = s.view(ctx, func(tx kv.Tx) error {
		k := keysFor(a.ID)
		u, err := getUser(tx, k, name)
		if err != nil {
			return err
		}
		if has, err := exists(tx, k.userLogin(name)); err != nil {
			return err
		} else if has {
			return entityAlreadyExists("Login Profile for user %s already exists.", u.Name)
		}
		return checkPassword(tx, k, pw, s.opt.MotoLenient)
	})
	if err != nil {
		return nil, err
	}
	hash, err := s.hashPassword(pw) // before the transaction: Argon2id is deliberately slow
	if err != nil {
		return nil, err
	}
	var out iamapi.LoginProfile
	err = s.update(ctx, a, "CreateLoginProfile", func() string { return "user/" + name }, func(t *txn) error {
		u, err := getUser(t.tx, t.k, name)
		if err != nil {
			return err
		}
		if has, err := exists(t.tx, t.k.userLogin(name)); err != nil {
			return err
		} else if has {
			return entityAlreadyExists("Login Profile for user %s already exists.", u.Name)
		}
		rec := loginRecord{Created: t.now, ResetRequired: in.PasswordResetRequired != nil && *in.PasswordResetRequired, Hash: hash}
		out = iamapi.LoginProfile{UserName: u.Name, CreateDate: rec.Created, PasswordResetRequired: ptr(rec.ResetRequired)}
		return putJSON(t.tx, t.k.userLogin(name), rec)
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.CreateLoginProfileOutput{LoginProfile: out}, nil
}

func (s *Service) GetLoginProfile(ctx context.Context, a Account, in *iamapi.GetLoginProfileInput) (*iamapi.GetLoginProfileOutput, error) {
	name, err := loginOwner(a, in.UserName)
	if err != nil {
		return nil, err
	}
	var out iamapi.LoginProfile
	err = s.view(ctx, func(tx kv.Tx) error {
		k := keysFor(a.ID)
		u, err := getUser(tx, k, name)
		if err != nil {
			return err
		}
		var rec loginRecord
		found, err := getJSON(tx, k.userLogin(name), &rec)
		if err != nil {
			return err
		}
		if !found {
			return loginNotFound(u.Name)
		}
		out = iamapi.LoginProfile{UserName: u.Name, CreateDate: rec.Created, PasswordResetRequired: ptr(rec.ResetRequired)}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.GetLoginProfileOutput{LoginProfile: out}, nil
}

func (s *Service) UpdateLoginProfile(ctx context.Context, a Account, in *iamapi.UpdateLoginProfileInput) (*iamapi.UpdateLoginProfileOutput, error) {
	name := str(in.UserName)
	var hash string
	if in.Password != nil {
		if err := s.view(ctx, func(tx kv.Tx) error { return checkPassword(tx, keysFor(a.ID), *in.Password, s.opt.MotoLenient) }); err != nil {
			return nil, err
		}
		var err error
		if hash, err = s.hashPassword(*in.Password); err != nil {
			return nil, err
		}
	}
	err := s.update(ctx, a, "UpdateLoginProfile", func() string { return "user/" + name }, func(t *txn) error {
		u, err := getUser(t.tx, t.k, name)
		if err != nil {
			return err
		}
		var rec loginRecord
		found, err := getJSON(t.tx, t.k.userLogin(name), &rec)
		if err != nil {
			return err
		}
		if !found {
			return loginNotFound(u.Name)
		}
		if hash != "" {
			rec.setHash(hash, t.now)
		}
		if in.PasswordResetRequired != nil {
			rec.ResetRequired = *in.PasswordResetRequired
		}
		return putJSON(t.tx, t.k.userLogin(name), rec)
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.UpdateLoginProfileOutput{}, nil
}

func (s *Service) DeleteLoginProfile(ctx context.Context, a Account, in *iamapi.DeleteLoginProfileInput) (*iamapi.DeleteLoginProfileOutput, error) {
	name, err := loginOwner(a, in.UserName)
	if err != nil {
		return nil, err
	}
	err = s.update(ctx, a, "DeleteLoginProfile", func() string { return "user/" + name }, func(t *txn) error {
		u, err := getUser(t.tx, t.k, name)
		if err != nil {
			return err
		}
		if has, err := exists(t.tx, t.k.userLogin(name)); err != nil {
			return err
		} else if !has {
			return loginNotFound(u.Name)
		}
		return t.tx.Delete(t.k.userLogin(name))
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.DeleteLoginProfileOutput{}, nil
}

// ErrBadPassword is returned by VerifyPassword for a wrong password or a user without one.
var ErrBadPassword = fmt.Errorf("iam: wrong user name or password")

// VerifyPassword checks a user's console password (for the web console's sign-in). It
// returns the user's ARN and whether a new password must be set (PasswordResetRequired, or
// the password is older than the password policy's MaxPasswordAge). A success is a sign-in:
// it sets the user's PasswordLastUsed (written by the next FlushAccessKeyUse).
func (s *Service) VerifyPassword(ctx context.Context, accountID, userName, password string) (arn string, resetRequired bool, err error) {
	var rec loginRecord
	var u userRecord
	var pol passwordPolicy
	var found bool
	err = s.view(ctx, func(tx kv.Tx) error {
		k := keysFor(accountID)
		var err error
		if found, err = getJSON(tx, k.entity(kindUser, userName), &u); err != nil || !found {
			return err
		}
		if found, err = getJSON(tx, k.userLogin(userName), &rec); err != nil || !found {
			return err
		}
		_, err = getJSON(tx, k.passwordPolicy(), &pol)
		return err
	})
	if err != nil {
		return "", false, err
	}
	if !found {
		// Spend the same time as a real check so that timing does not reveal which users
		// have passwords.
		verifyHash("$argon2id$v=19$m=19456,t=2,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", password)
		return "", false, ErrBadPassword
	}
	if !verifyHash(rec.Hash, password) {
		return "", false, ErrBadPassword
	}
	arn = Account{ID: accountID}.arn(kindUser, u.Path, u.Name)
	now := s.opt.Now()
	s.noteSignIn(arn, now)
	// An expired password must be changed at this sign-in ("When a password expires, the
	// user must set a new password",
	// https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_passwords_account-policy.html).
	expired := pol.MaxAge > 0 && !now.Before(rec.changedAt().AddDate(0, 0, pol.MaxAge))
	return arn, rec.ResetRequired || expired, nil
}

func passwordPolicyNotFound(a Account) *awserr.Error {
	return noSuchEntity("The Password Policy with domain name %s cannot be found.", a.ID)
}

// UpdateAccountPasswordPolicy sets the account's password policy; a parameter left out takes
// IAM's default for it (minimum length 6, nothing required, no expiry), not its old value.
func (s *Service) UpdateAccountPasswordPolicy(ctx context.Context, a Account, in *iamapi.UpdateAccountPasswordPolicyInput) (*iamapi.UpdateAccountPasswordPolicyOutput, error) {
	b := func(p *bool) bool { return p != nil && *p }
	n := func(p *int32, def int) int {
		if p == nil {
			return def
		}
		return int(*p)
	}
	p := passwordPolicy{MinLength: n(in.MinimumPasswordLength, 6), RequireSymbols: b(in.RequireSymbols), RequireNumbers: b(in.RequireNumbers),
		RequireUppercase: b(in.RequireUppercaseCharacters), RequireLowercase: b(in.RequireLowercaseCharacters),
		AllowChange: b(in.AllowUsersToChangePassword), MaxAge: n(in.MaxPasswordAge, 0), ReusePrevention: n(in.PasswordReusePrevention, 0),
		HardExpiry: b(in.HardExpiry)}
	err := s.update(ctx, a, "UpdateAccountPasswordPolicy", func() string { return "password-policy" }, func(t *txn) error {
		return putJSON(t.tx, t.k.passwordPolicy(), p)
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.UpdateAccountPasswordPolicyOutput{}, nil
}

func (s *Service) GetAccountPasswordPolicy(ctx context.Context, a Account, in *iamapi.GetAccountPasswordPolicyInput) (*iamapi.GetAccountPasswordPolicyOutput, error) {
	var p passwordPolicy
	err := s.view(ctx, func(tx kv.Tx) error {
		found, err := getJSON(tx, keysFor(a.ID).passwordPolicy(), &p)
		if err == nil && !found {
			err = passwordPolicyNotFound(a)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	out := iamapi.PasswordPolicy{MinimumPasswordLength: ptr(int32(p.MinLength)), RequireSymbols: ptr(p.RequireSymbols),
		RequireNumbers: ptr(p.RequireNumbers), RequireUppercaseCharacters: ptr(p.RequireUppercase),
		RequireLowercaseCharacters: ptr(p.RequireLowercase), AllowUsersToChangePassword: ptr(p.AllowChange),
		ExpirePasswords: ptr(p.MaxAge > 0)}
	// A policy set without HardExpiry has none in GetAccountPasswordPolicy (recorded against
	// AWS in LocalStack's test_update_account_password_policy_defaults); one set with it shows it.
	if p.HardExpiry {
		out.HardExpiry = ptr(true)
	}
	if p.MaxAge > 0 {
		out.MaxPasswordAge = ptr(int32(p.MaxAge))
	}
	if p.ReusePrevention > 0 {
		out.PasswordReusePrevention = ptr(int32(p.ReusePrevention))
	}
	return &iamapi.GetAccountPasswordPolicyOutput{PasswordPolicy: out}, nil
}

func (s *Service) DeleteAccountPasswordPolicy(ctx context.Context, a Account, in *iamapi.DeleteAccountPasswordPolicyInput) (*iamapi.DeleteAccountPasswordPolicyOutput, error) {
	err := s.update(ctx, a, "DeleteAccountPasswordPolicy", func() string { return "password-policy" }, func(t *txn) error {
		if found, err := exists(t.tx, t.k.passwordPolicy()); err != nil {
			return err
		} else if !found {
			// Not GetAccountPasswordPolicy's wording: AWS's DeleteAccountPasswordPolicy
			// example (AWS Tools for PowerShell, Remove-IAMAccountPasswordPolicy) quotes this
			// message for an account without a password policy.
			return noSuchEntity("The account policy with name PasswordPolicy cannot be found.")
		}
		return t.tx.Delete(t.k.passwordPolicy())
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.DeleteAccountPasswordPolicyOutput{}, nil
}
