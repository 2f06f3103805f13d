package iam

import (
	"bytes"
	"context"
	"encoding/csv"
	"slices"
	"strconv"
	"time"

	"gatehouse/internal/awsproto/iamapi"
	"gatehouse/internal/kv"
)

// The credential report (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_getting-report.html):
// a CSV of every user's credentials, with the account's root user first as <root_account>.
// GenerateCredentialReport builds it from the store (and this node's unflushed last-use
// notes) and keeps it under a/<acct>/credential-report; a report younger than four hours is
// kept ("If the existing report is less than four hours old, it is returned; otherwise IAM
// generates a new one"), and GetCredentialReport refuses one older than that as expired.

// credentialReportTTL is how long a report stays current.
const credentialReportTTL = 4 * time.Hour

// credentialReportHeader is AWS's column list, in AWS's order.
var credentialReportHeader = []string{
	"user", "arn", "user_creation_time", "password_enabled", "password_last_used", "password_last_changed",
	"password_next_rotation", "mfa_active",
	"access_key_1_active", "access_key_1_last_rotated", "access_key_1_last_used_date", "access_key_1_last_used_region", "access_key_1_last_used_service",
	"access_key_2_active", "access_key_2_last_rotated", "access_key_2_last_used_date", "access_key_2_last_used_region", "access_key_2_last_used_service",
	"cert_1_active", "cert_1_last_rotated", "cert_2_active", "cert_2_last_rotated",
}

const (
	reportNA            = "N/A"
	reportNoInformation = "no_information"
	reportNotSupported  = "not_supported"
)

type credentialReportRecord struct {
	Generated time.Time `json:"generated"`
	Content   []byte    `json:"content"`
}

func (k keys) credentialReport() string { return k.base() + "credential-report" }

// reportTime is ISO 8601 as the report writes it: 2014-01-16T20:09:40+00:00.
func reportTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05+00:00") }

func (s *Service) GenerateCredentialReport(ctx context.Context, a Account, in *iamapi.GenerateCredentialReportInput) (*iamapi.GenerateCredentialReportOutput, error) {
	k := keysFor(a.ID)
	now := s.now()
	var current bool
	err := s.view(ctx, func(tx kv.Tx) error {
		var rec credentialReportRecord
		found, err := getJSON(tx, k.credentialReport(), &rec)
		current = found && now.Sub(rec.Generated) < credentialReportTTL
		return err
	})
	if err != nil {
		return nil, err
	}
	if current {
		return &iamapi.GenerateCredentialReportOutput{State: iamapi.ReportStateTypeCOMPLETE}, nil
	}
	err = s.update(ctx, a, "GenerateCredentialReport", func() string { return "credential-report" }, func(t *txn) error {
		content, err := s.credentialReport(t.tx, a, t.now)
		if err != nil {
			return err
		}
		return putJSON(t.tx, t.k.credentialReport(), credentialReportRecord{Generated: t.now, Content: content})
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.GenerateCredentialReportOutput{State: iamapi.ReportStateTypeSTARTED,
		Description: ptr("No report exists. Starting a new report generation task")}, nil
}

func (s *Service) GetCredentialReport(ctx context.Context, a Account, in *iamapi.GetCredentialReportInput) (*iamapi.GetCredentialReportOutput, error) {
	var rec credentialReportRecord
	var found bool
	err := s.view(ctx, func(tx kv.Tx) error {
		var err error
		found, err = getJSON(tx, keysFor(a.ID).credentialReport(), &rec)
		return err
	})
	if err != nil {
		return nil, err
	}
	if !found {
		// IAM sends this error with no message at all (recorded against AWS in LocalStack's
		// test_get_credential_report_before_generated: the Error has Code and Type only).
		return nil, iamapi.ReportNotPresent("")
	}
	if s.now().Sub(rec.Generated) >= credentialReportTTL {
		return nil, iamapi.ReportExpired("The most recent credential report has expired. To generate a new credential report, use GenerateCredentialReport.")
	}
	return &iamapi.GetCredentialReportOutput{Content: rec.Content, ReportFormat: iamapi.ReportFormatTypeTextCsv, GeneratedTime: timePtr(rec.Generated)}, nil
}

// credentialReport builds the CSV.
func (s *Service) credentialReport(tx kv.Tx, a Account, now time.Time) ([]byte, error) {
	k := keysFor(a.ID)
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	if err := w.Write(credentialReportHeader); err != nil {
		return nil, err
	}
	var pol passwordPolicy
	hasPolicy, err := getJSON(tx, k.passwordPolicy(), &pol)
	if err != nil {
		return nil, err
	}
	// The root user: its password is not managed by IAM's API.
	var acct accountRecord
	if _, err := getJSON(tx, accountKey(a.ID), &acct); err != nil {
		return nil, err
	}
	row := []string{"<root_account>", arnOf(a.partition(), a.ID, "root", "", ""), reportTime(acct.Created),
		reportNotSupported, reportNoInformation, reportNotSupported, reportNotSupported, "false"}
	keyCols, err := s.reportKeys(tx, k, "")
	if err != nil {
		return nil, err
	}
	certCols, err := reportCerts(tx, k, rootOwner)
	if err != nil {
		return nil, err
	}
	if err := w.Write(append(append(row, keyCols...), certCols...)); err != nil {
		return nil, err
	}
	users, err := listAll(tx, k.base()+string(kindUser)+"/")
	if err != nil {
		return nil, err
	}
	for _, p := range users {
		var u userRecord
		if err := jsonValue(p, &u); err != nil {
			return nil, err
		}
		arn := a.arn(kindUser, u.Path, u.Name)
		row := []string{u.Name, arn, reportTime(u.Created)}
		var login loginRecord
		hasLogin, err := getJSON(tx, k.userLogin(u.Name), &login)
		if err != nil {
			return nil, err
		}
		if hasLogin {
			lastUsed := u.PasswordLastUsed
			if t, ok := s.pendingSignIn(arn); ok && (lastUsed == nil || t.After(*lastUsed)) {
				lastUsed = &t
			}
			used := reportNoInformation
			if lastUsed != nil {
				used = reportTime(*lastUsed)
			}
			next := reportNA
			if hasPolicy && pol.MaxAge > 0 {
				next = reportTime(login.changedAt().AddDate(0, 0, pol.MaxAge))
			}
			row = append(row, "true", used, reportTime(login.changedAt()), next)
		} else {
			row = append(row, "false", reportNA, reportNA, reportNA)
		}
		mfa, err := hasMFA(tx, k, u.Name)
		if err != nil {
			return nil, err
		}
		row = append(row, strconv.FormatBool(mfa))
		keyCols, err := s.reportKeys(tx, k, u.Name)
		if err != nil {
			return nil, err
		}
		certCols, err := reportCerts(tx, k, u.ID)
		if err != nil {
			return nil, err
		}
		if err := w.Write(append(append(row, keyCols...), certCols...)); err != nil {
			return nil, err
		}
	}
	w.Flush()
	return buf.Bytes(), w.Error()
}

// reportKeys is the ten access-key columns of a user ("" = root): its keys oldest first.
func (s *Service) reportKeys(tx kv.Tx, k keys, user string) ([]string, error) {
	idx, err := listAll(tx, k.userKeyPrefix(user))
	if err != nil {
		return nil, err
	}
	var recs []accessKeyRecord
	for _, p := range idx {
		var rec accessKeyRecord
		found, err := getJSON(tx, accessKeyKey(p.Key[len(k.userKeyPrefix(user)):]), &rec)
		if err != nil {
			return nil, err
		}
		if found {
			if u, ok := s.pendingUse(rec.ID); ok && (rec.LastUsed == nil || u.Time.After(*rec.LastUsed)) {
				t := u.Time
				rec.LastUsed, rec.LastService, rec.LastRegion = &t, u.Service, u.Region
			}
			recs = append(recs, rec)
		}
	}
	slices.SortStableFunc(recs, func(x, y accessKeyRecord) int { return x.Created.Compare(y.Created) })
	var out []string
	for i := range 2 {
		if i >= len(recs) {
			out = append(out, "false", reportNA, reportNA, reportNA, reportNA)
			continue
		}
		r := recs[i]
		cols := []string{strconv.FormatBool(r.Status == "Active"), reportTime(r.Created), reportNA, reportNA, reportNA}
		if r.LastUsed != nil {
			cols[2], cols[3], cols[4] = reportTime(*r.LastUsed), r.LastRegion, r.LastService
		}
		out = append(out, cols...)
	}
	return out, nil
}

// reportCerts is the four signing-certificate columns of an owner (a user's unique ID, or
// rootOwner): its certificates oldest first, active and uploaded ("last rotated").
func reportCerts(tx kv.Tx, k keys, ownerID string) ([]string, error) {
	ps, err := listAll(tx, k.signingCertPrefix(ownerID))
	if err != nil {
		return nil, err
	}
	certs := make([]signingCertRecord, 0, len(ps))
	for _, p := range ps {
		var c signingCertRecord
		if err := jsonValue(p, &c); err != nil {
			return nil, err
		}
		certs = append(certs, c)
	}
	slices.SortStableFunc(certs, func(x, y signingCertRecord) int { return x.Uploaded.Compare(y.Uploaded) })
	var out []string
	for i := range 2 {
		if i >= len(certs) {
			out = append(out, "false", reportNA)
			continue
		}
		out = append(out, strconv.FormatBool(certs[i].Status == "Active"), reportTime(certs[i].Uploaded))
	}
	return out, nil
}

// pendingSignIn returns a console sign-in noted on this node and not yet flushed.
func (s *Service) pendingSignIn(userARN string) (time.Time, bool) {
	s.usage.mu.Lock()
	defer s.usage.mu.Unlock()
	u, ok := s.usage.signins[userARN]
	return u.Time, ok
}
