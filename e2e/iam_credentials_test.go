package e2e

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base32"
	"encoding/base64"
	bin "encoding/binary"
	"encoding/pem"
	"fmt"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/google/go-cmp/cmp"
)

// The user's other credentials, through the SDK: virtual MFA devices, SSH public keys,
// signing certificates, service-specific credentials and a user's own password change.

// totp is RFC 6238's code for a Base32 seed at step n (HMAC-SHA1, six digits), as an
// authenticator app computes it.
func totp(t *testing.T, seed []byte, n int64) string {
	t.Helper()
	key, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(strings.TrimRight(string(seed), "="))
	if err != nil {
		t.Fatalf("MFA seed is not Base32: %v", err)
	}
	var msg [8]byte
	bin.BigEndian.PutUint64(msg[:], uint64(n))
	m := hmac.New(sha1.New, key)
	m.Write(msg[:])
	sum := m.Sum(nil)
	off := sum[len(sum)-1] & 0x0f
	code := bin.BigEndian.Uint32(sum[off:off+4]) & 0x7fffffff
	return fmt.Sprintf("%06d", code%1000000)
}

// selfSigned returns a fresh RSA key and a self-signed certificate for cn, both PEM.
func selfSigned(t *testing.T, cn string) (certPEM, keyPEM string) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour), DNSNames: []string{cn},
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	certPEM = string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
	keyPEM = string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}))
	return certPEM, keyPEM
}

// sshRSA returns an OpenSSH "ssh-rsa AAAA…" line for a fresh 2048-bit key (RFC 4253 §6.6).
func sshRSA(t *testing.T) string {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	var b []byte
	str := func(p []byte) {
		b = bin.BigEndian.AppendUint32(b, uint32(len(p)))
		b = append(b, p...)
	}
	mpint := func(x *big.Int) {
		p := x.Bytes()
		if len(p) > 0 && p[0]&0x80 != 0 {
			p = append([]byte{0}, p...)
		}
		str(p)
	}
	str([]byte("ssh-rsa"))
	mpint(big.NewInt(int64(key.PublicKey.E)))
	mpint(key.PublicKey.N)
	return "ssh-rsa " + base64.StdEncoding.EncodeToString(b) + " e2e@gatehouse"
}

// Virtual MFA devices: https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateVirtualMFADevice.html
// and EnableMFADevice ("two consecutive authentication codes"), ResyncMFADevice,
// DeactivateMFADevice, DeleteVirtualMFADevice, GetMFADevice, ListVirtualMFADevices,
// ListMFADevices, and tags.
func TestIAMVirtualMFADevices(t *testing.T) {
	t.Parallel()
	_, c := newRootServer(t)
	ctx := ctxT(t)
	acct := accountID(t, c)
	must(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("mo")}))(t)
	d := must(c.CreateVirtualMFADevice(ctx, &iam.CreateVirtualMFADeviceInput{VirtualMFADeviceName: aws.String("mo-phone"),
		Tags: []types.Tag{tag("kind", "phone")}}))(t).VirtualMFADevice
	serial := aws.ToString(d.SerialNumber)
	if serial != "arn:aws:iam::"+acct+":mfa/mo-phone" || len(d.Base32StringSeed) == 0 || len(d.QRCodePNG) == 0 {
		t.Fatalf("CreateVirtualMFADevice: serial %q seed %d bytes QR %d bytes", serial, len(d.Base32StringSeed), len(d.QRCodePNG))
	}
	_, err := c.CreateVirtualMFADevice(ctx, &iam.CreateVirtualMFADeviceInput{VirtualMFADeviceName: aws.String("MO-PHONE")})
	apiErr(t, err, "EntityAlreadyExists", 409)

	// Unassigned, it is listed as such; the seed is never returned again.
	un := must(c.ListVirtualMFADevices(ctx, &iam.ListVirtualMFADevicesInput{AssignmentStatus: types.AssignmentStatusTypeUnassigned}))(t).VirtualMFADevices
	if len(un) != 1 || aws.ToString(un[0].SerialNumber) != serial || len(un[0].Base32StringSeed) != 0 {
		t.Errorf("ListVirtualMFADevices Unassigned: got %d devices", len(un))
	}

	now := time.Now().Unix() / 30
	_, err = c.EnableMFADevice(ctx, &iam.EnableMFADeviceInput{UserName: aws.String("mo"), SerialNumber: aws.String(serial),
		AuthenticationCode1: aws.String("000000"), AuthenticationCode2: aws.String("000001")})
	apiErr(t, err, "InvalidAuthenticationCode", 403)
	must(c.EnableMFADevice(ctx, &iam.EnableMFADeviceInput{UserName: aws.String("mo"), SerialNumber: aws.String(serial),
		AuthenticationCode1: aws.String(totp(t, d.Base32StringSeed, now-1)), AuthenticationCode2: aws.String(totp(t, d.Base32StringSeed, now))}))(t)
	md := must(c.ListMFADevices(ctx, &iam.ListMFADevicesInput{UserName: aws.String("mo")}))(t).MFADevices
	if len(md) != 1 || aws.ToString(md[0].SerialNumber) != serial || aws.ToString(md[0].UserName) != "mo" {
		t.Errorf("ListMFADevices mo: got %d devices", len(md))
	}
	as := must(c.ListVirtualMFADevices(ctx, &iam.ListVirtualMFADevicesInput{AssignmentStatus: types.AssignmentStatusTypeAssigned}))(t).VirtualMFADevices
	if len(as) != 1 || as[0].User == nil || aws.ToString(as[0].User.UserName) != "mo" {
		t.Errorf("ListVirtualMFADevices Assigned: got %d devices", len(as))
	}
	gm := must(c.GetMFADevice(ctx, &iam.GetMFADeviceInput{SerialNumber: aws.String(serial)}))(t)
	if aws.ToString(gm.UserName) != "mo" || gm.EnableDate == nil {
		t.Errorf("GetMFADevice: got user %q enabled %v", aws.ToString(gm.UserName), gm.EnableDate)
	}
	// A user with an MFA device cannot be deleted (API_DeleteUser.html lists the MFA device).
	_, err = c.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("mo")})
	apiErr(t, err, "DeleteConflict", 409)
	// An assigned device cannot be deleted before it is deactivated.
	_, err = c.DeleteVirtualMFADevice(ctx, &iam.DeleteVirtualMFADeviceInput{SerialNumber: aws.String(serial)})
	apiErr(t, err, "DeleteConflict", 409)

	must(c.ResyncMFADevice(ctx, &iam.ResyncMFADeviceInput{UserName: aws.String("mo"), SerialNumber: aws.String(serial),
		AuthenticationCode1: aws.String(totp(t, d.Base32StringSeed, now+1)), AuthenticationCode2: aws.String(totp(t, d.Base32StringSeed, now+2))}))(t)

	must(c.TagMFADevice(ctx, &iam.TagMFADeviceInput{SerialNumber: aws.String(serial), Tags: []types.Tag{tag("owner", "mo")}}))(t)
	must(c.UntagMFADevice(ctx, &iam.UntagMFADeviceInput{SerialNumber: aws.String(serial), TagKeys: []string{"kind"}}))(t)
	if got := tagMap(must(c.ListMFADeviceTags(ctx, &iam.ListMFADeviceTagsInput{SerialNumber: aws.String(serial)}))(t).Tags); !cmp.Equal(got, map[string]string{"owner": "mo"}) {
		t.Errorf("ListMFADeviceTags: got %v, want owner=mo", got)
	}

	must(c.DeactivateMFADevice(ctx, &iam.DeactivateMFADeviceInput{UserName: aws.String("mo"), SerialNumber: aws.String(serial)}))(t)
	if n := len(must(c.ListMFADevices(ctx, &iam.ListMFADevicesInput{UserName: aws.String("mo")}))(t).MFADevices); n != 0 {
		t.Errorf("mo's devices after deactivation: got %d, want 0", n)
	}
	must(c.DeleteVirtualMFADevice(ctx, &iam.DeleteVirtualMFADeviceInput{SerialNumber: aws.String(serial)}))(t)
	_, err = c.GetMFADevice(ctx, &iam.GetMFADeviceInput{SerialNumber: aws.String(serial)})
	apiErr(t, err, "NoSuchEntity", 404)
	must(c.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("mo")}))(t)
}

// SSH public keys for CodeCommit: https://docs.aws.amazon.com/IAM/latest/APIReference/API_UploadSSHPublicKey.html.
func TestIAMSSHPublicKeys(t *testing.T) {
	t.Parallel()
	_, c := newRootServer(t)
	ctx := ctxT(t)
	must(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("dev")}))(t)
	body := sshRSA(t)
	k := must(c.UploadSSHPublicKey(ctx, &iam.UploadSSHPublicKeyInput{UserName: aws.String("dev"), SSHPublicKeyBody: aws.String(body)}))(t).SSHPublicKey
	id := aws.ToString(k.SSHPublicKeyId)
	if !strings.HasPrefix(id, "APKA") || k.Status != types.StatusTypeActive || aws.ToString(k.Fingerprint) == "" {
		t.Errorf("UploadSSHPublicKey: got ID %q status %q fingerprint %q", id, k.Status, aws.ToString(k.Fingerprint))
	}
	_, err := c.UploadSSHPublicKey(ctx, &iam.UploadSSHPublicKeyInput{UserName: aws.String("dev"), SSHPublicKeyBody: aws.String("ssh-rsa not-a-key")})
	if err == nil {
		t.Error("uploading a malformed SSH key: got success")
	}
	got := must(c.GetSSHPublicKey(ctx, &iam.GetSSHPublicKeyInput{UserName: aws.String("dev"), SSHPublicKeyId: aws.String(id), Encoding: types.EncodingTypeSsh}))(t).SSHPublicKey
	if !strings.HasPrefix(aws.ToString(got.SSHPublicKeyBody), "ssh-rsa ") {
		t.Errorf("GetSSHPublicKey SSH encoding: got %q", aws.ToString(got.SSHPublicKeyBody))
	}
	must(c.UpdateSSHPublicKey(ctx, &iam.UpdateSSHPublicKeyInput{UserName: aws.String("dev"), SSHPublicKeyId: aws.String(id), Status: types.StatusTypeInactive}))(t)
	ls := must(c.ListSSHPublicKeys(ctx, &iam.ListSSHPublicKeysInput{UserName: aws.String("dev")}))(t).SSHPublicKeys
	if len(ls) != 1 || ls[0].Status != types.StatusTypeInactive {
		t.Errorf("ListSSHPublicKeys: got %+v, want one Inactive key", ls)
	}
	_, err = c.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("dev")})
	apiErr(t, err, "DeleteConflict", 409)
	must(c.DeleteSSHPublicKey(ctx, &iam.DeleteSSHPublicKeyInput{UserName: aws.String("dev"), SSHPublicKeyId: aws.String(id)}))(t)
	_, err = c.GetSSHPublicKey(ctx, &iam.GetSSHPublicKeyInput{UserName: aws.String("dev"), SSHPublicKeyId: aws.String(id), Encoding: types.EncodingTypeSsh})
	apiErr(t, err, "NoSuchEntity", 404)
	must(c.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("dev")}))(t)
}

// Signing certificates: https://docs.aws.amazon.com/IAM/latest/APIReference/API_UploadSigningCertificate.html.
func TestIAMSigningCertificates(t *testing.T) {
	t.Parallel()
	_, c := newRootServer(t)
	ctx := ctxT(t)
	must(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("signer")}))(t)
	certPEM, _ := selfSigned(t, "signer.example.com")
	sc := must(c.UploadSigningCertificate(ctx, &iam.UploadSigningCertificateInput{UserName: aws.String("signer"), CertificateBody: aws.String(certPEM)}))(t).Certificate
	id := aws.ToString(sc.CertificateId)
	if id == "" || sc.Status != types.StatusTypeActive || aws.ToString(sc.UserName) != "signer" {
		t.Errorf("UploadSigningCertificate: got ID %q status %q user %q", id, sc.Status, aws.ToString(sc.UserName))
	}
	_, err := c.UploadSigningCertificate(ctx, &iam.UploadSigningCertificateInput{UserName: aws.String("signer"), CertificateBody: aws.String("not a certificate")})
	apiErr(t, err, "MalformedCertificate", 400)
	must(c.UpdateSigningCertificate(ctx, &iam.UpdateSigningCertificateInput{UserName: aws.String("signer"), CertificateId: aws.String(id), Status: types.StatusTypeInactive}))(t)
	ls := must(c.ListSigningCertificates(ctx, &iam.ListSigningCertificatesInput{UserName: aws.String("signer")}))(t).Certificates
	if len(ls) != 1 || ls[0].Status != types.StatusTypeInactive || !strings.Contains(aws.ToString(ls[0].CertificateBody), "BEGIN CERTIFICATE") {
		t.Errorf("ListSigningCertificates: got %d certificates", len(ls))
	}
	_, err = c.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("signer")})
	apiErr(t, err, "DeleteConflict", 409)
	must(c.DeleteSigningCertificate(ctx, &iam.DeleteSigningCertificateInput{UserName: aws.String("signer"), CertificateId: aws.String(id)}))(t)
	_, err = c.DeleteSigningCertificate(ctx, &iam.DeleteSigningCertificateInput{UserName: aws.String("signer"), CertificateId: aws.String(id)})
	apiErr(t, err, "NoSuchEntity", 404)
	must(c.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("signer")}))(t)
}

// Service-specific credentials: https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateServiceSpecificCredential.html
// (the password is returned on create and reset only).
func TestIAMServiceSpecificCredentials(t *testing.T) {
	t.Parallel()
	_, c := newRootServer(t)
	ctx := ctxT(t)
	must(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("git")}))(t)
	cr := must(c.CreateServiceSpecificCredential(ctx, &iam.CreateServiceSpecificCredentialInput{UserName: aws.String("git"),
		ServiceName: aws.String("codecommit.amazonaws.com")}))(t).ServiceSpecificCredential
	id := aws.ToString(cr.ServiceSpecificCredentialId)
	if id == "" || aws.ToString(cr.ServicePassword) == "" || !strings.HasPrefix(aws.ToString(cr.ServiceUserName), "git-") || cr.Status != types.StatusTypeActive {
		t.Errorf("CreateServiceSpecificCredential: got ID %q user %q status %q password set %v", id, aws.ToString(cr.ServiceUserName), cr.Status, cr.ServicePassword != nil)
	}
	re := must(c.ResetServiceSpecificCredential(ctx, &iam.ResetServiceSpecificCredentialInput{UserName: aws.String("git"), ServiceSpecificCredentialId: aws.String(id)}))(t).ServiceSpecificCredential
	if aws.ToString(re.ServicePassword) == "" || aws.ToString(re.ServicePassword) == aws.ToString(cr.ServicePassword) {
		t.Error("ResetServiceSpecificCredential: want a new password")
	}
	must(c.UpdateServiceSpecificCredential(ctx, &iam.UpdateServiceSpecificCredentialInput{UserName: aws.String("git"), ServiceSpecificCredentialId: aws.String(id), Status: types.StatusTypeInactive}))(t)
	ls := must(c.ListServiceSpecificCredentials(ctx, &iam.ListServiceSpecificCredentialsInput{UserName: aws.String("git")}))(t).ServiceSpecificCredentials
	if len(ls) != 1 || ls[0].Status != types.StatusTypeInactive || aws.ToString(ls[0].ServiceName) != "codecommit.amazonaws.com" {
		t.Errorf("ListServiceSpecificCredentials: got %+v", ls)
	}
	_, err := c.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("git")})
	apiErr(t, err, "DeleteConflict", 409)
	must(c.DeleteServiceSpecificCredential(ctx, &iam.DeleteServiceSpecificCredentialInput{UserName: aws.String("git"), ServiceSpecificCredentialId: aws.String(id)}))(t)
	_, err = c.DeleteServiceSpecificCredential(ctx, &iam.DeleteServiceSpecificCredentialInput{UserName: aws.String("git"), ServiceSpecificCredentialId: aws.String(id)})
	apiErr(t, err, "NoSuchEntity", 404)
	must(c.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("git")}))(t)
}

// ChangePassword: a user changes its own console password, with the old one, when the
// account's password policy allows users to (https://docs.aws.amazon.com/IAM/latest/APIReference/API_ChangePassword.html).
func TestIAMChangePassword(t *testing.T) {
	t.Parallel()
	inst, root := newRootServer(t)
	ctx := ctxT(t)
	ann, _ := newUserClient(t, inst, root, "ann")
	must(root.CreateLoginProfile(ctx, &iam.CreateLoginProfileInput{UserName: aws.String("ann"), Password: aws.String("First-Password-1!"), PasswordResetRequired: true}))(t)
	must(root.UpdateAccountPasswordPolicy(ctx, &iam.UpdateAccountPasswordPolicyInput{AllowUsersToChangePassword: true, MinimumPasswordLength: aws.Int32(12)}))(t)
	// The AWS managed policy IAMUserChangePassword grants iam:ChangePassword on the user's own ARN.
	must(root.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("ann"), PolicyArn: aws.String("arn:aws:iam::aws:policy/IAMUserChangePassword")}))(t)
	_, err := ann.ChangePassword(ctx, &iam.ChangePasswordInput{OldPassword: aws.String("wrong-old-password"), NewPassword: aws.String("Second-Password-2!")})
	if err == nil {
		t.Fatal("ChangePassword with a wrong old password: got success")
	}
	_, err = ann.ChangePassword(ctx, &iam.ChangePasswordInput{OldPassword: aws.String("First-Password-1!"), NewPassword: aws.String("short")})
	apiErr(t, err, "PasswordPolicyViolation", 400)
	must(ann.ChangePassword(ctx, &iam.ChangePasswordInput{OldPassword: aws.String("First-Password-1!"), NewPassword: aws.String("Second-Password-2!")}))(t)
	// Changing the password clears the reset requirement.
	if must(root.GetLoginProfile(ctx, &iam.GetLoginProfileInput{UserName: aws.String("ann")}))(t).LoginProfile.PasswordResetRequired {
		t.Error("PasswordResetRequired after ChangePassword: got true, want false")
	}
	_, err = ann.ChangePassword(ctx, &iam.ChangePasswordInput{OldPassword: aws.String("First-Password-1!"), NewPassword: aws.String("Third-Password-3!")})
	if err == nil {
		t.Error("ChangePassword with the replaced password as old: got success")
	}
}
