package iam

import (
	"context"
	"sort"

	"gatehouse/internal/awsproto/iamapi"
	"gatehouse/internal/kv"
)

// The account: its alias (https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateAccountAlias.html;
// one per account, unique across accounts), GetAccountSummary and GetAccountAuthorizationDetails.

func (s *Service) CreateAccountAlias(ctx context.Context, a Account, in *iamapi.CreateAccountAliasInput) (*iamapi.CreateAccountAliasOutput, error) {
	alias := str(in.AccountAlias)
	err := s.update(ctx, a, "CreateAccountAlias", func() string { return "alias/" + alias }, func(t *txn) error {
		var owner string
		if found, err := getJSON(t.tx, aliasKey(alias), &owner); err != nil {
			return err
		} else if found {
			if owner == a.ID {
				return nil
			}
			return entityAlreadyExists("The account alias %s already exists.", alias)
		}
		var acct accountRecord
		if _, err := getJSON(t.tx, accountKey(a.ID), &acct); err != nil {
			return err
		}
		if acct.Alias != "" {
			return quota("AliasesPerAccount", maxAliases)
		}
		acct.ID, acct.Alias = a.ID, alias
		if acct.Partition == "" {
			acct.Partition = a.partition()
		}
		if err := putJSON(t.tx, aliasKey(alias), a.ID); err != nil {
			return err
		}
		return putJSON(t.tx, accountKey(a.ID), acct)
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.CreateAccountAliasOutput{}, nil
}

func (s *Service) DeleteAccountAlias(ctx context.Context, a Account, in *iamapi.DeleteAccountAliasInput) (*iamapi.DeleteAccountAliasOutput, error) {
	alias := str(in.AccountAlias)
	err := s.update(ctx, a, "DeleteAccountAlias", func() string { return "alias/" + alias }, func(t *txn) error {
		var acct accountRecord
		if _, err := getJSON(t.tx, accountKey(a.ID), &acct); err != nil {
			return err
		}
		if acct.Alias == "" || acct.Alias != alias {
			return noSuchEntity("The account alias %s cannot be found.", alias)
		}
		acct.Alias = ""
		if err := t.tx.Delete(aliasKey(alias)); err != nil {
			return err
		}
		return putJSON(t.tx, accountKey(a.ID), acct)
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.DeleteAccountAliasOutput{}, nil
}

func (s *Service) ListAccountAliases(ctx context.Context, a Account, in *iamapi.ListAccountAliasesInput) (*iamapi.ListAccountAliasesOutput, error) {
	if _, err := newPager("ListAccountAliases", keysFor(a.ID).base(), in.Marker, in.MaxItems); err != nil {
		return nil, err
	}
	var acct accountRecord
	err := s.view(ctx, func(tx kv.Tx) error {
		_, err := getJSON(tx, accountKey(a.ID), &acct)
		return err
	})
	if err != nil {
		return nil, err
	}
	out := &iamapi.ListAccountAliasesOutput{AccountAliases: []string{}, IsTruncated: ptr(false)}
	if acct.Alias != "" {
		out.AccountAliases = append(out.AccountAliases, acct.Alias)
	}
	return out, nil
}

// GetAccountSummary reports the account's entity counts and IAM's quotas under the
// SummaryMap keys IAM uses (https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetAccountSummary.html).
// Gatehouse has no MFA devices, server or signing certificates, or identity providers yet,
// so those count 0.
func (s *Service) GetAccountSummary(ctx context.Context, a Account, in *iamapi.GetAccountSummaryInput) (*iamapi.GetAccountSummaryOutput, error) {
	q := s.opt.Quotas
	m := map[string]int32{
		"UsersQuota": int32(q.Users), "GroupsQuota": int32(q.Groups), "RolesQuota": int32(q.Roles), "InstanceProfilesQuota": int32(q.InstanceProfiles),
		"PoliciesQuota": int32(q.Policies), "PolicySizeQuota": maxManagedPolicySize, "UserPolicySizeQuota": maxUserPolicySize,
		"GroupPolicySizeQuota": maxGroupPolicySize, "RolePolicySizeQuota": maxRolePolicySize,
		"AssumeRolePolicySizeQuota": maxTrustPolicySize, "GroupsPerUserQuota": maxGroupsPerUser,
		"AccessKeysPerUserQuota": maxAccessKeys, "AttachedPoliciesPerUserQuota": int32(q.PoliciesPerPrincipal),
		"AttachedPoliciesPerGroupQuota": int32(q.PoliciesPerPrincipal), "AttachedPoliciesPerRoleQuota": int32(q.PoliciesPerPrincipal),
		"VersionsPerPolicyQuota": maxVersions, "PolicyVersionsInUseQuota": maxVersionsInUse,
		"ServerCertificatesQuota": 20, "SigningCertificatesPerUserQuota": 2,
		"ServerCertificates": 0, "MFADevices": 0, "MFADevicesInUse": 0, "AccountMFAEnabled": 0,
		"AccountPasswordPresent": 0, "AccountSigningCertificatesPresent": 0, "Providers": 0,
		"GlobalEndpointTokenVersion": 1,
	}
	err := s.view(ctx, func(tx kv.Tx) error {
		k := keysFor(a.ID)
		for kind, key := range map[entityKind]string{kindUser: "Users", kindGroup: "Groups", kindRole: "Roles",
			kindProfile: "InstanceProfiles", kindPolicy: "Policies", kindVersion: "PolicyVersionsInUse",
			kindMFA: "MFADevices", kindMFAInUse: "MFADevicesInUse"} {
			n, err := readCount(tx, k, kind)
			if err != nil {
				return err
			}
			m[key] = int32(n)
		}
		if err := fillSummaryExtras(tx, k, m); err != nil {
			return err
		}
		rootKeys, err := hasAny(tx, k.userKeyPrefix(""))
		if err != nil {
			return err
		}
		m["AccountAccessKeysPresent"] = 0
		if rootKeys {
			m["AccountAccessKeysPresent"] = 1
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.GetAccountSummaryOutput{SummaryMap: m}, nil
}

// GetAccountAuthorizationDetails returns users (with inline policies, groups and attached
// policies), groups, roles (with instance profiles) and managed policies (with versions) —
// AWS managed ones only when the account uses them — filtered by Filter and paginated as
// one sequence in that order.
func (s *Service) GetAccountAuthorizationDetails(ctx context.Context, a Account, in *iamapi.GetAccountAuthorizationDetailsInput) (*iamapi.GetAccountAuthorizationDetailsOutput, error) {
	k := keysFor(a.ID)
	pg, err := newPager("GetAccountAuthorizationDetails", k.base(), in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	want := map[iamapi.EntityType]bool{}
	for _, f := range in.Filter {
		want[f] = true
	}
	all := len(want) == 0
	type item struct {
		key  string
		fill func(out *iamapi.GetAccountAuthorizationDetailsOutput)
	}
	var items []item
	err = s.view(ctx, func(tx kv.Tx) error {
		if all || want[iamapi.EntityTypeUser] {
			ps, err := listAll(tx, k.pathIndexPrefix(kindUser, "/"))
			if err != nil {
				return err
			}
			for _, p := range ps {
				d, err := s.userDetail(tx, a, nameFromPathIndex(p.Key))
				if err != nil {
					return err
				}
				items = append(items, item{key: k.base() + "details/1/" + p.Key[len(k.pathIndexPrefix(kindUser, "")):], fill: func(o *iamapi.GetAccountAuthorizationDetailsOutput) {
					o.UserDetailList = append(o.UserDetailList, d)
				}})
			}
		}
		if all || want[iamapi.EntityTypeGroup] {
			ps, err := listAll(tx, k.pathIndexPrefix(kindGroup, "/"))
			if err != nil {
				return err
			}
			for _, p := range ps {
				d, err := s.groupDetail(tx, a, nameFromPathIndex(p.Key))
				if err != nil {
					return err
				}
				items = append(items, item{key: k.base() + "details/2/" + p.Key[len(k.pathIndexPrefix(kindGroup, "")):], fill: func(o *iamapi.GetAccountAuthorizationDetailsOutput) {
					o.GroupDetailList = append(o.GroupDetailList, d)
				}})
			}
		}
		if all || want[iamapi.EntityTypeRole] {
			ps, err := listAll(tx, k.pathIndexPrefix(kindRole, "/"))
			if err != nil {
				return err
			}
			for _, p := range ps {
				d, err := s.roleDetail(tx, a, nameFromPathIndex(p.Key))
				if err != nil {
					return err
				}
				items = append(items, item{key: k.base() + "details/3/" + p.Key[len(k.pathIndexPrefix(kindRole, "")):], fill: func(o *iamapi.GetAccountAuthorizationDetailsOutput) {
					o.RoleDetailList = append(o.RoleDetailList, d)
				}})
			}
		}
		var refs []policyRef
		if all || want[iamapi.EntityTypeAWSManagedPolicy] {
			ps, err := listAll(tx, k.awsAttachedPrefix())
			if err != nil {
				return err
			}
			for _, p := range ps {
				refs = append(refs, policyRef{AWS: true, Name: p.Key[len(k.awsAttachedPrefix()):]})
			}
		}
		if all || want[iamapi.EntityTypeLocalManagedPolicy] {
			ps, err := listAll(tx, k.pathIndexPrefix(kindPolicy, "/"))
			if err != nil {
				return err
			}
			for _, p := range ps {
				refs = append(refs, policyRef{Name: nameFromPathIndex(p.Key)})
			}
		}
		for _, ref := range refs {
			d, found, err := s.policyDetail(tx, a, ref)
			if err != nil {
				return err
			}
			if !found {
				continue
			}
			items = append(items, item{key: k.base() + "details/4/" + ref.String(), fill: func(o *iamapi.GetAccountAuthorizationDetailsOutput) {
				o.Policies = append(o.Policies, d)
			}})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	start, end, tr, next := pg.window(len(items), func(i int) string { return items[i].key })
	out := &iamapi.GetAccountAuthorizationDetailsOutput{UserDetailList: []iamapi.UserDetail{}, GroupDetailList: []iamapi.GroupDetail{},
		RoleDetailList: []iamapi.RoleDetail{}, Policies: []iamapi.ManagedPolicyDetail{}}
	for _, it := range items[start:end] {
		it.fill(out)
	}
	out.IsTruncated, out.Marker = markerOut(tr, next)
	return out, nil
}

// inlineDetails returns a principal's inline policies, documents URL-encoded.
func inlineDetails(tx kv.Tx, k keys, kind entityKind, name string) ([]iamapi.PolicyDetail, error) {
	ps, err := listAll(tx, k.inlinePrefix(kind, name))
	if err != nil {
		return nil, err
	}
	var out []iamapi.PolicyDetail
	for _, p := range ps {
		var rec inlineRecord
		if err := jsonValue(p, &rec); err != nil {
			return nil, err
		}
		out = append(out, iamapi.PolicyDetail{PolicyName: ptr(rec.Name), PolicyDocument: ptr(encodeDocument(rec.Document))})
	}
	return out, nil
}

func (s *Service) attachedList(tx kv.Tx, a Account, kind entityKind, name string) ([]iamapi.AttachedPolicy, error) {
	k := keysFor(a.ID)
	ps, err := listAll(tx, k.attachedPrefix(kind, name))
	if err != nil {
		return nil, err
	}
	var out []iamapi.AttachedPolicy
	for _, p := range ps {
		ref, ok := parsePolicyRef(p.Key[len(k.attachedPrefix(kind, name)):])
		if !ok {
			continue
		}
		mp, found, err := s.managedPolicy(tx, a, ref)
		if err != nil {
			return nil, err
		}
		if found {
			out = append(out, iamapi.AttachedPolicy{PolicyName: ptr(mp.Name), PolicyArn: ptr(mp.ARN)})
		}
	}
	return out, nil
}

func (s *Service) userDetail(tx kv.Tx, a Account, name string) (iamapi.UserDetail, error) {
	k := keysFor(a.ID)
	u, err := getUser(tx, k, name)
	if err != nil {
		return iamapi.UserDetail{}, err
	}
	d := iamapi.UserDetail{Path: ptr(u.Path), UserName: ptr(u.Name), UserId: ptr(u.ID), Arn: ptr(a.arn(kindUser, u.Path, u.Name)),
		CreateDate: timePtr(u.Created), PermissionsBoundary: boundaryOut(u.Boundary), Tags: tagsOut(u.Tags), GroupList: []string{}}
	if d.UserPolicyList, err = inlineDetails(tx, k, kindUser, name); err != nil {
		return d, err
	}
	if d.AttachedManagedPolicies, err = s.attachedList(tx, a, kindUser, name); err != nil {
		return d, err
	}
	gs, err := listAll(tx, k.userGroupPrefix(name))
	if err != nil {
		return d, err
	}
	for _, g := range gs {
		var gr groupRecord
		if found, err := getJSON(tx, k.entity(kindGroup, g.Key[len(k.userGroupPrefix(name)):]), &gr); err != nil {
			return d, err
		} else if found {
			d.GroupList = append(d.GroupList, gr.Name)
		}
	}
	// Empty lists are sent, UserPolicyList excepted (recorded against AWS in LocalStack's
	// test_iam_account_authorization_details snapshots); likewise for groups and roles below.
	d.AttachedManagedPolicies = nonNilList(d.AttachedManagedPolicies)
	d.Tags = nonNilList(d.Tags)
	return d, nil
}

// nonNilList turns a nil list into an empty one, which the encoder sends as an empty element.
func nonNilList[T any](l []T) []T {
	if l == nil {
		return []T{}
	}
	return l
}

func (s *Service) groupDetail(tx kv.Tx, a Account, name string) (iamapi.GroupDetail, error) {
	k := keysFor(a.ID)
	g, err := getGroup(tx, k, name)
	if err != nil {
		return iamapi.GroupDetail{}, err
	}
	d := iamapi.GroupDetail{Path: ptr(g.Path), GroupName: ptr(g.Name), GroupId: ptr(g.ID), Arn: ptr(a.arn(kindGroup, g.Path, g.Name)),
		CreateDate: timePtr(g.Created)}
	if d.GroupPolicyList, err = inlineDetails(tx, k, kindGroup, name); err != nil {
		return d, err
	}
	d.AttachedManagedPolicies, err = s.attachedList(tx, a, kindGroup, name)
	d.AttachedManagedPolicies, d.GroupPolicyList = nonNilList(d.AttachedManagedPolicies), nonNilList(d.GroupPolicyList)
	return d, err
}

func (s *Service) roleDetail(tx kv.Tx, a Account, name string) (iamapi.RoleDetail, error) {
	k := keysFor(a.ID)
	r, err := getRole(tx, k, name)
	if err != nil {
		return iamapi.RoleDetail{}, err
	}
	if r, err = withShownTrust(tx, r); err != nil {
		return iamapi.RoleDetail{}, err
	}
	ro := a.roleOut(r, true)
	d := iamapi.RoleDetail{Path: ptr(r.Path), RoleName: ptr(r.Name), RoleId: ptr(r.ID), Arn: ptr(ro.Arn), CreateDate: timePtr(r.Created),
		AssumeRolePolicyDocument: ro.AssumeRolePolicyDocument, PermissionsBoundary: ro.PermissionsBoundary, Tags: ro.Tags,
		RoleLastUsed: ro.RoleLastUsed, InstanceProfileList: []iamapi.InstanceProfile{}}
	if d.RolePolicyList, err = inlineDetails(tx, k, kindRole, name); err != nil {
		return d, err
	}
	if d.AttachedManagedPolicies, err = s.attachedList(tx, a, kindRole, name); err != nil {
		return d, err
	}
	ps, err := listAll(tx, k.roleProfilePrefix(name))
	if err != nil {
		return d, err
	}
	for _, p := range ps {
		var pr profileRecord
		found, err := getJSON(tx, k.entity(kindProfile, p.Key[len(k.roleProfilePrefix(name)):]), &pr)
		if err != nil {
			return d, err
		}
		if found {
			po, err := s.profileOut(tx, a, pr, false)
			if err != nil {
				return d, err
			}
			d.InstanceProfileList = append(d.InstanceProfileList, po)
		}
	}
	d.AttachedManagedPolicies, d.RolePolicyList, d.Tags = nonNilList(d.AttachedManagedPolicies), nonNilList(d.RolePolicyList), nonNilList(d.Tags)
	return d, nil
}

func (s *Service) policyDetail(tx kv.Tx, a Account, ref policyRef) (iamapi.ManagedPolicyDetail, bool, error) {
	p, found, err := s.managedPolicy(tx, a, ref)
	if err != nil || !found {
		return iamapi.ManagedPolicyDetail{}, found, err
	}
	po := p.out(policyGot)
	d := iamapi.ManagedPolicyDetail{PolicyName: po.PolicyName, PolicyId: po.PolicyId, Arn: po.Arn, Path: po.Path,
		DefaultVersionId: po.DefaultVersionId, AttachmentCount: po.AttachmentCount, PermissionsBoundaryUsageCount: po.PermissionsBoundaryUsageCount,
		IsAttachable: po.IsAttachable, Description: po.Description, CreateDate: po.CreateDate, UpdateDate: po.UpdateDate}
	if p.Local == nil {
		d.PolicyVersionList = []iamapi.PolicyVersion{{Document: ptr(encodeDocument(p.Document)), VersionId: ptr(p.DefaultVersionID),
			IsDefaultVersion: ptr(true), CreateDate: timePtr(p.Updated)}}
		return d, true, nil
	}
	k := keysFor(a.ID)
	vs, err := listAll(tx, k.versionPrefix(p.Name))
	if err != nil {
		return d, false, err
	}
	sort.SliceStable(vs, func(i, j int) bool { return vs[i].Key > vs[j].Key })
	for _, v := range vs {
		var vr versionRecord
		if err := jsonValue(v, &vr); err != nil {
			return d, false, err
		}
		d.PolicyVersionList = append(d.PolicyVersionList, iamapi.PolicyVersion{Document: ptr(encodeDocument(vr.Document)),
			VersionId: ptr(versionID(vr.N)), IsDefaultVersion: ptr(vr.N == p.Local.DefaultVersion), CreateDate: timePtr(vr.Created)})
	}
	return d, true, nil
}
