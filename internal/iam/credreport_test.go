package iam

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"
	"time"

	"gatehouse/internal/awsproto/iamapi"
)

func TestCredentialReport(t *testing.T) {
	env := newEnv(t)
	_, err := env.call(root(), "GetCredentialReport", `{}`)
	wantErr(t, err, "ReportNotPresent", "")

	env.must("CreateUser", `{"UserName":"alice"}`)
	env.must("CreateUser", `{"UserName":"bob"}`)
	env.must("CreateLoginProfile", `{"UserName":"alice","Password":"Alice-Pass-1"}`)
	env.must("UpdateAccountPasswordPolicy", `{"MaxPasswordAge":90}`)
	k1 := env.must("CreateAccessKey", `{"UserName":"bob"}`).(*iamapi.CreateAccessKeyOutput).AccessKey
	env.must("CreateAccessKey", `{"UserName":"bob"}`)
	env.must("UpdateAccessKey", `{"UserName":"bob","AccessKeyId":"`+k1.AccessKeyId+`","Status":"Inactive"}`)
	used := time.Date(2026, 11, 30, 9, 30, 0, 0, time.UTC)
	env.svc.RecordAccessKeyUse(k1.AccessKeyId, "s3", "eu-west-1", used)
	if _, _, err := env.svc.VerifyPassword(ctx(), testAccount, "alice", "Alice-Pass-1"); err != nil {
		t.Fatal(err)
	}

	cert := newTestCert(t, "alice-signer", 0, time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC), nil)
	env.must("UploadSigningCertificate", jsonIn(t, map[string]any{"UserName": "alice", "CertificateBody": cert.CertPEM}))

	gen := env.must("GenerateCredentialReport", `{}`).(*iamapi.GenerateCredentialReportOutput)
	if gen.State != iamapi.ReportStateTypeSTARTED {
		t.Fatalf("first GenerateCredentialReport: got %s, want STARTED", gen.State)
	}
	if gen := env.must("GenerateCredentialReport", `{}`).(*iamapi.GenerateCredentialReportOutput); gen.State != iamapi.ReportStateTypeCOMPLETE {
		t.Fatalf("second GenerateCredentialReport: got %s, want COMPLETE", gen.State)
	}
	rep := env.must("GetCredentialReport", `{}`).(*iamapi.GetCredentialReportOutput)
	if rep.ReportFormat != "text/csv" || rep.GeneratedTime == nil {
		t.Fatalf("got format %q, time %v", rep.ReportFormat, rep.GeneratedTime)
	}
	rows, err := csv.NewReader(bytes.NewReader(rep.Content)).ReadAll()
	if err != nil {
		t.Fatalf("report is not CSV: %v", err)
	}
	if got, want := strings.Join(rows[0], ","), strings.Join(credentialReportHeader, ","); got != want {
		t.Fatalf("header: got %s, want %s", got, want)
	}
	if len(rows) != 4 {
		t.Fatalf("got %d rows, want header, root, alice, bob", len(rows))
	}
	byUser := map[string]map[string]string{}
	for _, r := range rows[1:] {
		m := map[string]string{}
		for i, c := range rows[0] {
			m[c] = r[i]
		}
		byUser[r[0]] = m
	}
	check := func(user, col, want string) {
		t.Helper()
		if got := byUser[user][col]; got != want {
			t.Errorf("%s %s: got %q, want %q", user, col, got, want)
		}
	}
	check("<root_account>", "arn", "arn:aws:iam::"+testAccount+":root")
	check("<root_account>", "password_enabled", "not_supported")
	check("<root_account>", "access_key_1_active", "true") // the bootstrap key
	check("alice", "password_enabled", "true")
	check("alice", "mfa_active", "false")
	check("alice", "access_key_1_active", "false")
	check("alice", "access_key_1_last_rotated", "N/A")
	if byUser["alice"]["password_last_used"] == "no_information" || byUser["alice"]["password_next_rotation"] == "N/A" {
		t.Errorf("alice: got password_last_used %q, next rotation %q", byUser["alice"]["password_last_used"], byUser["alice"]["password_next_rotation"])
	}
	check("bob", "password_enabled", "false")
	check("bob", "password_last_used", "N/A")
	check("bob", "password_next_rotation", "N/A")
	check("bob", "access_key_1_active", "false")
	check("bob", "access_key_1_last_used_date", "2026-11-30T09:30:00+00:00")
	check("bob", "access_key_1_last_used_region", "eu-west-1")
	check("bob", "access_key_1_last_used_service", "s3")
	check("bob", "access_key_2_active", "true")
	check("bob", "access_key_2_last_used_date", "N/A")
	check("bob", "cert_1_active", "false")
	check("alice", "cert_1_active", "true")
	check("alice", "cert_2_active", "false")
	check("alice", "cert_2_last_rotated", "N/A")
	if byUser["alice"]["cert_1_last_rotated"] == "N/A" {
		t.Errorf("alice cert_1_last_rotated: got N/A, want the upload time")
	}

	env.clock.advance(credentialReportTTL)
	_, err = env.call(root(), "GetCredentialReport", `{}`)
	wantErr(t, err, "ReportExpired", "")
	if gen := env.must("GenerateCredentialReport", `{}`).(*iamapi.GenerateCredentialReportOutput); gen.State != iamapi.ReportStateTypeSTARTED {
		t.Fatalf("GenerateCredentialReport after expiry: got %s, want STARTED", gen.State)
	}
	env.must("GetCredentialReport", `{}`)
}
