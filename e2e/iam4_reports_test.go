package e2e

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
)

// The credential report as AWS writes it
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_getting-report.html).
func TestIAM4CredentialReport(t *testing.T) {
	inst, root := newRootServer(t)
	ctx := ctxT(t)
	_, err := root.GetCredentialReport(ctx, &iam.GetCredentialReportInput{})
	apiErr(t, err, "ReportNotPresent", 410)

	bob, _ := newUserClient(t, inst, root, "bob")
	must(root.CreateLoginProfile(ctx, &iam.CreateLoginProfileInput{UserName: aws.String("bob"), Password: aws.String("Bob-Pass-123")}))(t)
	must(root.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("bob"), PolicyName: aws.String("self"),
		PolicyDocument: aws.String(allowDoc(`"iam:GetUser"`, `"*"`))}))(t)
	must(bob.GetUser(ctx, &iam.GetUserInput{}))(t)

	gen := must(root.GenerateCredentialReport(ctx, &iam.GenerateCredentialReportInput{}))(t)
	if gen.State != types.ReportStateTypeStarted {
		t.Fatalf("GenerateCredentialReport: got %s, want STARTED", gen.State)
	}
	if gen := must(root.GenerateCredentialReport(ctx, &iam.GenerateCredentialReportInput{}))(t); gen.State != types.ReportStateTypeComplete {
		t.Fatalf("second GenerateCredentialReport: got %s, want COMPLETE", gen.State)
	}
	rep := must(root.GetCredentialReport(ctx, &iam.GetCredentialReportInput{}))(t)
	if rep.ReportFormat != types.ReportFormatTypeTextCsv || rep.GeneratedTime == nil {
		t.Fatalf("GetCredentialReport: format %q, time %v", rep.ReportFormat, rep.GeneratedTime)
	}
	rows, err := csv.NewReader(bytes.NewReader(rep.Content)).ReadAll()
	if err != nil {
		t.Fatalf("the report is not CSV: %v", err)
	}
	const header = "user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,password_next_rotation,mfa_active," +
		"access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service," +
		"access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,access_key_2_last_used_region,access_key_2_last_used_service," +
		"cert_1_active,cert_1_last_rotated,cert_2_active,cert_2_last_rotated"
	if got := strings.Join(rows[0], ","); got != header {
		t.Fatalf("header:\n got %s\nwant %s", got, header)
	}
	if len(rows) != 3 || rows[1][0] != "<root_account>" || rows[2][0] != "bob" {
		t.Fatalf("rows: got %v", rows)
	}
	col := func(row []string, name string) string {
		return row[indexOf(rows[0], name)]
	}
	bobRow := rows[2]
	for name, want := range map[string]string{"password_enabled": "true", "password_last_used": "no_information", "mfa_active": "false",
		"access_key_1_active": "true", "access_key_1_last_used_service": "iam", "access_key_1_last_used_region": "us-east-1",
		"access_key_2_active": "false", "access_key_2_last_rotated": "N/A", "cert_1_active": "false"} {
		if got := col(bobRow, name); got != want {
			t.Errorf("bob %s: got %q, want %q", name, got, want)
		}
	}
	if got := col(rows[1], "password_enabled"); got != "not_supported" {
		t.Errorf("<root_account> password_enabled: got %q, want not_supported", got)
	}
}

func indexOf(xs []string, x string) int {
	for i, v := range xs {
		if v == x {
			return i
		}
	}
	return -1
}

// Service last accessed data from the requests the server actually authorized
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_last-accessed.html).
func TestIAM4ServiceLastAccessed(t *testing.T) {
	inst, root := newRootServer(t)
	ctx := ctxT(t)
	acct := accountID(t, root)
	carol, _ := newUserClient(t, inst, root, "carol")
	must(root.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("carol"), PolicyName: aws.String("p"),
		PolicyDocument: aws.String(allowDoc(`["iam:GetUser","iam:ListUsers","s3:GetObject"]`, `"*"`))}))(t)
	must(carol.GetUser(ctx, &iam.GetUserInput{}))(t)
	_, err := carol.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("x")}) // denied: not recorded
	apiErr(t, err, "AccessDenied", 403)

	userARN := "arn:aws:iam::" + acct + ":user/carol"
	job := must(root.GenerateServiceLastAccessedDetails(ctx, &iam.GenerateServiceLastAccessedDetailsInput{Arn: aws.String(userARN),
		Granularity: types.AccessAdvisorUsageGranularityTypeActionLevel}))(t)
	det := must(root.GetServiceLastAccessedDetails(ctx, &iam.GetServiceLastAccessedDetailsInput{JobId: job.JobId}))(t)
	if det.JobStatus != types.JobStatusTypeCompleted || det.JobType != types.AccessAdvisorUsageGranularityTypeActionLevel {
		t.Fatalf("job: status %s, type %s", det.JobStatus, det.JobType)
	}
	if len(det.ServicesLastAccessed) != 2 {
		t.Fatalf("services: got %d, want iam and s3", len(det.ServicesLastAccessed))
	}
	iamSvc, s3Svc := det.ServicesLastAccessed[0], det.ServicesLastAccessed[1]
	if aws.ToString(iamSvc.ServiceNamespace) != "iam" || iamSvc.LastAuthenticated == nil || aws.ToString(iamSvc.LastAuthenticatedEntity) != userARN ||
		aws.ToInt32(iamSvc.TotalAuthenticatedEntities) != 1 {
		t.Errorf("iam: got %+v", iamSvc)
	}
	if len(iamSvc.TrackedActionsLastAccessed) != 1 || aws.ToString(iamSvc.TrackedActionsLastAccessed[0].ActionName) != "GetUser" {
		t.Errorf("iam tracked actions: got %+v", iamSvc.TrackedActionsLastAccessed)
	}
	if aws.ToString(s3Svc.ServiceNamespace) != "s3" || s3Svc.LastAuthenticated != nil || aws.ToInt32(s3Svc.TotalAuthenticatedEntities) != 0 {
		t.Errorf("s3 (allowed, never used): got %+v", s3Svc)
	}
	ents := must(root.GetServiceLastAccessedDetailsWithEntities(ctx, &iam.GetServiceLastAccessedDetailsWithEntitiesInput{JobId: job.JobId,
		ServiceNamespace: aws.String("iam")}))(t).EntityDetailsList
	if len(ents) != 1 || aws.ToString(ents[0].EntityInfo.Arn) != userARN || ents[0].EntityInfo.Type != types.PolicyOwnerEntityTypeUser || ents[0].LastAuthenticated == nil {
		t.Errorf("entities: got %+v", ents)
	}
}
