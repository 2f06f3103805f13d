package catalog

import (
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"testing"
)

func TestManagedPolicies(t *testing.T) {
	all := ManagedPolicies()
	// The source data (../shared/data/README.md) holds 1,485 policies.
	if len(all) != 1485 {
		t.Fatalf("%d managed policies, want 1485", len(all))
	}
	if !slices.IsSortedFunc(all, func(a, b ManagedPolicy) int { return strings.Compare(a.Name, b.Name) }) {
		t.Error("not sorted by name")
	}
	idRe := regexp.MustCompile(`^ANPA[A-Z2-7]{17}$`)
	ids := map[string]string{}
	for _, p := range all {
		if want := "arn:aws:iam::aws:policy" + p.Path + p.Name; p.ARN != want {
			t.Errorf("%s: ARN %q, want %q", p.Name, p.ARN, want)
		}
		if !idRe.MatchString(p.PolicyID) {
			t.Errorf("%s: PolicyID %q is not ANPA and 17 base32 characters", p.Name, p.PolicyID)
		}
		if other, dup := ids[p.PolicyID]; dup {
			t.Errorf("%s and %s share PolicyID %s", p.Name, other, p.PolicyID)
		}
		ids[p.PolicyID] = p.Name
		if !strings.HasPrefix(p.DefaultVersionID, "v") || p.CreateDate.IsZero() || p.UpdateDate.Before(p.CreateDate) {
			t.Errorf("%s: version %q created %v updated %v", p.Name, p.DefaultVersionID, p.CreateDate, p.UpdateDate)
		}
		if !json.Valid([]byte(p.Document)) || !strings.Contains(p.Document, `"Statement"`) {
			t.Errorf("%s: document %.80s", p.Name, p.Document)
		}
		if q, ok := LookupManagedPolicyARN(p.ARN); !ok || q.Name != p.Name {
			t.Errorf("LookupManagedPolicyARN(%s) = %v, %v", p.ARN, q.Name, ok)
		}
	}
	all[0].Name = "changed"
	if ManagedPolicies()[0].Name == "changed" {
		t.Error("ManagedPolicies returns the shared slice")
	}
}

func TestLookupManagedPolicy(t *testing.T) {
	cases := []struct {
		name, path string
		contains   string
	}{
		{"AmazonEC2FullAccess", "/", `"ec2:*"`},
		{"AmazonS3FullAccess", "/", `"s3:*"`},
		{"AdministratorAccess", "/", `"Action":"*"`},
		{"IAMUserChangePassword", "/", `"iam:ChangePassword"`},
		{"AmazonEC2RoleforSSM", "/service-role/", `"ssm:`},
		{"ReadOnlyAccess", "/", `"s3:Get*"`},
	}
	for _, tc := range cases {
		p, ok := LookupManagedPolicy(tc.name)
		if !ok {
			t.Errorf("%s: missing", tc.name)
			continue
		}
		if p.Path != tc.path || !strings.Contains(p.Document, tc.contains) {
			t.Errorf("%s: path %q, document %.200s; want path %q containing %s", tc.name, p.Path, p.Document, tc.path, tc.contains)
		}
	}
	if _, ok := LookupManagedPolicy("amazons3fullaccess"); ok {
		t.Error("a managed policy name matched in another case")
	}
	if _, ok := LookupManagedPolicyARN("arn:aws:iam::aws:policy/AmazonEC2RoleforSSM"); ok {
		t.Error("an ARN without the policy's path matched")
	}
}

// TestManagedPolicyIDStable pins the derivation: the IDs are what clients have already
// seen, so a change to it would be visible to them.
func TestManagedPolicyIDStable(t *testing.T) {
	p, _ := LookupManagedPolicy("AmazonS3FullAccess")
	if p.PolicyID != "ANPAIXPCXOX2MVUHXOHCK" {
		t.Errorf("AmazonS3FullAccess PolicyID = %s, want ANPAIXPCXOX2MVUHXOHCK", p.PolicyID)
	}
}

// BenchmarkLoadManaged measures the one-time decode of the 1,485 managed policies.
func BenchmarkLoadManaged(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := decodeManaged(managedGz); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkLookupManagedPolicyARN(b *testing.B) {
	loadManaged()
	for b.Loop() {
		if _, ok := LookupManagedPolicyARN("arn:aws:iam::aws:policy/AmazonS3FullAccess"); !ok {
			b.Fatal("missing")
		}
	}
}
