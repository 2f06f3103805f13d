package iam

import (
	"crypto/md5"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
)

func jsonIn(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestServerCertificates(t *testing.T) {
	env := newEnv(t)
	ca := newTestCert(t, "ca", 2048, time.Date(2040, 1, 1, 0, 0, 0, 0, time.UTC), nil)
	leaf := newTestCert(t, "www.example.com", 0, time.Date(2031, 6, 1, 12, 0, 0, 0, time.UTC), &ca)
	other := newTestCert(t, "other", 0, time.Date(2031, 6, 1, 0, 0, 0, 0, time.UTC), nil)

	cases := []struct{ note, body, key, chain, code string }{
		{"a body that is not PEM", "hello", leaf.KeyPEM, "", "MalformedCertificate"},
		{"a key that is not PEM", leaf.CertPEM, "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", "", "MalformedCertificate"},
		{"another certificate's key", leaf.CertPEM, other.KeyPEM, "", "KeyPairMismatch"},
		{"a chain that is not PEM certificates", leaf.CertPEM, leaf.KeyPEM, "junk", "MalformedCertificate"},
		{"a chain that did not sign the body", leaf.CertPEM, leaf.KeyPEM, other.CertPEM, "MalformedCertificate"},
	}
	for _, c := range cases {
		in := map[string]any{"ServerCertificateName": "bad", "CertificateBody": c.body, "PrivateKey": c.key}
		if c.chain != "" {
			in["CertificateChain"] = c.chain
		}
		_, err := env.call(root(), "UploadServerCertificate", jsonIn(t, in))
		if err == nil {
			t.Fatalf("%s: got success, want %s", c.note, c.code)
		}
		wantErr(t, err, c.code, "")
	}

	in := jsonIn(t, map[string]any{"ServerCertificateName": "web", "Path": "/cloudfront/", "CertificateBody": leaf.CertPEM,
		"PrivateKey": leaf.KeyPEM, "CertificateChain": ca.CertPEM, "Tags": []map[string]string{{"Key": "env", "Value": "prod"}}})
	out := env.must("UploadServerCertificate", in)
	if err := subset(out, `{"ServerCertificateMetadata":{"Path":"/cloudfront/","ServerCertificateName":"web","Arn":"arn:aws:iam::`+testAccount+
		`:server-certificate/cloudfront/web","Expiration":"2031-06-01T12:00:00Z"}}`); err != nil {
		t.Fatal(err)
	}
	id := pick(t, out, "ServerCertificateMetadata.ServerCertificateId")
	if !strings.HasPrefix(id, "ASCA") || len(id) != 21 {
		t.Fatalf("got ID %q, want ASCA and 17 characters", id)
	}
	_, err := env.call(root(), "UploadServerCertificate", in)
	wantErr(t, err, "EntityAlreadyExists", "The Server Certificate with name web already exists.")

	get := env.must("GetServerCertificate", `{"ServerCertificateName":"WEB"}`)
	b, _ := json.Marshal(get)
	if strings.Contains(string(b), "PRIVATE KEY") || !strings.Contains(string(b), "BEGIN CERTIFICATE") {
		t.Fatalf("GetServerCertificate: %s", b)
	}
	for k, v := range snapshot(t, env.store) {
		if strings.Contains(v, "PRIVATE KEY") {
			t.Fatalf("%s holds the private key in clear", k)
		}
	}
	key, err := env.svc.ServerCertificatePrivateKey(ctx(), testAccount, "web")
	if err != nil || key != leaf.KeyPEM {
		t.Fatalf("ServerCertificatePrivateKey: %v", err)
	}

	env.must("UpdateServerCertificate", `{"ServerCertificateName":"web","NewServerCertificateName":"web2","NewPath":"/"}`)
	if err := subset(env.must("ListServerCertificates", `{"PathPrefix":"/cloudfront/"}`), `{"ServerCertificateMetadataList":[]}`); err != nil {
		t.Fatal(err)
	}
	if err := subset(env.must("ListServerCertificates", `{}`), `{"ServerCertificateMetadataList":[{"ServerCertificateName":"web2","Path":"/","ServerCertificateId":"`+id+`"}]}`); err != nil {
		t.Fatal(err)
	}
	env.must("TagServerCertificate", `{"ServerCertificateName":"web2","Tags":[{"Key":"a","Value":"b"}]}`)
	env.must("UntagServerCertificate", `{"ServerCertificateName":"web2","TagKeys":["env"]}`)
	if err := subset(env.must("ListServerCertificateTags", `{"ServerCertificateName":"web2"}`), `{"Tags":[{"Key":"a","Value":"b"}]}`); err != nil {
		t.Fatal(err)
	}
	if err := subset(env.must("GetAccountSummary", `{}`), `{"SummaryMap":{"ServerCertificates":1}}`); err != nil {
		t.Fatal(err)
	}
	env.must("DeleteServerCertificate", `{"ServerCertificateName":"web2"}`)
	_, err = env.call(root(), "GetServerCertificate", `{"ServerCertificateName":"web2"}`)
	wantErr(t, err, "NoSuchEntity", "The Server Certificate with name web2 cannot be found.")
}

func TestSigningCertificates(t *testing.T) {
	env := newEnv(t)
	env.must("CreateUser", `{"UserName":"bob"}`)
	certs := make([]testCert, 3)
	for i := range certs {
		certs[i] = newTestCert(t, fmt.Sprint("signer", i), 0, time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC), nil)
	}
	up := func(user string, c testCert) (any, error) {
		return env.call(root(), "UploadSigningCertificate", jsonIn(t, map[string]any{"UserName": user, "CertificateBody": c.CertPEM}))
	}
	out, err := up("bob", certs[0])
	if err != nil {
		t.Fatal(err)
	}
	id := pick(t, out, "Certificate.CertificateId")
	if err := subset(out, `{"Certificate":{"UserName":"bob","Status":"Active"}}`); err != nil {
		t.Fatal(err)
	}
	_, err = up("bob", certs[0])
	wantErr(t, err, "DuplicateCertificate", "")
	if _, err := up("bob", certs[1]); err != nil {
		t.Fatal(err)
	}
	_, err = up("bob", certs[2])
	wantErr(t, err, "LimitExceeded", "Cannot exceed quota for CertificatesPerUser: 2")
	_, err = env.call(root(), "UploadSigningCertificate", jsonIn(t, map[string]any{"UserName": "bob", "CertificateBody": "nope"}))
	wantErr(t, err, "MalformedCertificate", "")
	expired := newTestCert(t, "old", 0, time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC), nil)
	_, err = up("bob", expired)
	wantErr(t, err, "InvalidCertificate", "")

	env.must("UpdateSigningCertificate", `{"UserName":"bob","CertificateId":"`+id+`","Status":"Inactive"}`)
	list := env.must("ListSigningCertificates", `{"UserName":"bob"}`)
	if err := subset(list, `{"IsTruncated":false}`); err != nil {
		t.Fatal(err)
	}
	if b, _ := json.Marshal(list); !strings.Contains(string(b), `"Inactive"`) {
		t.Fatalf("ListSigningCertificates: %s", b)
	}
	_, err = env.call(root(), "DeleteUser", `{"UserName":"bob"}`)
	wantErr(t, err, "DeleteConflict", "Cannot delete entity, must delete certificates first.")

	// The root's own certificate, uploaded without UserName.
	env.must("UploadSigningCertificate", jsonIn(t, map[string]any{"CertificateBody": certs[2].CertPEM}))
	if err := subset(env.must("GetAccountSummary", `{}`), `{"SummaryMap":{"AccountSigningCertificatesPresent":1}}`); err != nil {
		t.Fatal(err)
	}
	_, err = env.call(root(), "DeleteSigningCertificate", `{"CertificateId":"`+id+`"}`)
	wantErr(t, err, "NoSuchEntity", "The Certificate with id "+id+" cannot be found.")
}

func TestSSHPublicKeys(t *testing.T) {
	env := newEnv(t)
	env.must("CreateUser", `{"UserName":"bob"}`)
	rk, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := ssh.NewPublicKey(&rk.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	line := strings.TrimSpace(string(ssh.MarshalAuthorizedKey(pub))) + " bob@laptop"
	sum := md5.Sum(pub.Marshal())
	var hexes []string
	for _, b := range sum {
		hexes = append(hexes, fmt.Sprintf("%02x", b))
	}
	fingerprint := strings.Join(hexes, ":")

	out := env.must("UploadSSHPublicKey", jsonIn(t, map[string]any{"UserName": "bob", "SSHPublicKeyBody": line}))
	if err := subset(out, `{"SSHPublicKey":{"UserName":"bob","Fingerprint":"`+fingerprint+`","Status":"Active"}}`); err != nil {
		t.Fatal(err)
	}
	id := pick(t, out, "SSHPublicKey.SSHPublicKeyId")
	if !strings.HasPrefix(id, "APKA") || len(id) != 20 {
		t.Fatalf("got ID %q", id)
	}
	// The same key in PEM is a duplicate.
	der, _ := x509.MarshalPKIXPublicKey(&rk.PublicKey)
	pemKey := string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
	_, err = env.call(root(), "UploadSSHPublicKey", jsonIn(t, map[string]any{"UserName": "bob", "SSHPublicKeyBody": pemKey}))
	wantErr(t, err, "DuplicateSSHPublicKey", "")

	get := env.must("GetSSHPublicKey", `{"UserName":"bob","SSHPublicKeyId":"`+id+`","Encoding":"PEM"}`)
	if got := pick(t, get, "SSHPublicKey.SSHPublicKeyBody"); got != pemKey {
		t.Fatalf("PEM encoding: got %q, want %q", got, pemKey)
	}
	get = env.must("GetSSHPublicKey", `{"UserName":"bob","SSHPublicKeyId":"`+id+`","Encoding":"SSH"}`)
	if got := pick(t, get, "SSHPublicKey.SSHPublicKeyBody"); !strings.HasPrefix(line, got) {
		t.Fatalf("SSH encoding: got %q, want the start of %q", got, line)
	}

	bad := []struct{ note, body, code string }{
		{"an ed25519 key", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl", "UnrecognizedPublicKeyEncoding"},
		{"garbage after ssh-rsa", "ssh-rsa AAAA!!", "InvalidPublicKey"},
		{"a 1024-bit key", small(t), "InvalidPublicKey"},
	}
	for _, b := range bad {
		_, err := env.call(root(), "UploadSSHPublicKey", jsonIn(t, map[string]any{"UserName": "bob", "SSHPublicKeyBody": b.body}))
		if err == nil {
			t.Fatalf("%s: got success, want %s", b.note, b.code)
		}
		wantErr(t, err, b.code, "")
	}

	env.must("UpdateSSHPublicKey", `{"UserName":"bob","SSHPublicKeyId":"`+id+`","Status":"Inactive"}`)
	if err := subset(env.must("ListSSHPublicKeys", `{"UserName":"bob"}`), `{"SSHPublicKeys":[{"SSHPublicKeyId":"`+id+`","Status":"Inactive","UserName":"bob"}],"IsTruncated":false}`); err != nil {
		t.Fatal(err)
	}
	_, err = env.call(root(), "DeleteUser", `{"UserName":"bob"}`)
	wantErr(t, err, "DeleteConflict", "Cannot delete entity, must remove referenced objects first.")
	// Renaming the user keeps its keys.
	env.must("UpdateUser", `{"UserName":"bob","NewUserName":"robert"}`)
	if err := subset(env.must("ListSSHPublicKeys", `{"UserName":"robert"}`), `{"SSHPublicKeys":[{"UserName":"robert"}]}`); err != nil {
		t.Fatal(err)
	}
	env.must("DeleteSSHPublicKey", `{"UserName":"robert","SSHPublicKeyId":"`+id+`"}`)
	env.must("DeleteUser", `{"UserName":"robert"}`)
}

func small(t *testing.T) string {
	k, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	p, _ := ssh.NewPublicKey(&k.PublicKey)
	return string(ssh.MarshalAuthorizedKey(p))
}

func TestServiceSpecificCredentials(t *testing.T) {
	env := newEnv(t)
	env.must("CreateUser", `{"UserName":"bob"}`)
	env.must("CreateUser", `{"UserName":"eve"}`)
	out := env.must("CreateServiceSpecificCredential", `{"UserName":"bob","ServiceName":"codecommit.amazonaws.com"}`)
	if err := subset(out, `{"ServiceSpecificCredential":{"UserName":"bob","ServiceName":"codecommit.amazonaws.com","ServiceUserName":"bob-at-`+testAccount+`","Status":"Active"}}`); err != nil {
		t.Fatal(err)
	}
	id, pw := pick(t, out, "ServiceSpecificCredential.ServiceSpecificCredentialId"), pick(t, out, "ServiceSpecificCredential.ServicePassword")
	if len(pw) != 44 || !strings.HasPrefix(id, "ACCA") {
		t.Fatalf("got id %q password %q", id, pw)
	}
	if user, err := env.svc.VerifyServiceSpecificCredential(ctx(), testAccount, "codecommit.amazonaws.com", "bob-at-"+testAccount, pw); err != nil || user != "bob" {
		t.Fatalf("Verify: %q %v", user, err)
	}
	env.must("CreateServiceSpecificCredential", `{"UserName":"bob","ServiceName":"codecommit.amazonaws.com"}`)
	_, err := env.call(root(), "CreateServiceSpecificCredential", `{"UserName":"bob","ServiceName":"codecommit.amazonaws.com"}`)
	wantErr(t, err, "LimitExceeded", "Cannot exceed quota for ServiceSpecificCredentialsPerUserPerService: 2")
	env.must("CreateServiceSpecificCredential", `{"UserName":"bob","ServiceName":"cassandra.amazonaws.com"}`)
	env.must("CreateServiceSpecificCredential", `{"UserName":"eve","ServiceName":"cassandra.amazonaws.com"}`)
	_, err = env.call(root(), "CreateServiceSpecificCredential", `{"UserName":"bob","ServiceName":"s3.amazonaws.com"}`)
	wantErr(t, err, "NotSupportedService", "")

	reset := env.must("ResetServiceSpecificCredential", `{"UserName":"bob","ServiceSpecificCredentialId":"`+id+`"}`)
	pw2 := pick(t, reset, "ServiceSpecificCredential.ServicePassword")
	if pw2 == pw {
		t.Fatal("Reset kept the password")
	}
	if _, err := env.svc.VerifyServiceSpecificCredential(ctx(), testAccount, "codecommit.amazonaws.com", "bob-at-"+testAccount, pw); err == nil {
		t.Fatal("the old password still verifies")
	}
	env.must("UpdateServiceSpecificCredential", `{"UserName":"bob","ServiceSpecificCredentialId":"`+id+`","Status":"Inactive"}`)
	if _, err := env.svc.VerifyServiceSpecificCredential(ctx(), testAccount, "codecommit.amazonaws.com", "bob-at-"+testAccount, pw2); err == nil {
		t.Fatal("an Inactive credential verifies")
	}
	list := env.must("ListServiceSpecificCredentials", `{"UserName":"bob","ServiceName":"cassandra.amazonaws.com"}`)
	if err := subset(list, `{"ServiceSpecificCredentials":[{"UserName":"bob","ServiceName":"cassandra.amazonaws.com"}]}`); err != nil {
		t.Fatal(err)
	}
	all := env.must("ListServiceSpecificCredentials", `{"AllUsers":true}`)
	if b, _ := json.Marshal(all); strings.Count(string(b), "ServiceSpecificCredentialId") != 4 || !strings.Contains(string(b), `"eve"`) || strings.Contains(string(b), "Password\":\"") {
		t.Fatalf("AllUsers: %s", b)
	}
	_, err = env.call(root(), "DeleteUser", `{"UserName":"eve"}`)
	wantErr(t, err, "DeleteConflict", "Cannot delete entity, must remove referenced objects first.")
	env.must("DeleteServiceSpecificCredential", `{"UserName":"bob","ServiceSpecificCredentialId":"`+id+`"}`)
	_, err = env.call(root(), "DeleteServiceSpecificCredential", `{"UserName":"bob","ServiceSpecificCredentialId":"`+id+`"}`)
	wantErr(t, err, "NoSuchEntity", "")
}

func FuzzParseSSHPublicKey(f *testing.F) {
	f.Add("ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ")
	f.Add("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n")
	f.Fuzz(func(t *testing.T, body string) {
		if k, err := ParseSSHPublicKey(body); err == nil && k.Type() != ssh.KeyAlgoRSA {
			t.Fatalf("accepted a %s key", k.Type())
		}
	})
}

func FuzzParseServerCertificate(f *testing.F) {
	c := newTestCert(f, "x", 0, time.Date(2031, 1, 1, 0, 0, 0, 0, time.UTC), nil)
	f.Add(c.CertPEM, c.KeyPEM, "")
	f.Add("junk", "junk", "junk")
	f.Fuzz(func(t *testing.T, body, key, chain string) {
		cert, err := parseServerCertificate(body, key, chain)
		if err == nil {
			if again, err := parseCertificatePEM(body); err != nil || !again.Equal(cert) {
				t.Fatalf("accepted a body that does not parse as the certificate")
			}
		}
	})
}
