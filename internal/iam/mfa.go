package iam

import (
	"context"
	"crypto/subtle"
	"encoding/base32"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/hotp"
	qrcode "github.com/skip2/go-qrcode"

	"gatehouse/internal/awserr"
	"gatehouse/internal/awsproto/iamapi"
	"gatehouse/internal/kv"
)

// Virtual MFA devices (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_mfa_enable_virtual.html):
// CreateVirtualMFADevice makes a TOTP seed (RFC 6238: HMAC-SHA1, six digits, 30-second
// steps) and returns it once, as Base32 and as a QR code of its otpauth URI; the seed is
// stored sealed with the device's serial number as associated data. EnableMFADevice assigns
// the device to a user after two consecutive codes; ResyncMFADevice re-measures the
// device's clock from two consecutive codes; VerifyMFA checks one code for the STS path.
//
// Keys (added to the layout of keys.go):
//
//	a/<acct>/mfa/<lcname>                  mfaRecord (a virtual MFA device; sealed seed)
//	a/<acct>/user-mfa/<lcuser>/<lcname>    index: the devices enabled for a user
func (k keys) mfaPrefix() string                { return k.base() + "mfa/" }
func (k keys) mfa(name string) string           { return k.mfaPrefix() + lower(name) }
func (k keys) userMFAPrefix(user string) string { return k.base() + "user-mfa/" + lower(user) + "/" }
func (k keys) userMFA(user, name string) string { return k.userMFAPrefix(user) + lower(name) }

const (
	kindMFA      entityKind = "mfa"        // counted: GetAccountSummary's MFADevices
	kindMFAInUse entityKind = "mfa-in-use" // counted: MFADevicesInUse

	mfaSeedBytes = 40 // 64 Base32 characters, the length of the seeds IAM issues
	mfaPeriod    = 30 // seconds per TOTP step (RFC 6238's default, what authenticator apps use)
	// maxMFAPerUser is IAM's quota: "You can register up to eight MFA devices of any
	// combination ... with your AWS account root user and IAM users"
	// (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_mfa.html).
	maxMFAPerUser = 8
	// enableWindow is how many steps before now the first of two consecutive codes may be:
	// a person reads one code, waits for the next, and submits.
	enableWindow = 3
	// resyncWindow is how far (in steps, either way) ResyncMFADevice searches for the
	// device's clock: ten minutes.
	resyncWindow = 20
	// verifyWindow is the skew allowed for a single code: one step either way, RFC 6238
	// §5.2's recommendation.
	verifyWindow = 1
)

var mfaOpts = hotp.ValidateOpts{Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}

type mfaRecord struct {
	Name    string      `json:"name"`
	Path    string      `json:"path"`
	Serial  string      `json:"serial"`
	Created time.Time   `json:"created"`
	Sealed  []byte      `json:"sealed"` // the Base32 seed sealed with Serial as associated data
	Tags    []tagRecord `json:"tags,omitempty"`
	// User is the name (as spelt) of the user the device is enabled for; "" when unassigned.
	User    string     `json:"user,omitempty"`
	Enabled *time.Time `json:"enabled,omitempty"`
	// Counter is the last TOTP step accepted, so that a code is never accepted twice.
	Counter int64 `json:"counter,omitempty"`
	// Drift is how many steps the device's clock runs ahead of ours, measured by
	// EnableMFADevice and ResyncMFADevice.
	Drift int64 `json:"drift,omitempty"`
}

// ErrInvalidMFACode is VerifyMFA's answer to a wrong, replayed or out-of-window code.
var ErrInvalidMFACode = errors.New("iam: invalid MFA code")

// ErrNoSuchMFADevice is VerifyMFA's answer when the serial number names no device enabled
// for the user.
var ErrNoSuchMFADevice = errors.New("iam: no such MFA device for the user")

func mfaNotFound(serial string) *awserr.Error {
	// Recorded against AWS for DeleteVirtualMFADevice and DeactivateMFADevice (LocalStack's
	// test_iam_mfa snapshots).
	return noSuchEntity("MFA Device with serial number %s does not exist.", serial)
}

func invalidAuthCode() *awserr.Error {
	return iamapi.InvalidAuthenticationCode("Authentication code for device is not valid.")
}

// mfaName returns the device name a serial number of this account names.
func mfaName(a Account, serial string) (string, bool) {
	p, ok := parseIAMARN(serial)
	if !ok || p.Resource != "mfa" || p.Account != a.ID || p.Name == "" {
		return "", false
	}
	return p.Name, true
}

// getMFA reads the device a serial number names; it must match the record's serial exactly
// (path included).
func getMFA(tx kv.Tx, a Account, serial string) (mfaRecord, error) {
	var rec mfaRecord
	name, ok := mfaName(a, serial)
	if !ok {
		return rec, mfaNotFound(serial)
	}
	found, err := getJSON(tx, keysFor(a.ID).mfa(name), &rec)
	if err != nil {
		return rec, err
	}
	if !found || rec.Serial != serial {
		return rec, mfaNotFound(serial)
	}
	return rec, nil
}

// otpauthURI is what the QR code holds, in the Key Uri Format authenticator apps read
// (https://github.com/google/google-authenticator/wiki/Key-Uri-Format): the label is
// "<issuer>:<device name>" and the issuer is the account's alias, or its ID without one.
func otpauthURI(issuer, name, seed string) string {
	v := url.Values{}
	v.Set("secret", seed)
	v.Set("issuer", issuer)
	v.Set("algorithm", "SHA1")
	v.Set("digits", "6")
	v.Set("period", fmt.Sprint(mfaPeriod))
	return "otpauth://totp/" + url.PathEscape(issuer+":"+name) + "?" + v.Encode()
}

func (s *Service) CreateVirtualMFADevice(ctx context.Context, a Account, in *iamapi.CreateVirtualMFADeviceInput) (*iamapi.CreateVirtualMFADeviceOutput, error) {
	name, path := str(in.VirtualMFADeviceName), pathOr(in.Path)
	// The validation layer leaves this path's pattern to IAM, which answers in its own words
	// (awsproto/gen servicePatterns; recorded against AWS in LocalStack's
	// test_virtual_mfa_device_errors).
	if !validMFAPath(path) {
		return nil, awserr.ValidationError("The specified value for path is invalid. It must begin and end with / and contain only alphanumeric characters and/or / characters.")
	}
	tags := tagsIn(in.Tags)
	if err := checkNewTags(tags); err != nil {
		return nil, err
	}
	if len(tags) > maxTags {
		return nil, quota("TagsPerMFADevice", maxTags)
	}
	raw := make([]byte, mfaSeedBytes)
	if _, err := s.opt.Rand.Read(raw); err != nil {
		return nil, fmt.Errorf("iam: random: %w", err)
	}
	seed := base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(raw)
	serial := arnOf(a.partition(), a.ID, "mfa", path, name)
	sealed, err := s.opt.Sealer.Seal([]byte(seed), []byte(serial))
	if err != nil {
		return nil, fmt.Errorf("iam: seal MFA seed: %w", err)
	}
	issuer := a.ID
	err = s.update(ctx, a, "CreateVirtualMFADevice", func() string { return "mfa" + path + name }, func(t *txn) error {
		if has, err := exists(t.tx, t.k.mfa(name)); err != nil {
			return err
		} else if has {
			return entityAlreadyExists("MFA device already exists.") // recorded against AWS (test_virtual_mfa_device_errors)
		}
		var acct accountRecord
		if _, err := getJSON(t.tx, accountKey(a.ID), &acct); err != nil {
			return err
		}
		if acct.Alias != "" {
			issuer = acct.Alias
		}
		if err := t.count(kindMFA, 1, 0, ""); err != nil {
			return err
		}
		return putJSON(t.tx, t.k.mfa(name), mfaRecord{Name: name, Path: path, Serial: serial, Created: t.now, Sealed: sealed, Tags: tags})
	})
	if err != nil {
		return nil, err
	}
	png, err := qrcode.Encode(otpauthURI(issuer, name, seed), qrcode.Medium, 256)
	if err != nil {
		return nil, fmt.Errorf("iam: QR code: %w", err)
	}
	return &iamapi.CreateVirtualMFADeviceOutput{VirtualMFADevice: iamapi.VirtualMFADevice{
		SerialNumber: serial, Base32StringSeed: []byte(seed), QRCodePNG: png, Tags: tagsOut(tags)}}, nil
}

// code is the TOTP code of a seed at step n.
func totpCode(seed string, n int64) (string, error) {
	if n < 0 {
		return "", errors.New("negative step")
	}
	return hotp.GenerateCodeCustom(seed, uint64(n), mfaOpts)
}

func codeIs(seed string, n int64, code string) bool {
	want, err := totpCode(seed, n)
	return err == nil && len(code) == len(want) && subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1
}

// consecutive finds the step n in [from, to] at which code1 is the device's code and code2
// its next one; it returns n+1, the step of the later code.
func consecutive(seed, code1, code2 string, from, to int64) (int64, bool) {
	for n := from; n <= to; n++ {
		if codeIs(seed, n, code1) && codeIs(seed, n+1, code2) {
			return n + 1, true
		}
	}
	return 0, false
}

func (s *Service) step(t time.Time) int64 { return t.Unix() / mfaPeriod }

func (s *Service) openSeed(rec mfaRecord) (string, error) {
	b, err := s.opt.Sealer.Open(rec.Sealed, []byte(rec.Serial))
	if err != nil {
		return "", fmt.Errorf("iam: open MFA seed of %s: %w", rec.Serial, err)
	}
	return string(b), nil
}

func (s *Service) EnableMFADevice(ctx context.Context, a Account, in *iamapi.EnableMFADeviceInput) (*iamapi.EnableMFADeviceOutput, error) {
	name, serial := str(in.UserName), str(in.SerialNumber)
	err := s.update(ctx, a, "EnableMFADevice", func() string { return "user/" + name }, func(t *txn) error {
		u, err := getUser(t.tx, t.k, name)
		if err != nil {
			return err
		}
		rec, err := getMFA(t.tx, a, serial)
		if err != nil {
			return err
		}
		if rec.User != "" {
			return entityAlreadyExists("MFA Device is already in use.")
		}
		held, err := listAll(t.tx, t.k.userMFAPrefix(name))
		if err != nil {
			return err
		}
		if len(held) >= maxMFAPerUser {
			return limitExceeded("Cannot exceed quota for MFADevicesPerUser: %d", maxMFAPerUser)
		}
		seed, err := t.s.openSeed(rec)
		if err != nil {
			return err
		}
		cur := t.s.step(t.now)
		n, ok := consecutive(seed, str(in.AuthenticationCode1), str(in.AuthenticationCode2), cur-enableWindow, cur)
		if !ok && t.s.opt.MotoLenient {
			// moto server enables a device whatever the codes, and suites written for it
			// send made-up ones ("234567", "987654" in moto's test_iam.py). The device's
			// own codes are accepted from the current step on, with no drift assumed.
			n, ok = cur-1, true
		}
		if !ok {
			return invalidAuthCode()
		}
		rec.User, rec.Enabled, rec.Counter, rec.Drift = u.Name, timePtr(t.now), n, max(n-cur, 0)
		if err := t.count(kindMFAInUse, 1, 0, ""); err != nil {
			return err
		}
		// aws:MultiFactorAuthPresent is a request property, not a policy-set one, so no
		// principal is touched.
		if err := t.tx.Put(t.k.userMFA(name, rec.Name), nil); err != nil {
			return err
		}
		return putJSON(t.tx, t.k.mfa(rec.Name), rec)
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.EnableMFADeviceOutput{}, nil
}

// assignedMFA reads a device that must be enabled for the named user.
func assignedMFA(tx kv.Tx, a Account, user, serial string) (mfaRecord, error) {
	rec, err := getMFA(tx, a, serial)
	if err != nil {
		return rec, err
	}
	if rec.User == "" || lower(rec.User) != lower(user) {
		return rec, noSuchEntity("MFA Device with serial number %s does not exist.", serial)
	}
	return rec, nil
}

// mfaOwner is the user an MFA call acts on: the named one, or the calling user.
func mfaOwner(tx kv.Tx, a Account, name *string) (userRecord, error) {
	owner, u, err := keyOwnerRecord(tx, a, name)
	if err != nil {
		return userRecord{}, err
	}
	if u == nil || owner == "" {
		// The root user's own MFA device is managed through the console, not this API.
		return userRecord{}, awserr.ValidationError("Must specify userName when calling with non-User credentials")
	}
	return *u, nil
}

func (s *Service) DeactivateMFADevice(ctx context.Context, a Account, in *iamapi.DeactivateMFADeviceInput) (*iamapi.DeactivateMFADeviceOutput, error) {
	serial := str(in.SerialNumber)
	err := s.update(ctx, a, "DeactivateMFADevice", func() string { return serial }, func(t *txn) error {
		u, err := mfaOwner(t.tx, a, in.UserName)
		if err != nil {
			return err
		}
		rec, err := assignedMFA(t.tx, a, u.Name, serial)
		if err != nil {
			return err
		}
		if err := t.tx.Delete(t.k.userMFA(u.Name, rec.Name)); err != nil {
			return err
		}
		if err := t.count(kindMFAInUse, -1, 0, ""); err != nil {
			return err
		}
		rec.User, rec.Enabled, rec.Counter, rec.Drift = "", nil, 0, 0
		return putJSON(t.tx, t.k.mfa(rec.Name), rec)
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.DeactivateMFADeviceOutput{}, nil
}

func (s *Service) ResyncMFADevice(ctx context.Context, a Account, in *iamapi.ResyncMFADeviceInput) (*iamapi.ResyncMFADeviceOutput, error) {
	serial := str(in.SerialNumber)
	err := s.update(ctx, a, "ResyncMFADevice", func() string { return serial }, func(t *txn) error {
		u, err := mfaOwner(t.tx, a, in.UserName)
		if err != nil {
			return err
		}
		rec, err := assignedMFA(t.tx, a, u.Name, serial)
		if err != nil {
			return err
		}
		seed, err := t.s.openSeed(rec)
		if err != nil {
			return err
		}
		cur := t.s.step(t.now)
		n, ok := consecutive(seed, str(in.AuthenticationCode1), str(in.AuthenticationCode2), cur-resyncWindow, cur+resyncWindow)
		if !ok || n <= rec.Counter {
			return invalidAuthCode()
		}
		rec.Counter, rec.Drift = n, n-cur
		return putJSON(t.tx, t.k.mfa(rec.Name), rec)
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.ResyncMFADeviceOutput{}, nil
}

func (s *Service) DeleteVirtualMFADevice(ctx context.Context, a Account, in *iamapi.DeleteVirtualMFADeviceInput) (*iamapi.DeleteVirtualMFADeviceOutput, error) {
	serial := str(in.SerialNumber)
	err := s.update(ctx, a, "DeleteVirtualMFADevice", func() string { return serial }, func(t *txn) error {
		rec, err := getMFA(t.tx, a, serial)
		if err != nil {
			return err
		}
		if rec.User != "" {
			return deleteConflict("MFA Device is still in use.")
		}
		if err := t.count(kindMFA, -1, 0, ""); err != nil {
			return err
		}
		return t.tx.Delete(t.k.mfa(rec.Name))
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.DeleteVirtualMFADeviceOutput{}, nil
}

// userMFADevices returns the devices enabled for a user, in name order.
func userMFADevices(tx kv.Tx, k keys, user string) ([]mfaRecord, error) {
	ps, err := listAll(tx, k.userMFAPrefix(user))
	if err != nil {
		return nil, err
	}
	out := make([]mfaRecord, 0, len(ps))
	for _, p := range ps {
		var rec mfaRecord
		found, err := getJSON(tx, k.mfa(p.Key[len(k.userMFAPrefix(user)):]), &rec)
		if err != nil {
			return nil, err
		}
		if found {
			out = append(out, rec)
		}
	}
	return out, nil
}

// ListMFADevices lists the devices enabled for the named user, or for the calling user
// (https://docs.aws.amazon.com/IAM/latest/APIReference/API_ListMFADevices.html).
func (s *Service) ListMFADevices(ctx context.Context, a Account, in *iamapi.ListMFADevicesInput) (*iamapi.ListMFADevicesOutput, error) {
	k := keysFor(a.ID)
	pg, err := newPager("ListMFADevices", k.base(), in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	out := &iamapi.ListMFADevicesOutput{MFADevices: []iamapi.MFADevice{}}
	err = s.view(ctx, func(tx kv.Tx) error {
		owner, err := keyOwner(tx, a, in.UserName)
		if err != nil || owner == "" {
			// The root user's devices are not listed here.
			return err
		}
		devs, err := userMFADevices(tx, k, owner)
		if err != nil {
			return err
		}
		start, end, tr, next := pg.window(len(devs), func(i int) string { return k.mfa(devs[i].Name) })
		for _, d := range devs[start:end] {
			out.MFADevices = append(out.MFADevices, iamapi.MFADevice{UserName: d.User, SerialNumber: d.Serial, EnableDate: *d.Enabled})
		}
		out.IsTruncated, out.Marker = markerOut(tr, next)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ListVirtualMFADevices lists the account's virtual MFA devices by AssignmentStatus (Any by
// default), without their seeds; an assigned device carries its user and enable date.
func (s *Service) ListVirtualMFADevices(ctx context.Context, a Account, in *iamapi.ListVirtualMFADevicesInput) (*iamapi.ListVirtualMFADevicesOutput, error) {
	k := keysFor(a.ID)
	pg, err := newPager("ListVirtualMFADevices", k.base(), in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	out := &iamapi.ListVirtualMFADevicesOutput{VirtualMFADevices: []iamapi.VirtualMFADevice{}}
	err = s.view(ctx, func(tx kv.Tx) error {
		ps, err := listAll(tx, k.mfaPrefix())
		if err != nil {
			return err
		}
		var devs []mfaRecord
		for _, p := range ps {
			var rec mfaRecord
			if err := jsonValue(p, &rec); err != nil {
				return err
			}
			switch in.AssignmentStatus {
			case iamapi.AssignmentStatusTypeAssigned:
				if rec.User == "" {
					continue
				}
			case iamapi.AssignmentStatusTypeUnassigned:
				if rec.User != "" {
					continue
				}
			}
			devs = append(devs, rec)
		}
		start, end, tr, next := pg.window(len(devs), func(i int) string { return k.mfa(devs[i].Name) })
		for _, d := range devs[start:end] {
			v := iamapi.VirtualMFADevice{SerialNumber: d.Serial, EnableDate: d.Enabled, Tags: tagsOut(d.Tags)}
			if d.User != "" {
				u, err := getUser(tx, k, d.User)
				if err != nil {
					return err
				}
				uo := a.userOut(u, false)
				v.User = &uo
			}
			out.VirtualMFADevices = append(out.VirtualMFADevices, v)
		}
		out.IsTruncated, out.Marker = markerOut(tr, next)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// GetMFADevice describes a device enabled for a user (the named one or the caller).
func (s *Service) GetMFADevice(ctx context.Context, a Account, in *iamapi.GetMFADeviceInput) (*iamapi.GetMFADeviceOutput, error) {
	serial := str(in.SerialNumber)
	var out iamapi.GetMFADeviceOutput
	err := s.view(ctx, func(tx kv.Tx) error {
		var rec mfaRecord
		var err error
		if in.UserName != nil && *in.UserName != "" {
			if _, err := getUser(tx, keysFor(a.ID), *in.UserName); err != nil {
				return err
			}
			rec, err = assignedMFA(tx, a, *in.UserName, serial)
		} else {
			rec, err = getMFA(tx, a, serial)
			if err == nil && rec.User == "" {
				err = noSuchEntity("MFA Device with serial number %s does not exist.", serial)
			}
		}
		if err != nil {
			return err
		}
		out = iamapi.GetMFADeviceOutput{UserName: ptr(rec.User), SerialNumber: rec.Serial, EnableDate: rec.Enabled}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

func (s *Service) modifyMFA(ctx context.Context, a Account, action, serial string, fn func(r *mfaRecord) error) error {
	return s.update(ctx, a, action, func() string { return serial }, func(t *txn) error {
		rec, err := getMFA(t.tx, a, serial)
		if err != nil {
			return err
		}
		if err := fn(&rec); err != nil {
			return err
		}
		return putJSON(t.tx, t.k.mfa(rec.Name), rec)
	})
}

func (s *Service) TagMFADevice(ctx context.Context, a Account, in *iamapi.TagMFADeviceInput) (*iamapi.TagMFADeviceOutput, error) {
	err := s.modifyMFA(ctx, a, "TagMFADevice", str(in.SerialNumber), func(r *mfaRecord) error {
		var err error
		r.Tags, err = mergeTags(r.Tags, tagsIn(in.Tags), "TagsPerMFADevice")
		return err
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.TagMFADeviceOutput{}, nil
}

func (s *Service) UntagMFADevice(ctx context.Context, a Account, in *iamapi.UntagMFADeviceInput) (*iamapi.UntagMFADeviceOutput, error) {
	err := s.modifyMFA(ctx, a, "UntagMFADevice", str(in.SerialNumber), func(r *mfaRecord) error {
		r.Tags = removeTags(r.Tags, in.TagKeys)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.UntagMFADeviceOutput{}, nil
}

func (s *Service) ListMFADeviceTags(ctx context.Context, a Account, in *iamapi.ListMFADeviceTagsInput) (*iamapi.ListMFADeviceTagsOutput, error) {
	var rec mfaRecord
	err := s.view(ctx, func(tx kv.Tx) error {
		var err error
		rec, err = getMFA(tx, a, str(in.SerialNumber))
		return err
	})
	if err != nil {
		return nil, err
	}
	tags, tr, next, err := pageTags(a, "ListMFADeviceTags", rec.Tags, in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	out := &iamapi.ListMFADeviceTagsOutput{Tags: tags}
	out.IsTruncated, out.Marker = markerOut(tr, next)
	return out, nil
}

// VerifyMFA checks one TOTP code of a device enabled for the user, for STS's
// GetSessionToken/AssumeRole with SerialNumber and TokenCode. A code is accepted once: the
// step it belongs to is recorded, so a replay (or an older code) fails. It returns
// ErrNoSuchMFADevice or ErrInvalidMFACode (wrapped) for a client mistake.
func (s *Service) VerifyMFA(ctx context.Context, account, userName, serialNumber, code string) error {
	a := Account{ID: account}
	err := s.opt.Store.Update(ctx, func(tx kv.Tx) error {
		rec, err := assignedMFA(tx, a, userName, serialNumber)
		if err != nil {
			if _, ok := awserr.As(err); ok {
				return ErrNoSuchMFADevice
			}
			return err
		}
		seed, err := s.openSeed(rec)
		if err != nil {
			return err
		}
		cur := s.step(s.opt.Now()) + rec.Drift
		for n := cur - verifyWindow; n <= cur+verifyWindow; n++ {
			if n > rec.Counter && codeIs(seed, n, code) {
				rec.Counter = n
				return putJSON(tx, keysFor(account).mfa(rec.Name), rec)
			}
		}
		return ErrInvalidMFACode
	})
	if err != nil {
		return fmt.Errorf("iam: verify MFA %s for %s: %w", serialNumber, userName, err)
	}
	return nil
}

// hasMFA reports whether a user has any MFA device enabled (the credential report's
// mfa_active).
func hasMFA(tx kv.Tx, k keys, user string) (bool, error) { return hasAny(tx, k.userMFAPrefix(user)) }

// renameUserMFA moves a user's devices to the user's new name (UpdateUser's NewUserName).
func (t *txn) renameUserMFA(oldName, newName string) error {
	devs, err := userMFADevices(t.tx, t.k, oldName)
	if err != nil {
		return err
	}
	for _, d := range devs {
		if err := t.tx.Delete(t.k.userMFA(oldName, d.Name)); err != nil {
			return err
		}
		d.User = newName
		if err := t.tx.Put(t.k.userMFA(newName, d.Name), nil); err != nil {
			return err
		}
		if err := putJSON(t.tx, t.k.mfa(d.Name), d); err != nil {
			return err
		}
	}
	return nil
}

// validMFAPath is the model's path pattern, (\u002F)|(\u002F[\u0021-\u007E]+\u002F): "/" alone,
// or printable ASCII between a leading and a trailing "/".
func validMFAPath(p string) bool {
	if p == "/" {
		return true
	}
	if len(p) < 3 || p[0] != '/' || p[len(p)-1] != '/' {
		return false
	}
	for i := 0; i < len(p); i++ {
		if p[i] < 0x21 || p[i] > 0x7e {
			return false
		}
	}
	return true
}
