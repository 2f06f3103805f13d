package awsproto

import (
	"net/url"
	"testing"

	"gatehouse/internal/awserr"
)

// IAM's pattern-constrained paths, path prefixes and policy names, refused by the validation
// layer — before the call is authorized and before IAM sees it — for every operation that has
// one, with AWS's message for the model's pattern (IAM quotes no value). Emulator
// --enforce off relaxes them (DecodeRequestLenient) as moto server does; nothing else does.
// Patterns: the IAM API model (pathType, policyPathType, pathPrefixType, policyNameType);
// https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateRole.html (Path).
func TestIAMPathAndNamePatterns(t *testing.T) {
	const (
		pathType       = `(\u002F)|(\u002F[\u0021-\u007E]+\u002F)`
		policyPathType = `((/[A-Za-z0-9\.,\+@=_-]+)*)/`
		pathPrefixType = `\u002F[\u0021-\u007F]*`
		policyNameType = `[\w+=,.@-]+`
		doc            = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`
	)
	msg := func(member, pattern string) string {
		return "1 validation error detected: Value at '" + member + "' failed to satisfy constraint: Member must satisfy regular expression pattern: " + pattern
	}
	cases := []struct {
		op      string
		params  map[string]string
		member  string
		pattern string
		lenient bool // emulator --enforce off accepts it (moto server does)
	}{
		{"CreateGroup", map[string]string{"GroupName": "g", "Path": "my-path"}, "path", pathType, true},
		{"CreateInstanceProfile", map[string]string{"InstanceProfileName": "p", "Path": "my-path"}, "path", pathType, true},
		{"CreatePolicy", map[string]string{"PolicyName": "p", "PolicyDocument": doc, "Path": "my-path"}, "path", policyPathType, true},
		{"CreatePolicy", map[string]string{"PolicyName": "test policy", "PolicyDocument": doc}, "policyName", policyNameType, false},
		{"CreateRole", map[string]string{"RoleName": "r", "AssumeRolePolicyDocument": doc, "Path": "my-path"}, "path", pathType, true},
		{"CreateUser", map[string]string{"UserName": "u", "Path": "my-path"}, "path", pathType, true},
		{"PutGroupPolicy", map[string]string{"GroupName": "g", "PolicyDocument": doc, "PolicyName": "test policy"}, "policyName", policyNameType, true},
		{"PutRolePolicy", map[string]string{"RoleName": "r", "PolicyDocument": doc, "PolicyName": "test policy"}, "policyName", policyNameType, true},
		{"PutUserPolicy", map[string]string{"UserName": "u", "PolicyDocument": doc, "PolicyName": "test policy"}, "policyName", policyNameType, true},
		{"ListAttachedGroupPolicies", map[string]string{"GroupName": "g", "PathPrefix": "/my"}, "pathPrefix", policyPathType, false},
		{"ListAttachedRolePolicies", map[string]string{"RoleName": "r", "PathPrefix": "/my"}, "pathPrefix", policyPathType, false},
		{"ListAttachedUserPolicies", map[string]string{"UserName": "u", "PathPrefix": "/my"}, "pathPrefix", policyPathType, false},
		{"ListEntitiesForPolicy", map[string]string{"PolicyArn": "arn:aws:iam::123456789012:policy/p", "PathPrefix": "/my"}, "pathPrefix", pathType, false},
		{"ListGroups", map[string]string{"PathPrefix": "my"}, "pathPrefix", pathPrefixType, true},
		{"ListInstanceProfiles", map[string]string{"PathPrefix": "my"}, "pathPrefix", pathPrefixType, true},
		{"ListPolicies", map[string]string{"PathPrefix": "/my"}, "pathPrefix", policyPathType, true},
		{"ListRoles", map[string]string{"PathPrefix": "my"}, "pathPrefix", pathPrefixType, true},
		{"ListServerCertificates", map[string]string{"PathPrefix": "my"}, "pathPrefix", pathPrefixType, false},
		{"ListUsers", map[string]string{"PathPrefix": "my"}, "pathPrefix", pathPrefixType, true},
		{"UpdateGroup", map[string]string{"GroupName": "g", "NewPath": "my-path"}, "newPath", pathType, false},
		{"UpdateServerCertificate", map[string]string{"ServerCertificateName": "c", "NewPath": "my-path"}, "newPath", pathType, false},
		{"UpdateUser", map[string]string{"UserName": "u", "NewPath": "my-path"}, "newPath", pathType, false},
		{"UploadServerCertificate", map[string]string{"ServerCertificateName": "c", "CertificateBody": "x", "PrivateKey": "x", "Path": "my-path"}, "path", pathType, false},
	}
	for _, tc := range cases {
		t.Run(tc.op+"/"+tc.member, func(t *testing.T) {
			params := url.Values{"Action": {tc.op}, "Version": {"2010-05-08"}}
			for k, v := range tc.params {
				params.Set(k, v)
			}
			_, _, err := IAM.DecodeRequest(params)
			ae, ok := awserr.As(err)
			if !ok || ae.Code != "ValidationError" || ae.Message != msg(tc.member, tc.pattern) {
				t.Errorf("DecodeRequest: got %v, want ValidationError %q", err, msg(tc.member, tc.pattern))
			}
			_, _, err = IAM.DecodeRequestLenient(params)
			if tc.lenient && err != nil {
				t.Errorf("DecodeRequestLenient: %v", err)
			}
			if !tc.lenient && err == nil {
				t.Errorf("DecodeRequestLenient accepted it")
			}
		})
	}
}

// Several bad members are one ValidationError naming each, in IAM's (Java HashMap) order —
// a bad path or policy name is listed with the rest, not dropped or reported later.
func TestIAMPathAndNameWithOtherViolations(t *testing.T) {
	cases := []struct {
		params url.Values
		want   string
	}{
		{url.Values{"Action": {"CreateUser"}, "UserName": {"bad name"}, "Path": {"my-path"}},
			`2 validation errors detected: Value at 'path' failed to satisfy constraint: Member must satisfy regular expression pattern: (\u002F)|(\u002F[\u0021-\u007E]+\u002F); Value at 'userName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w+=,.@-]+`},
		{url.Values{"Action": {"PutRolePolicy"}, "RoleName": {"bad name"}, "PolicyName": {"test policy"}, "PolicyDocument": {"{}"}},
			`2 validation errors detected: Value at 'policyName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w+=,.@-]+; Value at 'roleName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w+=,.@-]+`},
		{url.Values{"Action": {"ListRoles"}, "PathPrefix": {"my"}, "MaxItems": {"0"}},
			`2 validation errors detected: Value at 'maxItems' failed to satisfy constraint: Member must have value greater than or equal to 1; Value at 'pathPrefix' failed to satisfy constraint: Member must satisfy regular expression pattern: \u002F[\u0021-\u007F]*`},
	}
	for _, tc := range cases {
		t.Run(tc.params.Get("Action"), func(t *testing.T) {
			_, _, err := IAM.DecodeRequest(tc.params)
			ae, ok := awserr.As(err)
			if !ok || ae.Code != "ValidationError" || ae.Message != tc.want {
				t.Errorf("got %v\nwant ValidationError %q", err, tc.want)
			}
		})
	}
}
