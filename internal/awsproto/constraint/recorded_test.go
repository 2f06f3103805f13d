package constraint

import (
	"regexp"
	"testing"

	"gatehouse/internal/awserr"
)

// Messages recorded against AWS in LocalStack's IAM and STS snapshots (2026): IAM quotes no
// value, STS does; a bad element of a list of strings is a violation of the whole list.
func TestRecordedMessages(t *testing.T) {
	tagKey := &String{Min: 1, Max: 128, HasMin: true, HasMax: true,
		Pattern: regexp.MustCompile(`^[\p{L}\p{Z}\p{N}_.:/=+\-@]+$`), PatternText: `[\p{L}\p{Z}\p{N}_.:/=+\-@]+`}
	version := &String{Pattern: regexp.MustCompile(`^v[1-9][0-9]*(\.[A-Za-z0-9-]*)?$`), PatternText: `v[1-9][0-9]*(\.[A-Za-z0-9-]*)?`}
	for _, tc := range []struct {
		note string
		run  func(v *Violations)
		want string
	}{
		{"IAM, a version ID (test_policy_version_errors)", func(v *Violations) {
			v.Style = IAM
			v.String("", "versionId", "wrong_version_id", version)
		}, "1 validation error detected: Value at 'versionId' failed to satisfy constraint: Member must satisfy regular expression pattern: v[1-9][0-9]*(\\.[A-Za-z0-9-]*)?"},
		{"IAM, three numbers in IAM's order, not the model's (test_update_account_password_policy_validation_errors)", func(v *Violations) {
			v.Style = IAM
			v.Int("", "minimumPasswordLength", 129, &Number{Min: 6, Max: 128, HasMin: true, HasMax: true})
			v.Int("", "maxPasswordAge", 1096, &Number{Min: 1, Max: 1095, HasMin: true, HasMax: true})
			v.Int("", "passwordReusePrevention", 25, &Number{Min: 1, Max: 24, HasMin: true, HasMax: true})
		}, "3 validation errors detected: Value at 'minimumPasswordLength' failed to satisfy constraint: Member must have value less than or equal to 128; " +
			"Value at 'passwordReusePrevention' failed to satisfy constraint: Member must have value less than or equal to 24; " +
			"Value at 'maxPasswordAge' failed to satisfy constraint: Member must have value less than or equal to 1095"},
		{"IAM, a URL, client IDs and thumbprints (test_create_open_id_connect_provider_validation_errors)", func(v *Violations) {
			v.Style = IAM
			v.String("", "url", string(make([]byte, 256)), &String{Min: 1, Max: 255, HasMin: true, HasMax: true})
			v.StringList("", "clientIDList", []string{string(make([]byte, 256))}, &String{Min: 1, Max: 255, HasMin: true, HasMax: true})
			v.StringList("", "thumbprintList", []string{string(make([]byte, 41))}, &String{Min: 40, Max: 40, HasMin: true, HasMax: true})
		}, "3 validation errors detected: Value at 'clientIDList' failed to satisfy constraint: Member must satisfy constraint: [Member must have length less than or equal to 255, Member must have length greater than or equal to 1]; " +
			"Value at 'thumbprintList' failed to satisfy constraint: Member must satisfy constraint: [Member must have length less than or equal to 40, Member must have length greater than or equal to 40]; " +
			"Value at 'url' failed to satisfy constraint: Member must have length less than or equal to 255"},
		{"IAM, a tag key too long in UntagRole (test_role_tag_errors)", func(v *Violations) {
			v.Style = IAM
			v.StringList("", "tagKeys", []string{"ok", string(make([]byte, 129))}, tagKey)
		}, "1 validation error detected: Value at 'tagKeys' failed to satisfy constraint: Member must satisfy constraint: [Member must have length less than or equal to 128, " +
			"Member must have length greater than or equal to 1, Member must satisfy regular expression pattern: [\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+, Member must not be null]"},
		{"IAM, client IDs and thumbprints of lengths only: no not-null (test_create_open_id_connect_provider_validation_errors)", func(v *Violations) {
			v.Style = IAM
			v.StringList("", "clientIDList", []string{string(make([]byte, 256))}, &String{Min: 1, Max: 255, HasMin: true, HasMax: true})
			v.StringList("", "thumbprintList", []string{string(make([]byte, 41))}, &String{Min: 40, Max: 40, HasMin: true, HasMax: true})
		}, "2 validation errors detected: Value at 'clientIDList' failed to satisfy constraint: Member must satisfy constraint: [Member must have length less than or equal to 255, Member must have length greater than or equal to 1]; " +
			"Value at 'thumbprintList' failed to satisfy constraint: Member must satisfy constraint: [Member must have length less than or equal to 40, Member must have length greater than or equal to 40]"},
		{"Coral quotes the list", func(v *Violations) {
			v.StringList("", "transitiveTagKeys", []string{"a", "invalid!key"}, tagKey)
		}, "1 validation error detected: Value '[a, invalid!key]' at 'transitiveTagKeys' failed to satisfy constraint: Member must satisfy constraint: [Member must have length less than or equal to 128, " +
			"Member must have length greater than or equal to 1, Member must satisfy regular expression pattern: [\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+, Member must not be null]"},
		{"Coral (STS) quotes the value (test_sts snapshot)", func(v *Violations) {
			v.String("", "roleSessionName", "Session1:2", &String{Pattern: regexp.MustCompile(`^[\w+=,.@-]*$`), PatternText: `[\w+=,.@-]*`})
		}, "1 validation error detected: Value 'Session1:2' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*"},
	} {
		var v Violations
		tc.run(&v)
		e, ok := awserr.As(v.Err())
		if !ok || e.Code != "ValidationError" || e.Message != tc.want {
			t.Errorf("%s:\n got  %v\n want %s", tc.note, v.Err(), tc.want)
		}
	}
	var v Violations
	v.StringList("", "tagKeys", []string{"fine", "also-fine"}, tagKey)
	if v.Err() != nil {
		t.Errorf("StringList of valid keys: %v", v.Err())
	}
}
