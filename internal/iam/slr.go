package iam

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"gatehouse/internal/awserr"
	"gatehouse/internal/awsproto/iamapi"
	"gatehouse/internal/kv"
)

// Service-linked roles (https://docs.aws.amazon.com/IAM/latest/UserGuide/using-service-linked-roles.html,
// https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateServiceLinkedRole.html): a role
// a service creates and owns, named AWSServiceRoleFor<Service>[_<suffix>], at path
// /aws-service-role/<service principal>/, trusted by that service only, with the service's
// managed policy attached. Its trust and permissions are the service's: IAM refuses to edit
// or delete it through the ordinary role operations (UnmodifiableEntity);
// DeleteServiceLinkedRole starts a deletion task whose status
// GetServiceLinkedRoleDeletionStatus reports.

const slrPathPrefix = "/aws-service-role/"

// slrService is what IAM knows of one service that links roles: the role name's stem, the
// managed policy (under /aws-service-role/) the role gets, and whether a custom suffix is
// accepted.
type slrService struct {
	Stem   string
	Policy string
	Suffix bool
}

// slrServices are the role names and policies the services document in "AWS services that
// work with IAM" (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_aws-services-that-work-with-iam.html).
var slrServices = map[string]slrService{
	"autoscaling.amazonaws.com":                      {"AutoScaling", "AutoScalingServiceRolePolicy", true},
	"elasticloadbalancing.amazonaws.com":             {"ElasticLoadBalancing", "AWSElasticLoadBalancingServiceRolePolicy", false},
	"ecs.amazonaws.com":                              {"ECS", "AmazonECSServiceRolePolicy", false},
	"rds.amazonaws.com":                              {"RDS", "AmazonRDSServiceRolePolicy", false},
	"spot.amazonaws.com":                             {"EC2Spot", "AWSEC2SpotServiceRolePolicy", false},
	"spotfleet.amazonaws.com":                        {"EC2SpotFleet", "AWSEC2SpotFleetServiceRolePolicy", false},
	"organizations.amazonaws.com":                    {"Organizations", "AWSOrganizationsServiceTrustPolicy", false},
	"support.amazonaws.com":                          {"Support", "AWSSupportServiceRolePolicy", false},
	"trustedadvisor.amazonaws.com":                   {"TrustedAdvisor", "AWSTrustedAdvisorServiceRolePolicy", false},
	"elasticache.amazonaws.com":                      {"ElastiCache", "ElastiCacheServiceRolePolicy", false},
	"eks.amazonaws.com":                              {"AmazonEKS", "AmazonEKSServiceRolePolicy", false},
	"eks-nodegroup.amazonaws.com":                    {"AmazonEKSNodegroup", "AWSServiceRoleForAmazonEKSNodegroup", false},
	"eks-fargate.amazonaws.com":                      {"AmazonEKSForFargate", "AmazonEKSForFargateServiceRolePolicy", false},
	"dynamodb.application-autoscaling.amazonaws.com": {"ApplicationAutoScaling_DynamoDBTable", "AWSApplicationAutoscalingDynamoDBTablePolicy", false},
	"ecs.application-autoscaling.amazonaws.com":      {"ApplicationAutoScaling_ECSService", "AWSApplicationAutoscalingECSServicePolicy", false},
	// The rest of Application Auto Scaling's family: one role per scalable service, named after
	// the resource type it scales ("Service-linked role ARN reference",
	// https://docs.aws.amazon.com/autoscaling/application/userguide/application-auto-scaling-service-linked-roles.html).
	"appstream.application-autoscaling.amazonaws.com":       {"ApplicationAutoScaling_AppStreamFleet", "AWSApplicationAutoscalingAppStreamFleetPolicy", false},
	"cassandra.application-autoscaling.amazonaws.com":       {"ApplicationAutoScaling_CassandraTable", "AWSApplicationAutoscalingCassandraTablePolicy", false},
	"comprehend.application-autoscaling.amazonaws.com":      {"ApplicationAutoScaling_ComprehendEndpoint", "AWSApplicationAutoscalingComprehendEndpointPolicy", false},
	"custom-resource.application-autoscaling.amazonaws.com": {"ApplicationAutoScaling_CustomResource", "AWSApplicationAutoScalingCustomResourcePolicy", false},
	"ec2.application-autoscaling.amazonaws.com":             {"ApplicationAutoScaling_EC2SpotFleetRequest", "AWSApplicationAutoscalingEC2SpotFleetRequestPolicy", false},
	"elasticache.application-autoscaling.amazonaws.com":     {"ApplicationAutoScaling_ElastiCacheRG", "AWSApplicationAutoscalingElastiCacheRGPolicy", false},
	"kafka.application-autoscaling.amazonaws.com":           {"ApplicationAutoScaling_KafkaCluster", "AWSApplicationAutoscalingKafkaClusterPolicy", false},
	"lambda.application-autoscaling.amazonaws.com":          {"ApplicationAutoScaling_LambdaConcurrency", "AWSApplicationAutoscalingLambdaConcurrencyPolicy", false},
	"neptune.application-autoscaling.amazonaws.com":         {"ApplicationAutoScaling_NeptuneCluster", "AWSApplicationAutoscalingNeptuneClusterPolicy", false},
	"rds.application-autoscaling.amazonaws.com":             {"ApplicationAutoScaling_RDSCluster", "AWSApplicationAutoscalingRDSClusterPolicy", false},
	"sagemaker.application-autoscaling.amazonaws.com":       {"ApplicationAutoScaling_SageMakerEndpoint", "AWSApplicationAutoscalingSageMakerEndpointPolicy", false},
	"workspaces.application-autoscaling.amazonaws.com":      {"ApplicationAutoScaling_WorkSpacesPool", "AWSApplicationAutoscalingWorkSpacesPoolPolicy", false},
	"config.amazonaws.com":                                  {"Config", "AWSConfigServiceRolePolicy", false},
	"cloudtrail.amazonaws.com":                              {"CloudTrail", "CloudTrailServiceRolePolicy", false},
	"guardduty.amazonaws.com":                               {"AmazonGuardDuty", "AmazonGuardDutyServiceRolePolicy", false},
	"securityhub.amazonaws.com":                             {"SecurityHub", "AWSSecurityHubServiceRolePolicy", false},
	"sso.amazonaws.com":                                     {"SSO", "AWSSSOServiceRolePolicy", false},
	"ssm.amazonaws.com":                                     {"AmazonSSM", "AmazonSSMServiceRolePolicy", false},
	"redshift.amazonaws.com":                                {"Redshift", "AmazonRedshiftServiceLinkedRolePolicy", false},
	"access-analyzer.amazonaws.com":                         {"AccessAnalyzer", "AccessAnalyzerServiceRolePolicy", false},
	"backup.amazonaws.com":                                  {"Backup", "AWSBackupServiceLinkedRolePolicyForBackup", false},
	"compute-optimizer.amazonaws.com":                       {"ComputeOptimizer", "ComputeOptimizerServiceRolePolicy", false},
	"kafka.amazonaws.com":                                   {"Kafka", "KafkaServiceRolePolicy", false},
	"ops.apigateway.amazonaws.com":                          {"APIGateway", "APIGatewayServiceRolePolicy", false},
	"elasticmapreduce.amazonaws.com":                        {"EMRCleanup", "AmazonEMRCleanupPolicy", false},
	"globalaccelerator.amazonaws.com":                       {"GlobalAccelerator", "AWSGlobalAcceleratorSLRPolicy", false},
	"transitgateway.amazonaws.com":                          {"VPCTransitGateway", "AWSVPCTransitGatewayServiceRolePolicy", false},
	"events.amazonaws.com":                                  {"CloudWatchEvents", "CloudWatchEventsServiceRolePolicy", false},
	"elasticbeanstalk.amazonaws.com":                        {"ElasticBeanstalk", "AWSElasticBeanstalkServiceRolePolicy", true},
	"opensearchservice.amazonaws.com":                       {"AmazonOpenSearchService", "AmazonOpenSearchServiceRolePolicy", false},
	"es.amazonaws.com":                                      {"AmazonElasticsearchService", "AmazonElasticsearchServiceRolePolicy", false},
	"replicator.lambda.amazonaws.com":                       {"LambdaReplicator", "AWSLambdaReplicator", false},
	"lex.amazonaws.com":                                     {"LexBots", "AmazonLexBotPolicy", true},
}

// slrFor returns the service's entry; a service outside the table gets the name IAM's
// convention gives it (its first DNS label in CamelCase) and no policy, with suffixes allowed.
func slrFor(service string) (slrService, bool) {
	if e, ok := slrServices[service]; ok {
		return e, true
	}
	label, ok := strings.CutSuffix(service, ".amazonaws.com")
	if !ok || label == "" || strings.ContainsAny(label, "/ ") {
		return slrService{}, false
	}
	label = strings.SplitN(label, ".", 2)[0]
	var b strings.Builder
	for _, part := range strings.FieldsFunc(label, func(r rune) bool { return r == '-' || r == '_' }) {
		b.WriteString(strings.ToUpper(part[:1]) + part[1:])
	}
	if b.Len() == 0 {
		return slrService{}, false
	}
	return slrService{Stem: b.String(), Suffix: true}, true
}

// isServiceLinked reports whether a role is service-linked: only CreateServiceLinkedRole
// creates roles under /aws-service-role/.
func isServiceLinked(r roleRecord) bool { return strings.HasPrefix(r.Path, slrPathPrefix) }

func unmodifiableRole(name string) *awserr.Error {
	return iamapi.UnmodifiableEntity("Cannot perform the operation on the protected role '%s' - this role is only modifiable by AWS", name)
}

// checkRoleModifiable refuses ordinary edits of a service-linked role.
func checkRoleModifiable(r roleRecord) error {
	if isServiceLinked(r) {
		return unmodifiableRole(r.Name)
	}
	return nil
}

// roleModifiable reads the role and checks it, for the operations that edit a role through
// shared helpers (inline and attached policies).
func (s *Service) roleModifiable(ctx context.Context, a Account, name string) error {
	return s.view(ctx, func(tx kv.Tx) error {
		r, err := getRole(tx, keysFor(a.ID), name)
		if err != nil {
			if ae, ok := awserr.As(err); ok && ae.Code == "NoSuchEntity" {
				return nil // the operation reports it in its own words
			}
			return err
		}
		return checkRoleModifiable(r)
	})
}

func slrTrustPolicy(service string) string {
	b, _ := json.Marshal(map[string]any{"Version": "2012-10-17", "Statement": []any{map[string]any{
		"Effect": "Allow", "Principal": map[string]string{"Service": service}, "Action": "sts:AssumeRole"}}})
	return string(b)
}

func (s *Service) CreateServiceLinkedRole(ctx context.Context, a Account, in *iamapi.CreateServiceLinkedRoleInput) (*iamapi.CreateServiceLinkedRoleOutput, error) {
	service := str(in.AWSServiceName)
	e, ok := slrFor(service)
	if !ok {
		return nil, invalidInput("Service name %s is not a valid service principal.", service)
	}
	if str(in.CustomSuffix) != "" && !e.Suffix {
		return nil, invalidInput("Custom suffix is not allowed for %s", service)
	}
	path, name, ok := ServiceLinkedRoleName(service, str(in.CustomSuffix))
	if !ok {
		return nil, invalidInput("The role name for %s with suffix %q would be longer than %d characters.", service, str(in.CustomSuffix), maxRoleNameLen)
	}
	trust, err := checkTrustPolicy(slrTrustPolicy(service))
	if err != nil {
		return nil, err
	}
	var out roleRecord
	err = s.update(ctx, a, "CreateServiceLinkedRole", func() string { return "role/" + name }, func(t *txn) error {
		if found, err := exists(t.tx, t.k.entity(kindRole, name)); err != nil {
			return err
		} else if found {
			return invalidInput("Service role name %s has been taken in this account, please try a different suffix.", name)
		}
		if err := t.count(kindRole, 1, s.opt.Quotas.Roles, "RolesPerAccount"); err != nil {
			return err
		}
		id, err := newUniqueID(s.opt.Rand, prefixRole)
		if err != nil {
			return err
		}
		out = roleRecord{Name: name, Path: path, ID: id, Created: t.now, TrustPolicy: trust, Description: str(in.Description),
			MaxSessionDuration: defaultSessionDuration}
		if err := t.putEntity(kindRole, name, path, out); err != nil {
			return err
		}
		if e.Policy != "" {
			if mp, ok := s.opt.ManagedPolicies.ManagedPolicy(e.Policy); ok {
				if err := t.attach(kindRole, name, mp.ARN, "PoliciesPerRole"); err != nil {
					return err
				}
			}
		}
		t.touchPrincipal(a.arn(kindRole, path, name))
		return nil
	})
	if err != nil {
		return nil, err
	}
	r := a.roleOut(out, false)
	return &iamapi.CreateServiceLinkedRoleOutput{Role: &r}, nil
}

// slrTaskRecord is a deletion task of DeleteServiceLinkedRole, kept at
// a/<acct>/slr-task/<task ID>.
type slrTaskRecord struct {
	Role    string    `json:"role"`
	Status  string    `json:"status"`
	Started time.Time `json:"started"`
}

func (k keys) slrTask(id string) string { return k.base() + "slr-task/" + id }

// DeleteServiceLinkedRole deletes a service-linked role with its policies and returns the
// deletion task's ID, "task/aws-service-role/<service>/<role>/<uuid>". Gatehouse's services
// hold no resources that use a role, so the task succeeds at once; a role still in an
// instance profile fails it, as a role in use does on AWS.
func (s *Service) DeleteServiceLinkedRole(ctx context.Context, a Account, in *iamapi.DeleteServiceLinkedRoleInput) (*iamapi.DeleteServiceLinkedRoleOutput, error) {
	name := str(in.RoleName)
	var task string
	err := s.update(ctx, a, "DeleteServiceLinkedRole", func() string { return "role/" + name }, func(t *txn) error {
		r, err := getRole(t.tx, t.k, name)
		if err != nil {
			return err
		}
		if !isServiceLinked(r) {
			return invalidInput("Role %s is not a service-linked role.", r.Name)
		}
		uuid, err := newUUID(s.opt.Rand)
		if err != nil {
			return err
		}
		task = "task" + r.Path + r.Name + "/" + uuid
		status := "SUCCEEDED"
		if inUse, err := hasAny(t.tx, t.k.roleProfilePrefix(name)); err != nil {
			return err
		} else if inUse {
			status = "FAILED"
		} else if err := t.deleteRoleWithPolicies(r); err != nil {
			return err
		}
		return putJSON(t.tx, t.k.slrTask(task), slrTaskRecord{Role: a.arn(kindRole, r.Path, r.Name), Status: status, Started: t.now})
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.DeleteServiceLinkedRoleOutput{DeletionTaskId: task}, nil
}

// deleteRoleWithPolicies deletes a role, its inline policies and its attachments.
func (t *txn) deleteRoleWithPolicies(r roleRecord) error {
	if err := deletePrefix(t.tx, t.k.inlinePrefix(kindRole, r.Name)); err != nil {
		return err
	}
	prefix := t.k.attachedPrefix(kindRole, r.Name)
	ps, err := listAll(t.tx, prefix)
	if err != nil {
		return err
	}
	for _, p := range ps {
		ref, ok := parsePolicyRef(p.Key[len(prefix):])
		if !ok {
			continue
		}
		if err := t.detachRef(kindRole, r.Name, ref); err != nil {
			return err
		}
	}
	if err := t.setBoundary(kindRole, r.Name, r.Boundary, ""); err != nil {
		return err
	}
	if err := t.count(kindRole, -1, 0, ""); err != nil {
		return err
	}
	t.touchPrincipal(t.acct.arn(kindRole, r.Path, r.Name))
	return t.deleteEntity(kindRole, r.Name, r.Path)
}

func (s *Service) GetServiceLinkedRoleDeletionStatus(ctx context.Context, a Account, in *iamapi.GetServiceLinkedRoleDeletionStatusInput) (*iamapi.GetServiceLinkedRoleDeletionStatusOutput, error) {
	id := str(in.DeletionTaskId)
	var rec slrTaskRecord
	err := s.view(ctx, func(tx kv.Tx) error {
		found, err := getJSON(tx, keysFor(a.ID).slrTask(id), &rec)
		if err == nil && !found {
			err = noSuchEntity("Deletion task %s does not exist.", id)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	out := &iamapi.GetServiceLinkedRoleDeletionStatusOutput{Status: iamapi.DeletionTaskStatusType(rec.Status)}
	if rec.Status == "FAILED" {
		out.Reason = &iamapi.DeletionTaskFailureReasonType{Reason: ptr("The role is in use by an instance profile; remove it from the instance profile first."),
			RoleUsageList: []iamapi.RoleUsageType{}}
	}
	return out, nil
}

// SetSecurityTokenServicePreferences records which session tokens STS's global endpoint
// issues: v1Token (valid only in default-enabled regions) or v2Token (valid in all
// regions). GetAccountSummary reports it as GlobalEndpointTokenVersion 1 or 2
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_temp_enable-regions.html).
func (s *Service) SetSecurityTokenServicePreferences(ctx context.Context, a Account, in *iamapi.SetSecurityTokenServicePreferencesInput) (*iamapi.SetSecurityTokenServicePreferencesOutput, error) {
	v := string(in.GlobalEndpointTokenVersion)
	err := s.update(ctx, a, "SetSecurityTokenServicePreferences", func() string { return "account " + v }, func(t *txn) error {
		return t.tx.Put(t.k.stsPreferences(), []byte(v))
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.SetSecurityTokenServicePreferencesOutput{}, nil
}

func (k keys) stsPreferences() string { return k.base() + "sts-preferences" }

// GlobalEndpointTokenVersion returns 1 or 2: the version of session tokens the account's STS
// global endpoint issues (1 unless SetSecurityTokenServicePreferences chose v2Token).
func (s *Service) GlobalEndpointTokenVersion(ctx context.Context, account string) (int, error) {
	v := 1
	err := s.view(ctx, func(tx kv.Tx) error {
		var err error
		v, err = readTokenVersion(tx, keysFor(account))
		return err
	})
	return v, err
}

func readTokenVersion(tx kv.Tx, k keys) (int, error) {
	b, err := tx.Get(k.stsPreferences())
	if err != nil {
		if isNotFound(err) {
			return 1, nil
		}
		return 0, err
	}
	if string(b) == string(iamapi.GlobalEndpointTokenVersionV2Token) {
		return 2, nil
	}
	return 1, nil
}

// ServiceLinkedRoleName returns the path and name CreateServiceLinkedRole gives the role of
// service with suffix ("" for none), so that the edge can authorize the call on the ARN the
// role will have; ok is false for a name that is not a service principal.
func ServiceLinkedRoleName(service, suffix string) (path, name string, ok bool) {
	e, ok := slrFor(service)
	if !ok {
		return "", "", false
	}
	name = "AWSServiceRoleFor" + e.Stem
	if suffix != "" {
		name += "_" + suffix
	}
	if len(name) > maxRoleNameLen {
		return "", "", false
	}
	return slrPathPrefix + service + "/", name, true
}

// maxRoleNameLen is IAM's limit on role names (the model's roleNameType).
const maxRoleNameLen = 64

// checkNotServiceRolePath keeps /aws-service-role/ for CreateServiceLinkedRole: a role an
// account created there itself would be taken for a service's and locked against edits.
func checkNotServiceRolePath(path string) error {
	if strings.HasPrefix(path, slrPathPrefix) {
		return invalidInput("The path %s is reserved for service-linked roles; use CreateServiceLinkedRole.", path)
	}
	return nil
}
