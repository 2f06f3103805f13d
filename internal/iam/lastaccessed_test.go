package iam

import (
	"testing"
	"time"

	"gatehouse/internal/awsproto/iamapi"
)

func TestServiceLastAccessed(t *testing.T) {
	env := newEnv(t)
	acct := "arn:aws:iam::" + testAccount
	env.must("CreateUser", `{"UserName":"alice","Path":"/dev/"}`)
	env.must("CreateUser", `{"UserName":"bob"}`)
	env.must("CreateGroup", `{"GroupName":"devs"}`)
	env.must("AddUserToGroup", `{"GroupName":"devs","UserName":"alice"}`)
	env.must("AddUserToGroup", `{"GroupName":"devs","UserName":"bob"}`)
	env.must("PutGroupPolicy", `{"GroupName":"devs","PolicyName":"p","PolicyDocument":"{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":[\"s3:Get*\",\"iam:GetUser\"],\"Resource\":\"*\"},{\"Effect\":\"Deny\",\"Action\":\"ec2:*\",\"Resource\":\"*\"}]}"}`)
	env.must("PutUserPolicy", `{"UserName":"alice","PolicyName":"q","PolicyDocument":"{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"sts:GetCallerIdentity\",\"Resource\":\"*\"}]}"}`)

	t1 := time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC)
	t2 := t1.Add(time.Hour)
	env.svc.RecordServiceAccess(testAccount, acct+":user/dev/alice", "s3", "s3:GetObject", "us-east-1", t1)
	env.svc.RecordServiceAccess(testAccount, acct+":user/bob", "s3", "s3:GetBucketPolicy", "eu-west-1", t2)
	env.svc.RecordServiceAccess(testAccount, acct+":root", "s3", "s3:GetObject", "us-east-1", t2) // not tracked
	if err := env.svc.FlushAccessKeyUse(ctx()); err != nil {
		t.Fatal(err)
	}

	// The group: both members count; the services are those its own policies allow.
	job := env.must("GenerateServiceLastAccessedDetails", `{"Arn":"`+acct+`:group/devs","Granularity":"ACTION_LEVEL"}`).(*iamapi.GenerateServiceLastAccessedDetailsOutput)
	got := env.must("GetServiceLastAccessedDetails", `{"JobId":"`+*job.JobId+`"}`)
	if err := subset(got, `{"JobStatus":"COMPLETED","JobType":"ACTION_LEVEL","ServicesLastAccessed":[
		{"ServiceNamespace":"iam","ServiceName":"AWS Identity and Access Management (IAM)","TotalAuthenticatedEntities":0,"LastAuthenticated":null},
		{"ServiceNamespace":"s3","TotalAuthenticatedEntities":2,"LastAuthenticatedEntity":"`+acct+`:user/bob","LastAuthenticatedRegion":"eu-west-1",
		 "TrackedActionsLastAccessed":[{"ActionName":"GetBucketPolicy","LastAccessedEntity":"`+acct+`:user/bob"},{"ActionName":"GetObject","LastAccessedRegion":"us-east-1"}]}]}`); err != nil {
		t.Fatal(err)
	}
	ents := env.must("GetServiceLastAccessedDetailsWithEntities", `{"JobId":"`+*job.JobId+`","ServiceNamespace":"s3"}`)
	if err := subset(ents, `{"EntityDetailsList":[{"EntityInfo":{"Name":"alice","Type":"USER","Path":"/dev/"},"LastAuthenticated":"2026-11-30T08:00:00Z"},{"EntityInfo":{"Name":"bob"}}]}`); err != nil {
		t.Fatal(err)
	}

	// The user: its own and its groups' policies; only its own accesses; SERVICE_LEVEL has
	// no action details.
	job = env.must("GenerateServiceLastAccessedDetails", `{"Arn":"`+acct+`:user/dev/alice"}`).(*iamapi.GenerateServiceLastAccessedDetailsOutput)
	got = env.must("GetServiceLastAccessedDetails", `{"JobId":"`+*job.JobId+`","MaxItems":2}`)
	if err := subset(got, `{"JobType":"SERVICE_LEVEL","IsTruncated":true,"ServicesLastAccessed":[{"ServiceNamespace":"iam"},
		{"ServiceNamespace":"s3","TotalAuthenticatedEntities":1,"LastAuthenticatedEntity":"`+acct+`:user/dev/alice","TrackedActionsLastAccessed":null}]}`); err != nil {
		t.Fatal(err)
	}
	marker := *got.(*iamapi.GetServiceLastAccessedDetailsOutput).Marker
	got = env.must("GetServiceLastAccessedDetails", `{"JobId":"`+*job.JobId+`","Marker":"`+marker+`"}`)
	if err := subset(got, `{"IsTruncated":false,"ServicesLastAccessed":[{"ServiceNamespace":"sts","TotalAuthenticatedEntities":0}]}`); err != nil {
		t.Fatal(err)
	}

	// A recreated user does not inherit the old one's accesses.
	env.must("RemoveUserFromGroup", `{"GroupName":"devs","UserName":"bob"}`)
	env.must("DeleteUser", `{"UserName":"bob"}`)
	env.must("CreateUser", `{"UserName":"bob"}`)
	env.must("AddUserToGroup", `{"GroupName":"devs","UserName":"bob"}`)
	job = env.must("GenerateServiceLastAccessedDetails", `{"Arn":"`+acct+`:group/devs"}`).(*iamapi.GenerateServiceLastAccessedDetailsOutput)
	got = env.must("GetServiceLastAccessedDetails", `{"JobId":"`+*job.JobId+`"}`)
	if err := subset(got, `{"ServicesLastAccessed":[{"ServiceNamespace":"iam"},{"ServiceNamespace":"s3","TotalAuthenticatedEntities":1,"LastAuthenticatedEntity":"`+acct+`:user/dev/alice"}]}`); err != nil {
		t.Fatal(err)
	}

	// A renamed user keeps its history (it is kept by unique ID).
	env.must("UpdateUser", `{"UserName":"alice","NewUserName":"alice2"}`)
	job = env.must("GenerateServiceLastAccessedDetails", `{"Arn":"`+acct+`:user/dev/alice2"}`).(*iamapi.GenerateServiceLastAccessedDetailsOutput)
	got = env.must("GetServiceLastAccessedDetails", `{"JobId":"`+*job.JobId+`"}`)
	if err := subset(got, `{"ServicesLastAccessed":[{"ServiceNamespace":"iam"},{"ServiceNamespace":"s3","TotalAuthenticatedEntities":1,"LastAuthenticatedEntity":"`+acct+`:user/dev/alice2"},{"ServiceNamespace":"sts"}]}`); err != nil {
		t.Fatal(err)
	}

	_, err := env.call(root(), "GenerateServiceLastAccessedDetails", `{"Arn":"`+acct+`:user/nobody"}`)
	wantErr(t, err, "NoSuchEntity", "The user with name nobody cannot be found.")
	_, err = env.call(root(), "GetServiceLastAccessedDetails", `{"JobId":"00000000-0000-4000-8000-000000000000"}`)
	wantErr(t, err, "NoSuchEntity", "")
}

// BenchmarkRecordServiceAccess is the cost an allowed request pays for service last
// accessed data.
func BenchmarkRecordServiceAccess(b *testing.B) {
	env := newEnv(b)
	arn := "arn:aws:iam::" + testAccount + ":user/alice"
	now := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		env.svc.RecordServiceAccess(testAccount, arn, "iam", "iam:GetUser", "us-east-1", now)
	}
}

func TestAccessEntityOf(t *testing.T) {
	for _, c := range []struct {
		arn  string
		kind entityKind
		name string
		ok   bool
	}{
		{"arn:aws:iam::123456789012:user/dev/alice", kindUser, "alice", true},
		{"arn:aws:iam::123456789012:role/role_1", kindRole, "role_1", true},
		{"arn:aws:sts::123456789012:assumed-role/role_1/i-0abc", kindRole, "role_1", true},
		{"arn:aws:iam::123456789012:root", "", "", false},
		{"arn:aws:sts::123456789012:federated-user/bob", "", "", false},
		{"arn:aws:iam::123456789012:user/", kindUser, "", false},
		{"not an arn", "", "", false},
	} {
		kind, name, ok := accessEntityOf(c.arn)
		if kind != c.kind || name != c.name || ok != c.ok {
			t.Errorf("%s: got %s %q %v, want %s %q %v", c.arn, kind, name, ok, c.kind, c.name, c.ok)
		}
	}
}
