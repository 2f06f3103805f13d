package server

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"gatehouse/internal/arn"
	"gatehouse/internal/authz"
	"gatehouse/internal/awserr"
	"gatehouse/internal/awsproto"
	"gatehouse/internal/awsproto/ec2api"
	"gatehouse/internal/awsproto/iamapi"
	"gatehouse/internal/ec2"
)

// serveEC2 decodes, authorizes and runs one call of the EC2 subset Gatehouse serves:
// instances, their tags and their IAM instance profiles
// (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/OperationList-query-ec2.html).
func (s *Server) serveEC2(w http.ResponseWriter, c *call) error {
	if s.cfg.EC2 == nil {
		return awserr.InvalidAction("Gatehouse does not serve EC2 requests on this endpoint.")
	}
	if c.r.Method != http.MethodPost && c.r.Method != http.MethodGet {
		return awserr.New(405, "InvalidAction", "EC2 accepts only GET and POST requests.")
	}
	params, err := queryParams(c)
	if err != nil {
		return err
	}
	if len(params["Action"]) > 0 {
		c.action = params["Action"][0]
	}
	op, in, err := awsproto.EC2.DecodeRequest(params)
	if err != nil {
		return err
	}
	a := ec2.Account{ID: c.caller.account.ID, Partition: c.caller.account.Partition, Caller: c.caller.principal.ARN}
	var out any
	switch in := in.(type) {
	case *ec2api.RunInstancesInput:
		out, err = s.runInstances(c, a, in)
	case *ec2api.DescribeInstancesInput:
		out, err = s.describeInstances(c, a, in)
	case *ec2api.StartInstancesInput:
		out, err = s.changeState(c, a, "StartInstances", in.InstanceIds, in.DryRun, s.cfg.EC2.Start)
	case *ec2api.StopInstancesInput:
		out, err = s.changeState(c, a, "StopInstances", in.InstanceIds, in.DryRun, s.cfg.EC2.Stop)
	case *ec2api.TerminateInstancesInput:
		out, err = s.changeState(c, a, "TerminateInstances", in.InstanceIds, in.DryRun, s.cfg.EC2.Terminate)
	case *ec2api.AssociateIamInstanceProfileInput:
		out, err = s.associateProfile(c, a, in)
	case *ec2api.ReplaceIamInstanceProfileAssociationInput:
		out, err = s.replaceProfile(c, a, in)
	case *ec2api.DisassociateIamInstanceProfileInput:
		out, err = s.disassociateProfile(c, a, in)
	case *ec2api.DescribeIamInstanceProfileAssociationsInput:
		out, err = s.describeAssociations(c, a, in)
	case *ec2api.ModifyInstanceMetadataOptionsInput:
		out, err = s.modifyMetadata(c, a, in)
	case *ec2api.DescribeTagsInput:
		out, err = s.describeTags(c, a, in)
	default:
		return awserr.InvalidAction("Gatehouse does not implement the EC2 action %s yet.", op.Name)
	}
	if err != nil {
		return err
	}
	s.writeOK(w, c, op, out)
	return nil
}

// ec2Check is one authorization question of an EC2 call: an action on one resource with
// the condition keys that resource carries. EC2 authorizes every resource a call touches
// separately and every one must be allowed
// (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/iam-policies-for-amazon-ec2.html#ec2-supported-iam-actions-resources).
type ec2Check struct {
	action   string
	resource string
	keys     map[string]string
	multi    map[string][]string
}

// authorizeEC2 decides every check in order and returns EC2's UnauthorizedOperation
// (HTTP 403) for the first denial, with the same sentence IAM's AccessDenied carries
// ("You are not authorized to perform this operation. User: … is not authorized to
// perform: ec2:RunInstances on resource: … because no identity-based policy allows the
// ec2:RunInstances action") and the encoded authorization failure message
// (unauthorizedEC2). The account root is always allowed.
func (s *Server) authorizeEC2(c *call, checks []ec2Check) error {
	if c.caller.root {
		s.metrics.observeDecision("allowed")
		for _, ch := range checks {
			s.rootAllowed(c, ch.action, ch.resource)
		}
		return nil
	}
	ctx := c.r.Context()
	e, err := s.principal(ctx, c.caller)
	if err != nil {
		return err
	}
	res := resultPool.Get().(*authz.Result)
	defer resultPool.Put(res)
	for _, ch := range checks {
		cond := e.context(&c.caller.principal)
		s.globalKeys(cond, c)
		s.sessionKeys(cond, c.caller)
		cond.Set("ec2:Region", s.cfg.Region)
		for k, v := range ch.keys {
			cond.Set(k, v)
		}
		for k, v := range ch.multi {
			cond.SetMulti(k, v)
		}
		req := authz.Request{
			Principal:       &c.caller.principal,
			Action:          ch.action,
			Resource:        ch.resource,
			ResourceAccount: c.caller.account.ID,
			Context:         cond,
			Policies:        e.set,
		}
		authz.Evaluate(&req, res)
		s.metrics.observeDecision(res.Decision.String())
		if s.denies(c, &req, res) {
			return s.unauthorizedEC2(c, &ch, res)
		}
	}
	return nil
}

// dryRun answers a DryRun call that authorization allowed, as EC2 does.
func dryRun(flag *bool) error {
	if flag != nil && *flag {
		return ec2api.DryRunOperation("Request would have succeeded, but DryRun flag is set.")
	}
	return nil
}

func (s *Server) ec2ARN(c *call, resource string) string {
	return "arn:" + partition(c) + ":ec2:" + s.cfg.Region + ":" + c.caller.account.ID + ":" + resource
}

func partition(c *call) string {
	if p := c.caller.account.Partition; p != "" {
		return p
	}
	return "aws"
}

// resolvedProfile is an instance profile named in a request, with its role.
type resolvedProfile struct {
	ec2.Profile
	roleARN string // "" when the profile holds no role
}

// resolveProfile finds the instance profile an IamInstanceProfileSpecification names, by
// Name or by Arn (not both), in the caller's account. AWS answers an unknown one with
// InvalidParameterValue naming the parameter.
func (s *Server) resolveProfile(ctx context.Context, c *call, spec *ec2api.IamInstanceProfileSpecification, param string) (*resolvedProfile, error) {
	name, byARN := "", ""
	if spec.Arn != nil && spec.Name != nil {
		return nil, ec2api.InvalidParameterCombination("The parameter '%s.name' may not be used in combination with '%s.arn'", param, param)
	}
	switch {
	case spec.Name != nil:
		name = *spec.Name
	case spec.Arn != nil:
		byARN = *spec.Arn
		p, err := arn.Parse(byARN)
		if err != nil || p.Service != "iam" || p.Account != c.caller.account.ID || !strings.HasPrefix(p.Resource, "instance-profile/") {
			return nil, ec2api.InvalidParameterValue("Value (%s) for parameter %s.arn is invalid. Invalid IAM Instance Profile ARN", byARN, param)
		}
		name = p.Resource[strings.LastIndexByte(p.Resource, '/')+1:]
	default:
		return nil, ec2api.MissingParameter("The request must contain the parameter %s.name or %s.arn", param, param)
	}
	out, err := s.iam.GetInstanceProfile(ctx, c.caller.account, &iamapi.GetInstanceProfileInput{InstanceProfileName: &name})
	var ae *awserr.Error
	notFound := errors.As(err, &ae) && ae.Code == "NoSuchEntity"
	if err != nil && !notFound {
		return nil, err
	}
	if notFound || (byARN != "" && out.InstanceProfile.Arn != byARN) {
		if byARN != "" {
			return nil, ec2api.InvalidParameterValue("Value (%s) for parameter %s.arn is invalid. Invalid IAM Instance Profile ARN", byARN, param)
		}
		return nil, ec2api.InvalidParameterValue("Value (%s) for parameter %s.name is invalid. Invalid IAM Instance Profile name", name, param)
	}
	ip := out.InstanceProfile
	r := &resolvedProfile{Profile: ec2.Profile{ARN: ip.Arn, ID: ip.InstanceProfileId}}
	if len(ip.Roles) > 0 {
		r.roleARN = ip.Roles[0].Arn
	}
	return r, nil
}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// passRole is the iam:PassRole check that giving an instance a profile with a role needs
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_switch-role-ec2.html#roles-usingrole-ec2instance-permissions):
// on the role, with iam:PassedToService ec2.amazonaws.com and iam:AssociatedResourceArn the
// instance.
func passRole(p *resolvedProfile, instanceARN string) []ec2Check {
	if p == nil || p.roleARN == "" {
		return nil
	}
	return []ec2Check{{action: "iam:PassRole", resource: p.roleARN, keys: map[string]string{
		"iam:PassedToService":       "ec2.amazonaws.com",
		"iam:AssociatedResourceArn": instanceARN,
	}}}
}

func validAMI(id string) bool {
	h, ok := strings.CutPrefix(id, "ami-")
	if !ok || (len(h) != 8 && len(h) != 17) {
		return false
	}
	for i := 0; i < len(h); i++ {
		if c := h[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

func metadataChange(tokens ec2api.HttpTokensState, hop *int32, endpoint ec2api.InstanceMetadataEndpointState) (ec2.MetadataChange, error) {
	var ch ec2.MetadataChange
	if tokens != "" {
		t, ok := ec2.ParseTokens(string(tokens))
		if !ok {
			return ch, ec2api.InvalidParameterValue("Value (%s) for parameter HttpTokens is invalid. Valid values are optional and required.", tokens)
		}
		ch.Tokens = t
	}
	if hop != nil {
		if *hop < 1 || *hop > 64 {
			return ch, ec2api.InvalidParameterValue("Value (%d) for parameter HttpPutResponseHopLimit is invalid. Valid values are 1 to 64.", *hop)
		}
		ch.HopLimit = int(*hop)
	}
	if endpoint != "" {
		e, ok := ec2.ParseEndpoint(string(endpoint))
		if !ok {
			return ch, ec2api.InvalidParameterValue("Value (%s) for parameter HttpEndpoint is invalid. Valid values are enabled and disabled.", endpoint)
		}
		ch.Endpoint = e
	}
	return ch, nil
}

func (s *Server) runInstances(c *call, a ec2.Account, in *ec2api.RunInstancesInput) (*ec2api.RunInstancesOutput, error) {
	ctx := c.r.Context()
	image := str(in.ImageId)
	if image == "" {
		return nil, ec2api.MissingParameter("The request must contain the parameter ImageId")
	}
	if !validAMI(image) {
		return nil, ec2api.InvalidAMIIDMalformed("Invalid id: \"%s\" (expecting \"ami-...\")", image)
	}
	spec := ec2.LaunchSpec{ImageID: image, Type: string(in.InstanceType), ClientToken: str(in.ClientToken)}
	if len(spec.ClientToken) > 64 {
		return nil, ec2api.InvalidParameterValue("Value (%s) for parameter clientToken is invalid. The client token must be at most 64 characters.", spec.ClientToken)
	}
	if in.MinCount != nil {
		spec.MinCount = int(*in.MinCount)
	}
	if in.MaxCount != nil {
		spec.MaxCount = int(*in.MaxCount)
	}
	if in.Placement != nil && in.Placement.AvailabilityZone != nil {
		az := *in.Placement.AvailabilityZone
		if !strings.HasPrefix(az, s.cfg.Region) || len(az) != len(s.cfg.Region)+1 {
			return nil, ec2api.InvalidParameterValue("Invalid availability zone: [%s]", az)
		}
		spec.AvailabilityZone = az
	}
	var mch ec2.MetadataChange
	if m := in.MetadataOptions; m != nil {
		var err error
		if mch, err = metadataChange(m.HttpTokens, m.HttpPutResponseHopLimit, m.HttpEndpoint); err != nil {
			return nil, err
		}
	}
	md, err := ec2.CheckMetadata(mch)
	if err != nil {
		return nil, err
	}
	spec.Metadata = md
	var tagKeys []string
	reqTags := map[string]string{}
	for _, ts := range in.TagSpecifications {
		if ts.ResourceType == "" {
			return nil, ec2api.InvalidParameterValue("Tag specification resource type must have a value")
		}
		for _, t := range ts.Tags {
			k, v := str(t.Key), str(t.Value)
			if strings.HasPrefix(strings.ToLower(k), "aws:") {
				return nil, ec2api.InvalidParameterValue("Tag keys starting with 'aws:' are reserved for internal use")
			}
			if ts.ResourceType == "instance" {
				spec.Tags = append(spec.Tags, ec2.Tag{Key: k, Value: v})
			}
			reqTags[k] = v
			tagKeys = append(tagKeys, k)
		}
	}
	var prof *resolvedProfile
	if in.IamInstanceProfile != nil {
		if prof, err = s.resolveProfile(ctx, c, in.IamInstanceProfile, "iamInstanceProfile"); err != nil {
			return nil, err
		}
		spec.Profile = &prof.Profile
	}

	// ec2:RunInstances on the instance and on each related resource
	// (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonec2.html).
	instanceARN := s.ec2ARN(c, "instance/*")
	typ := spec.Type
	if typ == "" {
		typ = "m1.small"
	}
	ikeys := map[string]string{
		"ec2:InstanceType":                     typ,
		"ec2:MetadataHttpTokens":               md.Tokens.String(),
		"ec2:MetadataHttpEndpoint":             md.Endpoint.String(),
		"ec2:MetadataHttpPutResponseHopLimit":  strconv.Itoa(md.HopLimit),
		"ec2:AvailabilityZone":                 spec.AvailabilityZone,
		"ec2:IsLaunchTemplateResource":         "false",
		"ec2:InstanceMarketType":               "on-demand",
		"ec2:InstanceMetadataTags":             "disabled",
		"ec2:MetadataHttpProtocolIpv6Disabled": "disabled",
	}
	if spec.AvailabilityZone == "" {
		delete(ikeys, "ec2:AvailabilityZone")
	}
	if prof != nil {
		ikeys["ec2:InstanceProfile"] = prof.ARN
	}
	for k, v := range reqTags {
		ikeys["aws:RequestTag/"+k] = v
	}
	var multi map[string][]string
	if len(tagKeys) > 0 {
		multi = map[string][]string{"aws:TagKeys": tagKeys}
	}
	subnet := "subnet/*"
	if in.SubnetId != nil {
		subnet = "subnet/" + *in.SubnetId
	}
	checks := []ec2Check{
		{action: "ec2:RunInstances", resource: instanceARN, keys: ikeys, multi: multi},
		{action: "ec2:RunInstances", resource: "arn:" + partition(c) + ":ec2:" + s.cfg.Region + "::image/" + image,
			keys: map[string]string{"ec2:ImageType": "machine", "ec2:Public": "true", "ec2:RootDeviceType": "ebs"}},
		{action: "ec2:RunInstances", resource: s.ec2ARN(c, "network-interface/*")},
		{action: "ec2:RunInstances", resource: s.ec2ARN(c, "security-group/*")},
		{action: "ec2:RunInstances", resource: s.ec2ARN(c, subnet)},
		{action: "ec2:RunInstances", resource: s.ec2ARN(c, "volume/*")},
	}
	// Tagging on create needs ec2:CreateTags with ec2:CreateAction
	// (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/supported-iam-actions-tagging.html).
	if len(tagKeys) > 0 {
		tk := map[string]string{"ec2:CreateAction": "RunInstances"}
		for k, v := range reqTags {
			tk["aws:RequestTag/"+k] = v
		}
		checks = append(checks, ec2Check{action: "ec2:CreateTags", resource: instanceARN, keys: tk, multi: multi})
	}
	checks = append(checks, passRole(prof, instanceARN)...)
	if err := s.authorizeEC2(c, checks); err != nil {
		return nil, err
	}
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	r, err := s.cfg.EC2.Run(ctx, a, spec)
	if err != nil {
		return nil, err
	}
	out := &ec2api.RunInstancesOutput{ReservationId: &r.ID, OwnerId: &r.Account, Groups: []ec2api.GroupIdentifier{}}
	for i := range r.Instances {
		out.Instances = append(out.Instances, instanceOut(&r.Instances[i]))
	}
	return out, nil
}

// withTags adds an instance's tags as ec2:ResourceTag and aws:ResourceTag keys.
func withTags(keys map[string]string, tags []ec2.Tag) map[string]string {
	if keys == nil {
		keys = map[string]string{}
	}
	for _, t := range tags {
		keys["aws:ResourceTag/"+t.Key] = t.Value
		keys["ec2:ResourceTag/"+t.Key] = t.Value
	}
	return keys
}

// instanceCheck is action on one existing instance, with its tags; an instance that does not
// exist is checked without any (the domain then answers NotFound).
func (s *Server) instanceCheck(c *call, action, id string, extra map[string]string) ec2Check {
	keys := extra
	if in, err := s.cfg.EC2.Get(c.r.Context(), c.caller.account.ID, id); err == nil {
		keys = withTags(keys, in.Tags)
		if keys == nil {
			keys = map[string]string{}
		}
		keys["ec2:InstanceType"] = in.Type
		if in.Association != nil {
			keys["ec2:InstanceProfile"] = in.Association.Profile.ARN
		}
	}
	return ec2Check{action: action, resource: s.ec2ARN(c, "instance/"+id), keys: keys}
}

func (s *Server) changeState(c *call, a ec2.Account, op string, ids []string, dry *bool,
	do func(context.Context, ec2.Account, []string) ([]ec2.StateChange, error)) (any, error) {
	if err := ec2.CheckInstanceIDs(ids); err != nil {
		return nil, err
	}
	checks := make([]ec2Check, 0, len(ids))
	for _, id := range ids {
		checks = append(checks, s.instanceCheck(c, "ec2:"+op, id, nil))
	}
	if err := s.authorizeEC2(c, checks); err != nil {
		return nil, err
	}
	if err := dryRun(dry); err != nil {
		return nil, err
	}
	changes, err := do(c.r.Context(), a, ids)
	if err != nil {
		return nil, err
	}
	list := make([]ec2api.InstanceStateChange, len(changes))
	for i, ch := range changes {
		list[i] = ec2api.InstanceStateChange{InstanceId: &ch.InstanceID, CurrentState: stateOut(ch.Current), PreviousState: stateOut(ch.Previous)}
	}
	switch op {
	case "StartInstances":
		return &ec2api.StartInstancesOutput{StartingInstances: list}, nil
	case "StopInstances":
		return &ec2api.StopInstancesOutput{StoppingInstances: list}, nil
	default:
		return &ec2api.TerminateInstancesOutput{TerminatingInstances: list}, nil
	}
}

func filtersIn(fs []ec2api.Filter) []ec2.Filter {
	out := make([]ec2.Filter, len(fs))
	for i, f := range fs {
		out[i] = ec2.Filter{Name: str(f.Name), Values: f.Values}
	}
	return out
}

func (s *Server) describeInstances(c *call, a ec2.Account, in *ec2api.DescribeInstancesInput) (*ec2api.DescribeInstancesOutput, error) {
	// DescribeInstances supports no resource-level permissions: Resource "*".
	if err := s.authorizeEC2(c, []ec2Check{{action: "ec2:DescribeInstances", resource: "*"}}); err != nil {
		return nil, err
	}
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	q := ec2.Query{IDs: in.InstanceIds, Filters: filtersIn(in.Filters), NextToken: str(in.NextToken)}
	if in.MaxResults != nil {
		q.MaxResults = int(*in.MaxResults)
	}
	ins, next, err := s.cfg.EC2.Describe(c.r.Context(), a, q)
	if err != nil {
		return nil, err
	}
	out := &ec2api.DescribeInstancesOutput{Reservations: []ec2api.Reservation{}}
	if next != "" {
		out.NextToken = &next
	}
	// Instances of one reservation that are next to each other share one Reservation.
	for i := range ins {
		in := &ins[i]
		n := len(out.Reservations)
		if n == 0 || str(out.Reservations[n-1].ReservationId) != in.ReservationID {
			out.Reservations = append(out.Reservations, ec2api.Reservation{
				ReservationId: &in.ReservationID, OwnerId: &in.Account, Groups: []ec2api.GroupIdentifier{}})
			n++
		}
		out.Reservations[n-1].Instances = append(out.Reservations[n-1].Instances, instanceOut(in))
	}
	return out, nil
}

// describeTags lists the tags of the account's instances, the only EC2 resources
// Gatehouse has (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeTags.html).
func (s *Server) describeTags(c *call, a ec2.Account, in *ec2api.DescribeTagsInput) (*ec2api.DescribeTagsOutput, error) {
	// DescribeTags supports no resource-level permissions: Resource "*".
	if err := s.authorizeEC2(c, []ec2Check{{action: "ec2:DescribeTags", resource: "*"}}); err != nil {
		return nil, err
	}
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	q := ec2.TagQuery{Filters: filtersIn(in.Filters), NextToken: str(in.NextToken)}
	if in.MaxResults != nil {
		q.MaxResults = int(*in.MaxResults)
	}
	tags, next, err := s.cfg.EC2.DescribeTags(c.r.Context(), a, q)
	if err != nil {
		return nil, err
	}
	out := &ec2api.DescribeTagsOutput{Tags: make([]ec2api.TagDescription, len(tags))}
	for i := range tags {
		t := &tags[i]
		out.Tags[i] = ec2api.TagDescription{Key: &t.Key, Value: &t.Value, ResourceId: &t.ResourceID,
			ResourceType: ec2api.ResourceType(t.ResourceType)}
	}
	if next != "" {
		out.NextToken = &next
	}
	return out, nil
}

func (s *Server) associateProfile(c *call, a ec2.Account, in *ec2api.AssociateIamInstanceProfileInput) (*ec2api.AssociateIamInstanceProfileOutput, error) {
	id := str(in.InstanceId)
	if err := ec2.CheckInstanceIDs([]string{id}); err != nil {
		return nil, err
	}
	// EC2 names the parameter iamInstanceProfile here too, though the query member is
	// IamInstanceProfile: AWS answers an unknown profile with "Value (arn:…) for parameter
	// iamInstanceProfile.arn is invalid. Invalid IAM Instance Profile ARN".
	prof, err := s.resolveProfile(c.r.Context(), c, in.IamInstanceProfile, "iamInstanceProfile")
	if err != nil {
		return nil, err
	}
	iarn := s.ec2ARN(c, "instance/"+id)
	checks := append([]ec2Check{s.instanceCheck(c, "ec2:AssociateIamInstanceProfile", id, nil)}, passRole(prof, iarn)...)
	if err := s.authorizeEC2(c, checks); err != nil {
		return nil, err
	}
	as, err := s.cfg.EC2.Associate(c.r.Context(), a, id, prof.Profile)
	if err != nil {
		return nil, err
	}
	return &ec2api.AssociateIamInstanceProfileOutput{IamInstanceProfileAssociation: assocOut(as)}, nil
}

func (s *Server) replaceProfile(c *call, a ec2.Account, in *ec2api.ReplaceIamInstanceProfileAssociationInput) (*ec2api.ReplaceIamInstanceProfileAssociationOutput, error) {
	inst, err := s.cfg.EC2.AssociationInstance(c.r.Context(), a, str(in.AssociationId))
	if err != nil {
		return nil, err
	}
	prof, err := s.resolveProfile(c.r.Context(), c, in.IamInstanceProfile, "iamInstanceProfile")
	if err != nil {
		return nil, err
	}
	checks := append([]ec2Check{s.instanceCheck(c, "ec2:ReplaceIamInstanceProfileAssociation", inst.ID, nil)},
		passRole(prof, inst.ARN())...)
	if err := s.authorizeEC2(c, checks); err != nil {
		return nil, err
	}
	as, err := s.cfg.EC2.Replace(c.r.Context(), a, str(in.AssociationId), prof.Profile)
	if err != nil {
		return nil, err
	}
	return &ec2api.ReplaceIamInstanceProfileAssociationOutput{IamInstanceProfileAssociation: assocOut(as)}, nil
}

func (s *Server) disassociateProfile(c *call, a ec2.Account, in *ec2api.DisassociateIamInstanceProfileInput) (*ec2api.DisassociateIamInstanceProfileOutput, error) {
	inst, err := s.cfg.EC2.AssociationInstance(c.r.Context(), a, str(in.AssociationId))
	if err != nil {
		return nil, err
	}
	if err := s.authorizeEC2(c, []ec2Check{s.instanceCheck(c, "ec2:DisassociateIamInstanceProfile", inst.ID, nil)}); err != nil {
		return nil, err
	}
	as, err := s.cfg.EC2.Disassociate(c.r.Context(), a, str(in.AssociationId))
	if err != nil {
		return nil, err
	}
	return &ec2api.DisassociateIamInstanceProfileOutput{IamInstanceProfileAssociation: assocOut(as)}, nil
}

func (s *Server) describeAssociations(c *call, a ec2.Account, in *ec2api.DescribeIamInstanceProfileAssociationsInput) (*ec2api.DescribeIamInstanceProfileAssociationsOutput, error) {
	if err := s.authorizeEC2(c, []ec2Check{{action: "ec2:DescribeIamInstanceProfileAssociations", resource: "*"}}); err != nil {
		return nil, err
	}
	q := ec2.AssociationQuery{IDs: in.AssociationIds, Filters: filtersIn(in.Filters), NextToken: str(in.NextToken)}
	if in.MaxResults != nil {
		q.MaxResults = int(*in.MaxResults)
	}
	list, next, err := s.cfg.EC2.DescribeAssociations(c.r.Context(), a, q)
	if err != nil {
		return nil, err
	}
	out := &ec2api.DescribeIamInstanceProfileAssociationsOutput{IamInstanceProfileAssociations: []ec2api.IamInstanceProfileAssociation{}}
	for _, as := range list {
		out.IamInstanceProfileAssociations = append(out.IamInstanceProfileAssociations, *assocOut(as))
	}
	if next != "" {
		out.NextToken = &next
	}
	return out, nil
}

func (s *Server) modifyMetadata(c *call, a ec2.Account, in *ec2api.ModifyInstanceMetadataOptionsInput) (*ec2api.ModifyInstanceMetadataOptionsOutput, error) {
	id := str(in.InstanceId)
	if err := ec2.CheckInstanceIDs([]string{id}); err != nil {
		return nil, err
	}
	ch, err := metadataChange(in.HttpTokens, in.HttpPutResponseHopLimit, in.HttpEndpoint)
	if err != nil {
		return nil, err
	}
	keys := map[string]string{}
	if ch.Tokens != 0 {
		keys["ec2:Attribute/HttpTokens"] = ch.Tokens.String()
	}
	if ch.Endpoint != 0 {
		keys["ec2:Attribute/HttpEndpoint"] = ch.Endpoint.String()
	}
	if ch.HopLimit != 0 {
		keys["ec2:Attribute/HttpPutResponseHopLimit"] = strconv.Itoa(ch.HopLimit)
	}
	if err := s.authorizeEC2(c, []ec2Check{s.instanceCheck(c, "ec2:ModifyInstanceMetadataOptions", id, keys)}); err != nil {
		return nil, err
	}
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	inst, err := s.cfg.EC2.ModifyMetadata(c.r.Context(), a, id, ch)
	if err != nil {
		return nil, err
	}
	mo := metadataOut(inst.Metadata)
	// "pending" while the change is applied, as the API reports it right after the call.
	mo.State = "pending"
	return &ec2api.ModifyInstanceMetadataOptionsOutput{InstanceId: &inst.ID, InstanceMetadataOptions: mo}, nil
}

func stateOut(st ec2.State) *ec2api.InstanceState {
	code := st.Code()
	return &ec2api.InstanceState{Code: &code, Name: ec2api.InstanceStateName(st.String())}
}

func metadataOut(m ec2.MetadataOptions) *ec2api.InstanceMetadataOptionsResponse {
	hop := int32(m.HopLimit)
	return &ec2api.InstanceMetadataOptionsResponse{
		State:                   "applied",
		HttpTokens:              ec2api.HttpTokensState(m.Tokens.String()),
		HttpPutResponseHopLimit: &hop,
		HttpEndpoint:            ec2api.InstanceMetadataEndpointState(m.Endpoint.String()),
		HttpProtocolIpv6:        "disabled",
		InstanceMetadataTags:    "disabled",
	}
}

func assocOut(a ec2.Association) *ec2api.IamInstanceProfileAssociation {
	t := a.Time
	return &ec2api.IamInstanceProfileAssociation{
		AssociationId:      &a.ID,
		InstanceId:         &a.InstanceID,
		IamInstanceProfile: &ec2api.IamInstanceProfile{Arn: &a.Profile.ARN, Id: &a.Profile.ID},
		State:              ec2api.IamInstanceProfileAssociationState(a.State.String()),
		Timestamp:          &t,
	}
}

// instanceOut is an instance as DescribeInstances and RunInstances describe it. Fields that
// Gatehouse has no notion of (networking, storage) take the values a default-VPC instance
// from an EBS-backed HVM AMI shows.
func instanceOut(in *ec2.Instance) ec2api.Instance {
	launch := in.LaunchTime
	idx := int32(in.LaunchIndex)
	dns := "ip-10-0-0-1." + in.Region + ".compute.internal"
	if in.Region == "us-east-1" {
		dns = "ip-10-0-0-1.ec2.internal"
	}
	out := ec2api.Instance{
		InstanceId:            &in.ID,
		ImageId:               &in.ImageID,
		State:                 stateOut(in.State),
		InstanceType:          ec2api.InstanceType(in.Type),
		LaunchTime:            &launch,
		AmiLaunchIndex:        &idx,
		Placement:             &ec2api.Placement{AvailabilityZone: &in.AvailabilityZone, Tenancy: "default"},
		Monitoring:            &ec2api.Monitoring{State: "disabled"},
		Architecture:          "x86_64",
		RootDeviceType:        "ebs",
		RootDeviceName:        ptr("/dev/xvda"),
		VirtualizationType:    "hvm",
		Hypervisor:            "xen",
		PrivateDnsName:        &dns,
		PublicDnsName:         ptr(""),
		StateTransitionReason: ptr(in.Reason),
		MetadataOptions:       metadataOut(in.Metadata),
		ProductCodes:          []ec2api.ProductCode{},
		SecurityGroups:        []ec2api.GroupIdentifier{},
		ClientToken:           ptr(in.ClientToken),
		EbsOptimized:          ptr(false),
	}
	if in.State == ec2.Stopped || in.State == ec2.Terminated {
		out.StateReason = &ec2api.StateReason{Code: ptr("Client.UserInitiatedShutdown"), Message: ptr("Client.UserInitiatedShutdown: User initiated shutdown")}
	}
	for _, t := range in.Tags {
		out.Tags = append(out.Tags, ec2api.Tag{Key: ptr(t.Key), Value: ptr(t.Value)})
	}
	if as := in.Association; as != nil {
		out.IamInstanceProfile = &ec2api.IamInstanceProfile{Arn: &as.Profile.ARN, Id: &as.Profile.ID}
	}
	return out
}

func ptr[T any](v T) *T { return &v }
