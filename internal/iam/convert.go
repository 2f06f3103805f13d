package iam

import (
	"encoding/json"
	"fmt"
	"time"

	"gatehouse/internal/awsproto/iamapi"
	"gatehouse/internal/kv"
)

// Conversions between records and the generated API types.

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func ptr[T any](v T) *T { return &v }

func timePtr(t time.Time) *time.Time { return &t }

// pathOr returns the path given, or "/" (IAM's default path).
func pathOr(p *string) string {
	if p == nil || *p == "" {
		return "/"
	}
	return *p
}

func tagsIn(in []iamapi.Tag) []tagRecord {
	if len(in) == 0 {
		return nil
	}
	out := make([]tagRecord, len(in))
	for i, t := range in {
		out[i] = tagRecord{Key: str(t.Key), Value: str(t.Value)}
	}
	return out
}

func tagsOut(ts []tagRecord) []iamapi.Tag {
	if len(ts) == 0 {
		return nil
	}
	out := make([]iamapi.Tag, len(ts))
	for i, t := range ts {
		out[i] = iamapi.Tag{Key: ptr(t.Key), Value: ptr(t.Value)}
	}
	return out
}

// boundaryAttachmentType is the PermissionsBoundaryType IAM answers: "Policy", although the API
// model's enum names only "PermissionsBoundaryPolicy". GetRole and GetUser on AWS show "Policy"
// (recorded in LocalStack's test_iam_roles snapshots; the AWS CLI's get-user example shows it
// too: https://docs.aws.amazon.com/cli/latest/reference/iam/get-user.html).
const boundaryAttachmentType = iamapi.PermissionsBoundaryAttachmentType("Policy")

func boundaryOut(arn string) *iamapi.AttachedPermissionsBoundary {
	if arn == "" {
		return nil
	}
	return &iamapi.AttachedPermissionsBoundary{
		PermissionsBoundaryType: boundaryAttachmentType,
		PermissionsBoundaryArn:  ptr(arn),
	}
}

func (a Account) userOut(u userRecord, withTags bool) iamapi.User {
	out := iamapi.User{Path: u.Path, UserName: u.Name, UserId: u.ID, Arn: a.arn(kindUser, u.Path, u.Name),
		CreateDate: u.Created, PasswordLastUsed: u.PasswordLastUsed, PermissionsBoundary: boundaryOut(u.Boundary)}
	if withTags {
		out.Tags = tagsOut(u.Tags)
	}
	return out
}

func (a Account) groupOut(g groupRecord) iamapi.Group {
	return iamapi.Group{Path: g.Path, GroupName: g.Name, GroupId: g.ID, Arn: a.arn(kindGroup, g.Path, g.Name), CreateDate: g.Created}
}

// roleOut is a role as GetRole returns it; ListRoles omits tags, boundary and last use
// (https://docs.aws.amazon.com/IAM/latest/APIReference/API_ListRoles.html).
func (a Account) roleOut(r roleRecord, full bool) iamapi.Role {
	out := iamapi.Role{Path: r.Path, RoleName: r.Name, RoleId: r.ID, Arn: a.arn(kindRole, r.Path, r.Name), CreateDate: r.Created,
		AssumeRolePolicyDocument: ptr(encodeDocument(r.TrustPolicy)), MaxSessionDuration: ptr(int32(r.MaxSessionDuration))}
	if r.Description != "" {
		out.Description = ptr(r.Description)
	}
	if full {
		out.PermissionsBoundary = boundaryOut(r.Boundary)
		out.Tags = tagsOut(r.Tags)
		out.RoleLastUsed = &iamapi.RoleLastUsed{}
		if r.LastUsed != nil {
			out.RoleLastUsed.LastUsedDate = r.LastUsed
			out.RoleLastUsed.Region = ptr(r.LastUsedRegion)
		}
	}
	return out
}

// jsonValue decodes a listed pair's value.
func jsonValue(p kv.Pair, v any) error {
	if err := json.Unmarshal(p.Value, v); err != nil {
		return fmt.Errorf("iam: decode %s: %w", p.Key, err)
	}
	return nil
}

func jsonUnmarshal(b []byte, v any) error {
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("iam: decode record: %w", err)
	}
	return nil
}

func itoa(i int) string { return fmt.Sprint(i) }
