package server

import (
	"context"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"sync"

	"gatehouse/internal/awserr"
	"gatehouse/internal/awsproto"
	"gatehouse/internal/awsproto/iamapi"
	"gatehouse/internal/awsproto/model"
	"gatehouse/internal/catalog"
	"gatehouse/internal/iam"
)

// iamMethod calls one iam.Service method: (ctx, iam.Account, *XxxInput) → (*XxxOutput, error).
type iamMethod func(ctx context.Context, a iam.Account, in model.Input) (any, error)

// iamMethods binds every IAM operation in the model to the iam.Service method of the same
// name, once, by reflection. An operation the domain does not implement yet is absent.
func iamMethods(svc *iam.Service) map[string]iamMethod {
	ctxType := reflect.TypeFor[context.Context]()
	acctType := reflect.TypeFor[iam.Account]()
	errType := reflect.TypeFor[error]()
	rv := reflect.ValueOf(svc)
	out := make(map[string]iamMethod)
	for name, op := range iamapi.Operations {
		m := rv.MethodByName(name)
		if !m.IsValid() {
			continue
		}
		t := m.Type()
		inType := reflect.TypeOf(op.NewInput())
		if t.NumIn() != 3 || t.In(0) != ctxType || t.In(1) != acctType || t.In(2) != inType ||
			t.NumOut() != 2 || t.Out(1) != errType {
			panic(fmt.Sprintf("server: iam.Service.%s has signature %v, want (context.Context, iam.Account, %v) (*Output, error)", name, t, inType))
		}
		out[name] = func(ctx context.Context, a iam.Account, in model.Input) (any, error) {
			res := m.Call([]reflect.Value{reflect.ValueOf(ctx), reflect.ValueOf(a), reflect.ValueOf(in)})
			if err, _ := res[1].Interface().(error); err != nil {
				return nil, err
			}
			return res[0].Interface(), nil
		}
	}
	return out
}

// queryParams merges the URL query and a form body, as AWS's Query protocol reads them.
func queryParams(c *call) (map[string][]string, error) {
	params := c.r.URL.Query()
	if len(c.body) > 0 && (isForm(c.r) || c.r.Header.Get("Content-Type") == "") {
		form, err := parseForm(c.body)
		if err != nil {
			return nil, err
		}
		for k, v := range form {
			params[k] = append(params[k], v...)
		}
	}
	return params, nil
}

// serveIAM decodes, authorizes and runs one IAM call.
func (s *Server) serveIAM(w http.ResponseWriter, c *call) error {
	if c.r.Method != http.MethodPost && c.r.Method != http.MethodGet {
		return awserr.New(405, "InvalidAction", "IAM accepts only GET and POST requests.")
	}
	params, err := queryParams(c)
	if err != nil {
		return err
	}
	if len(params["Action"]) > 0 {
		c.action = params["Action"][0]
	}
	decode := awsproto.IAM.DecodeRequest
	if s.iam.MotoLenient() { // emulator --enforce off: paths and names moto server accepts
		decode = awsproto.IAM.DecodeRequestLenient
	}
	op, in, err := decode(params)
	if err != nil {
		return err
	}
	call, ok := s.iamCalls[op.Name]
	if !ok {
		// The model has the operation; Gatehouse does not serve it yet. Say so plainly
		// rather than pretend (docs/api-coverage.md lists what is served).
		return awserr.InvalidAction("Gatehouse does not implement the IAM action %s yet.", op.Name)
	}
	if err := s.authorizeIAM(c, op.Name, in); err != nil {
		return err
	}
	out, err := call(c.r.Context(), c.caller.account, in)
	if err != nil {
		return err
	}
	s.writeOK(w, c, op, out)
	return nil
}

// inputString returns the named member of a decoded input (string or *string), if set.
func inputString(in any, name string) (string, bool) {
	v := reflect.ValueOf(in)
	for v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return "", false
		}
		v = v.Elem()
	}
	if v.Kind() != reflect.Struct {
		return "", false
	}
	f := v.FieldByName(name)
	if !f.IsValid() {
		return "", false
	}
	if f.Kind() == reflect.Pointer {
		if f.IsNil() {
			return "", false
		}
		f = f.Elem()
	}
	if f.Kind() != reflect.String {
		return "", false
	}
	return f.String(), true
}

// inputTags returns the Tags member ([]iamapi.Tag) of a decoded input.
func inputTags(in any) ([]iamapi.Tag, bool) {
	v := reflect.ValueOf(in).Elem().FieldByName("Tags")
	if !v.IsValid() {
		return nil, false
	}
	tags, ok := v.Interface().([]iamapi.Tag)
	return tags, ok
}

// inputTagKeys returns the TagKeys member ([]string) of a decoded input (Untag…).
func inputTagKeys(in any) ([]string, bool) {
	v := reflect.ValueOf(in).Elem().FieldByName("TagKeys")
	if !v.IsValid() {
		return nil, false
	}
	keys, ok := v.Interface().([]string)
	return keys, ok
}

// iamTarget is the resource an IAM call acts on, as authorization sees it.
type iamTarget struct {
	arn      string
	tags     []iamapi.Tag // aws:ResourceTag / iam:ResourceTag
	boundary string       // the target principal's permissions boundary, for iam:PermissionsBoundary
}

// iamResource builds the resource ARN of an IAM call from the catalog's resource type for
// the action (https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsidentityandaccessmanagementiam.html)
// and the input, with the entity's real path, as IAM authorizes on the full ARN.
func (s *Server) iamResource(ctx context.Context, c *call, op string, act *catalog.Action, in any) (iamTarget, error) {
	a := c.caller.account
	prefix := "arn:" + a.Partition + ":iam::" + a.ID + ":"
	var rt string
	if act != nil {
		for _, r := range act.Resources {
			if r.Required || rt == "" {
				rt = r.Type.Name
				if r.Required {
					break
				}
			}
		}
	}
	// Operations on an entity named by ARN are authorized on that ARN.
	switch op {
	case "GenerateServiceLastAccessedDetails":
		if arn, ok := inputString(in, "Arn"); ok {
			return iamTarget{arn: arn}, nil
		}
	case "SimulatePrincipalPolicy", "GetContextKeysForPrincipalPolicy":
		if arn, ok := inputString(in, "PolicySourceArn"); ok {
			return iamTarget{arn: arn}, nil
		}
	}
	switch rt {
	case "user":
		name, ok := inputString(in, "UserName")
		if !ok && op == "GetAccessKeyLastUsed" {
			// The resource is the key's owner, not the caller: AWS's self-management
			// policy grants it on user/${aws:username} to scope it to one's own keys
			// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_examples_aws_my-sec-creds-self-manage.html).
			if id, _ := inputString(in, "AccessKeyId"); id != "" {
				if k, err := s.iam.LookupAccessKey(ctx, id); err == nil && k.Account == a.ID {
					if k.Root {
						return iamTarget{arn: k.Principal}, nil
					}
					name, ok = k.UserName, true
				}
			}
		}
		if !ok {
			if c.caller.principal.Name == "" || c.caller.root {
				return iamTarget{arn: c.caller.principal.ARN}, nil
			}
			name = c.caller.principal.Name
		}
		if op == "CreateUser" {
			return iamTarget{arn: prefix + "user" + pathOf(in) + name}, nil
		}
		return s.targets.lookup(s.iam, a.ID, "user", name, func() iamTarget {
			out, err := s.iam.GetUser(ctx, a, &iamapi.GetUserInput{UserName: &name})
			if err != nil {
				return iamTarget{arn: prefix + "user/" + name}
			}
			t := iamTarget{arn: out.User.Arn, tags: out.User.Tags}
			if pb := out.User.PermissionsBoundary; pb != nil && pb.PermissionsBoundaryArn != nil {
				t.boundary = *pb.PermissionsBoundaryArn
			}
			return t
		}), nil
	case "role":
		name, _ := inputString(in, "RoleName")
		if op == "CreateServiceLinkedRole" { // the ARN the role will have
			svc, _ := inputString(in, "AWSServiceName")
			sfx, _ := inputString(in, "CustomSuffix")
			if path, slr, ok := iam.ServiceLinkedRoleName(svc, sfx); ok {
				return iamTarget{arn: prefix + "role" + path + slr}, nil
			}
		}
		if op == "CreateRole" {
			return iamTarget{arn: prefix + "role" + pathOf(in) + name}, nil
		}
		return s.targets.lookup(s.iam, a.ID, "role", name, func() iamTarget {
			out, err := s.iam.GetRole(ctx, a, &iamapi.GetRoleInput{RoleName: &name})
			if err != nil {
				return iamTarget{arn: prefix + "role/" + name}
			}
			t := iamTarget{arn: out.Role.Arn, tags: out.Role.Tags}
			if pb := out.Role.PermissionsBoundary; pb != nil && pb.PermissionsBoundaryArn != nil {
				t.boundary = *pb.PermissionsBoundaryArn
			}
			return t
		}), nil
	case "group":
		name, _ := inputString(in, "GroupName")
		if op == "CreateGroup" {
			return iamTarget{arn: prefix + "group" + pathOf(in) + name}, nil
		}
		return s.targets.lookup(s.iam, a.ID, "group", name, func() iamTarget {
			one := int32(1)
			out, err := s.iam.GetGroup(ctx, a, &iamapi.GetGroupInput{GroupName: &name, MaxItems: &one})
			if err != nil {
				return iamTarget{arn: prefix + "group/" + name}
			}
			return iamTarget{arn: out.Group.Arn}
		}), nil
	case "instance-profile":
		name, _ := inputString(in, "InstanceProfileName")
		if op == "CreateInstanceProfile" {
			return iamTarget{arn: prefix + "instance-profile" + pathOf(in) + name}, nil
		}
		return s.targets.lookup(s.iam, a.ID, "instance-profile", name, func() iamTarget {
			out, err := s.iam.GetInstanceProfile(ctx, a, &iamapi.GetInstanceProfileInput{InstanceProfileName: &name})
			if err != nil {
				return iamTarget{arn: prefix + "instance-profile/" + name}
			}
			return iamTarget{arn: out.InstanceProfile.Arn, tags: out.InstanceProfile.Tags}
		}), nil
	case "policy":
		if op == "CreatePolicy" {
			name, _ := inputString(in, "PolicyName")
			return iamTarget{arn: prefix + "policy" + pathOf(in) + name}, nil
		}
		if arn, ok := inputString(in, "PolicyArn"); ok {
			return iamTarget{arn: arn}, nil
		}
	case "mfa": // arn:aws:iam::ACCOUNT:mfa/PATH/NAME, as the self-service MFA policies name it
		if serial, ok := inputString(in, "SerialNumber"); ok {
			return iamTarget{arn: serial}, nil
		}
		if name, ok := inputString(in, "VirtualMFADeviceName"); ok {
			return iamTarget{arn: prefix + "mfa" + pathOf(in) + name}, nil
		}
	case "oidc-provider":
		if arn, ok := inputString(in, "OpenIDConnectProviderArn"); ok {
			return iamTarget{arn: arn}, nil
		}
		if u, ok := inputString(in, "Url"); ok { // CreateOpenIDConnectProvider: the ARN it will have
			_, res, found := strings.Cut(u, "://")
			if !found {
				res = u
			}
			res = strings.TrimRight(res, "/")
			if i := strings.IndexByte(res, '/'); i >= 0 {
				res = strings.ToLower(res[:i]) + res[i:]
			} else {
				res = strings.ToLower(res)
			}
			return iamTarget{arn: prefix + "oidc-provider/" + res}, nil
		}
	case "saml-provider":
		if arn, ok := inputString(in, "SAMLProviderArn"); ok {
			return iamTarget{arn: arn}, nil
		}
		if name, ok := inputString(in, "Name"); ok { // CreateSAMLProvider
			return iamTarget{arn: prefix + "saml-provider/" + name}, nil
		}
	case "server-certificate":
		name, _ := inputString(in, "ServerCertificateName")
		if op == "UploadServerCertificate" {
			return iamTarget{arn: prefix + "server-certificate" + pathOf(in) + name}, nil
		}
		return s.targets.lookup(s.iam, a.ID, "server-certificate", name, func() iamTarget {
			out, err := s.iam.GetServerCertificate(ctx, a, &iamapi.GetServerCertificateInput{ServerCertificateName: &name})
			if err != nil {
				return iamTarget{arn: prefix + "server-certificate/" + name}
			}
			return iamTarget{arn: out.ServerCertificate.ServerCertificateMetadata.Arn, tags: out.ServerCertificate.Tags}
		}), nil
	}
	// Actions with no resource type are granted on "*"; IAM names the list operations'
	// resource after the entity kind and path prefix in its AccessDenied messages
	// ("…to perform: iam:ListUsers on resource: arn:aws:iam::123456789012:user/").
	switch op {
	case "ListUsers", "ListGroups", "ListRoles", "ListPolicies", "ListInstanceProfiles":
		p, _ := inputString(in, "PathPrefix")
		return iamTarget{arn: prefix + listedKind[op] + "/" + strings.TrimPrefix(p, "/")}, nil
	}
	return iamTarget{arn: "*"}, nil
}

// targetCache remembers what authorization needs of a named entity (its ARN with path, tags,
// boundary), so that in steady state the decision path does not read the store. An entry
// is good while the account's generation has not moved past the one read before the fetch.
type targetCache struct {
	mu sync.RWMutex
	m  map[targetKey]targetEntry
}

type targetKey struct{ account, kind, name string }

type targetEntry struct {
	t   iamTarget
	gen uint64
}

func (tc *targetCache) lookup(svc *iam.Service, account, kind, name string, fetch func() iamTarget) iamTarget {
	// IAM names are unique without regard to case.
	k := targetKey{account, kind, strings.ToLower(name)}
	gen := svc.Generation(account)
	tc.mu.RLock()
	e, ok := tc.m[k]
	tc.mu.RUnlock()
	if ok && e.gen >= gen {
		return e.t
	}
	t := fetch()
	tc.mu.Lock()
	if tc.m == nil || len(tc.m) > 100_000 {
		tc.m = make(map[targetKey]targetEntry) // bounded: start over rather than grow without end
	}
	tc.m[k] = targetEntry{t: t, gen: gen}
	tc.mu.Unlock()
	return t
}

// listedKind is the entity kind each list operation names its resource after.
var listedKind = map[string]string{"ListUsers": "user", "ListGroups": "group", "ListRoles": "role",
	"ListPolicies": "policy", "ListInstanceProfiles": "instance-profile"}

// pathOf returns the input's Path member, "/" when absent.
func pathOf(in any) string {
	if p, ok := inputString(in, "Path"); ok && p != "" {
		return p
	}
	return "/"
}
