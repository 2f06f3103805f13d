package e2e

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
)

// ec2Client is aws-sdk-go-v2's EC2 client for inst, signing with the key, retries off.
func ec2Client(t *testing.T, inst *instance, keyID, secret, token string) *ec2.Client {
	t.Helper()
	return ec2.New(ec2.Options{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider(keyID, secret, token),
		BaseEndpoint: aws.String(inst.Endpoint),
		Retryer:      aws.NopRetryer{},
		HTTPClient:   wholeBodyClient{},
	})
}

// tutorialRole creates the tutorial's step 4 as root: role_1, trusted by EC2, with
// AmazonS3FullAccess, and its instance profile of the same name (what the console makes).
func tutorialRole(t *testing.T, c *iam.Client) {
	t.Helper()
	ctx := ctxT(t)
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	must(c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("role_1"), AssumeRolePolicyDocument: aws.String(trust),
		Description: aws.String("Allows EC2 instances to call AWS services on your behalf.")}))(t)
	must(c.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String("role_1"),
		PolicyArn: aws.String("arn:aws:iam::aws:policy/AmazonS3FullAccess")}))(t)
	must(c.CreateInstanceProfile(ctx, &iam.CreateInstanceProfileInput{InstanceProfileName: aws.String("role_1")}))(t)
	must(c.AddRoleToInstanceProfile(ctx, &iam.AddRoleToInstanceProfileInput{InstanceProfileName: aws.String("role_1"),
		RoleName: aws.String("role_1")}))(t)
}

// awsCLI runs the AWS CLI with env and returns its output and error.
func awsCLI(t *testing.T, env []string, args ...string) (string, string, error) {
	t.Helper()
	cmd := exec.Command("aws", args...)
	cmd.Env = env
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	return strings.TrimSpace(out.String()), errb.String(), err
}

// TestEC2TutorialLaunchCLI is the tutorial's step 5 from the AWS CLI: root launches an
// instance with --iam-instance-profile Name=role_1; a user with only AmazonEC2FullAccess
// can launch without a role but not with role_1, and gets EC2's UnauthorizedOperation for
// iam:PassRole, as on AWS.
func TestEC2TutorialLaunchCLI(t *testing.T) {
	if _, err := exec.LookPath("aws"); err != nil {
		t.Fatalf("the AWS CLI is needed: %v", err)
	}
	inst, root := newRootServer(t)
	ctx := ctxT(t)
	tutorialRole(t, root)
	acct := accountID(t, root)
	env := append(cleanAWSEnv(), gatehouseEnv(t, inst)...)

	id, stderr, err := awsCLI(t, env, "ec2", "run-instances", "--image-id", "ami-0123456789abcdef0",
		"--instance-type", "t3.micro", "--iam-instance-profile", "Name=role_1",
		"--tag-specifications", "ResourceType=instance,Tags=[{Key=Name,Value=tutorial}]",
		"--query", "Instances[0].InstanceId", "--output", "text")
	if err != nil || !strings.HasPrefix(id, "i-") || len(id) != 19 {
		t.Fatalf("run-instances: got %q, %v\n%s", id, err, stderr)
	}
	out, stderr, err := awsCLI(t, env, "ec2", "describe-instances", "--filters", "Name=tag:Name,Values=tutorial",
		"--query", "Reservations[].Instances[].[InstanceId,State.Name,IamInstanceProfile.Arn]", "--output", "text")
	want := id + "\trunning\tarn:aws:iam::" + acct + ":instance-profile/role_1"
	if err != nil || out != want {
		t.Fatalf("describe-instances: got %q, %v, want %q\n%s", out, err, want, stderr)
	}

	// bob has only AmazonEC2FullAccess (the tutorial's group policy).
	must(root.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("bob")}))(t)
	must(root.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("bob"),
		PolicyArn: aws.String("arn:aws:iam::aws:policy/AmazonEC2FullAccess")}))(t)
	key := must(root.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("bob")}))(t).AccessKey
	var bobEnv []string
	for _, kv := range env {
		if !strings.HasPrefix(kv, "AWS_PROFILE=") && !strings.HasPrefix(kv, "AWS_SHARED_CREDENTIALS_FILE=") {
			bobEnv = append(bobEnv, kv)
		}
	}
	bobEnv = append(bobEnv, "AWS_ACCESS_KEY_ID="+*key.AccessKeyId, "AWS_SECRET_ACCESS_KEY="+*key.SecretAccessKey,
		"AWS_SHARED_CREDENTIALS_FILE=/dev/null")
	if out, stderr, err := awsCLI(t, bobEnv, "ec2", "run-instances", "--image-id", "ami-12345678",
		"--query", "Instances[0].State.Name", "--output", "text"); err != nil || out != "pending" {
		t.Fatalf("bob without a role: got %q, %v\n%s", out, err, stderr)
	}
	_, stderr, err = awsCLI(t, bobEnv, "ec2", "run-instances", "--image-id", "ami-12345678", "--iam-instance-profile", "Name=role_1")
	wantMsg := "An error occurred (UnauthorizedOperation) when calling the RunInstances operation: You are not authorized to perform this operation. " +
		"User: arn:aws:iam::" + acct + ":user/bob is not authorized to perform: iam:PassRole on resource: arn:aws:iam::" + acct +
		":role/role_1 because no identity-based policy allows the iam:PassRole action"
	if err == nil || !strings.Contains(stderr, wantMsg) {
		t.Fatalf("bob with role_1: got %v\n%s\nwant %s", err, stderr, wantMsg)
	}
	// AssociateIamInstanceProfile passes the role too, and is authorized before the
	// instance's state (it already has a profile) is looked at.
	_, stderr, err = awsCLI(t, bobEnv, "ec2", "associate-iam-instance-profile", "--instance-id", id, "--iam-instance-profile", "Name=role_1")
	if err == nil || !strings.Contains(stderr, "(UnauthorizedOperation)") || !strings.Contains(stderr, "iam:PassRole on resource: arn:aws:iam::"+acct+":role/role_1") {
		t.Fatalf("bob associates role_1: got %v\n%s", err, stderr)
	}
}

// TestEC2LifecycleSDK drives the instance API with aws-sdk-go-v2: states as AWS reports
// them, filters, pagination, associations, metadata options and EC2's errors.
func TestEC2LifecycleSDK(t *testing.T) {
	inst, root := newRootServer(t)
	ctx := ctxT(t)
	tutorialRole(t, root)
	kid, sec := rootCreds(t, inst)
	c := ec2Client(t, inst, kid, sec, "")

	run := must(c.RunInstances(ctx, &ec2.RunInstancesInput{ImageId: aws.String("ami-12345678"), MinCount: aws.Int32(6), MaxCount: aws.Int32(6),
		MetadataOptions: &ec2types.InstanceMetadataOptionsRequest{HttpTokens: ec2types.HttpTokensStateRequired, HttpPutResponseHopLimit: aws.Int32(2)}}))(t)
	if len(run.Instances) != 6 || run.Instances[0].State.Name != ec2types.InstanceStateNamePending || *run.Instances[0].State.Code != 0 ||
		run.Instances[0].MetadataOptions.HttpTokens != ec2types.HttpTokensStateRequired {
		t.Fatalf("RunInstances: got %d instances, first %+v", len(run.Instances), run.Instances[0].State)
	}
	id := *run.Instances[0].InstanceId

	stop := must(c.StopInstances(ctx, &ec2.StopInstancesInput{InstanceIds: []string{id}}))(t)
	if sc := stop.StoppingInstances[0]; *sc.CurrentState.Code != 64 || *sc.PreviousState.Code != 16 {
		t.Errorf("StopInstances: got %d from %d, want 64 (stopping) from 16 (running)", *sc.CurrentState.Code, *sc.PreviousState.Code)
	}
	start := must(c.StartInstances(ctx, &ec2.StartInstancesInput{InstanceIds: []string{id}}))(t)
	if sc := start.StartingInstances[0]; *sc.CurrentState.Code != 0 || *sc.PreviousState.Code != 80 {
		t.Errorf("StartInstances: got %d from %d, want 0 (pending) from 80 (stopped)", *sc.CurrentState.Code, *sc.PreviousState.Code)
	}
	term := must(c.TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: []string{*run.Instances[5].InstanceId}}))(t)
	if sc := term.TerminatingInstances[0]; *sc.CurrentState.Code != 32 || *sc.PreviousState.Code != 16 {
		t.Errorf("TerminateInstances: got %d from %d, want 32 from 16", *sc.CurrentState.Code, *sc.PreviousState.Code)
	}
	_, err := c.StartInstances(ctx, &ec2.StartInstancesInput{InstanceIds: []string{*run.Instances[5].InstanceId}})
	apiErr(t, err, "IncorrectInstanceState", 400, "is not in a state from which it can be started")
	_, err = c.StopInstances(ctx, &ec2.StopInstancesInput{InstanceIds: []string{"i-0000000000000000f"}})
	apiErr(t, err, "InvalidInstanceID.NotFound", 400, "The instance ID 'i-0000000000000000f' does not exist")
	_, err = c.StopInstances(ctx, &ec2.StopInstancesInput{InstanceIds: []string{"i-xyz"}})
	apiErr(t, err, "InvalidInstanceID.Malformed", 400, `Invalid id: "i-xyz"`)
	_, err = c.RunInstances(ctx, &ec2.RunInstancesInput{ImageId: aws.String("ami-12345678"), MinCount: aws.Int32(1), MaxCount: aws.Int32(1),
		MetadataOptions: &ec2types.InstanceMetadataOptionsRequest{HttpPutResponseHopLimit: aws.Int32(65)}})
	apiErr(t, err, "InvalidParameterValue", 400, "HttpPutResponseHopLimit")
	_, err = c.RunInstances(ctx, &ec2.RunInstancesInput{ImageId: aws.String("ami-12345678"), MinCount: aws.Int32(1), MaxCount: aws.Int32(1), DryRun: aws.Bool(true)})
	apiErr(t, err, "DryRunOperation", 412, "Request would have succeeded, but DryRun flag is set.")

	// The SDK's paginator walks pages of 5 and sees every instance once.
	seen := map[string]bool{}
	p := ec2.NewDescribeInstancesPaginator(c, &ec2.DescribeInstancesInput{MaxResults: aws.Int32(5)})
	pages := 0
	for p.HasMorePages() {
		page := must(p.NextPage(ctx))(t)
		pages++
		for _, r := range page.Reservations {
			for _, in := range r.Instances {
				seen[*in.InstanceId] = true
			}
		}
	}
	if len(seen) != 6 || pages != 2 {
		t.Errorf("paginator: %d instances over %d pages, want 6 over 2", len(seen), pages)
	}
	_, err = c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{MaxResults: aws.Int32(5), InstanceIds: []string{id}})
	apiErr(t, err, "InvalidParameterCombination", 400)
	stopped := must(c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{Filters: []ec2types.Filter{
		{Name: aws.String("instance-state-name"), Values: []string{"terminated"}}}}))(t)
	if len(stopped.Reservations) != 1 || *stopped.Reservations[0].Instances[0].InstanceId != *run.Instances[5].InstanceId {
		t.Errorf("filter terminated: got %+v", stopped.Reservations)
	}

	// Associations: associate, replace, describe, disassociate.
	as := must(c.AssociateIamInstanceProfile(ctx, &ec2.AssociateIamInstanceProfileInput{InstanceId: aws.String(id),
		IamInstanceProfile: &ec2types.IamInstanceProfileSpecification{Name: aws.String("role_1")}}))(t).IamInstanceProfileAssociation
	if as.State != ec2types.IamInstanceProfileAssociationStateAssociating || !strings.HasPrefix(*as.AssociationId, "iip-assoc-") {
		t.Errorf("Associate: got %s %s", as.State, *as.AssociationId)
	}
	_, err = c.AssociateIamInstanceProfile(ctx, &ec2.AssociateIamInstanceProfileInput{InstanceId: aws.String(id),
		IamInstanceProfile: &ec2types.IamInstanceProfileSpecification{Name: aws.String("role_1")}})
	apiErr(t, err, "IncorrectState", 400, "There is an existing association for instance "+id)
	_, err = c.AssociateIamInstanceProfile(ctx, &ec2.AssociateIamInstanceProfileInput{InstanceId: aws.String(*run.Instances[1].InstanceId),
		IamInstanceProfile: &ec2types.IamInstanceProfileSpecification{Name: aws.String("nope")}})
	apiErr(t, err, "InvalidParameterValue", 400, "Invalid IAM Instance Profile name")
	list := must(c.DescribeIamInstanceProfileAssociations(ctx, &ec2.DescribeIamInstanceProfileAssociationsInput{
		Filters: []ec2types.Filter{{Name: aws.String("instance-id"), Values: []string{id}}}}))(t)
	if len(list.IamInstanceProfileAssociations) != 1 || list.IamInstanceProfileAssociations[0].State != ec2types.IamInstanceProfileAssociationStateAssociated {
		t.Errorf("DescribeIamInstanceProfileAssociations: got %+v", list.IamInstanceProfileAssociations)
	}
	dis := must(c.DisassociateIamInstanceProfile(ctx, &ec2.DisassociateIamInstanceProfileInput{AssociationId: as.AssociationId}))(t)
	if dis.IamInstanceProfileAssociation.State != ec2types.IamInstanceProfileAssociationStateDisassociating {
		t.Errorf("Disassociate: got %s", dis.IamInstanceProfileAssociation.State)
	}
	_, err = c.DisassociateIamInstanceProfile(ctx, &ec2.DisassociateIamInstanceProfileInput{AssociationId: as.AssociationId})
	apiErr(t, err, "InvalidAssociationID.NotFound", 400)

	mod := must(c.ModifyInstanceMetadataOptions(ctx, &ec2.ModifyInstanceMetadataOptionsInput{InstanceId: aws.String(id),
		HttpTokens: ec2types.HttpTokensStateOptional}))(t)
	if mod.InstanceMetadataOptions.HttpTokens != ec2types.HttpTokensStateOptional || *mod.InstanceMetadataOptions.HttpPutResponseHopLimit != 2 {
		t.Errorf("ModifyInstanceMetadataOptions: got %+v", mod.InstanceMetadataOptions)
	}
}

// TestEC2PassRoleConditions: iam:PassRole is decided by the engine with the context EC2
// gives it — iam:PassedToService ec2.amazonaws.com — so a grant conditioned on EC2 lets a
// user launch with role_1, one conditioned on Lambda does not, and a grant on another role
// does not either.
func TestEC2PassRoleConditions(t *testing.T) {
	inst, root := newRootServer(t)
	ctx := ctxT(t)
	tutorialRole(t, root)
	acct := accountID(t, root)
	for _, tc := range []struct {
		note, service, resource string
		allowed                 bool
	}{
		{"PassRole to EC2 on role_1", "ec2.amazonaws.com", "arn:aws:iam::" + acct + ":role/role_1", true},
		{"PassRole to Lambda only", "lambda.amazonaws.com", "arn:aws:iam::" + acct + ":role/role_1", false},
		{"PassRole to EC2 on another role", "ec2.amazonaws.com", "arn:aws:iam::" + acct + ":role/other", false},
	} {
		t.Run(tc.note, func(t *testing.T) {
			name := "u" + strings.ReplaceAll(strings.ToLower(tc.service[:3]), ".", "") + map[bool]string{true: "ok", false: "no"}[tc.allowed] +
				strings.TrimPrefix(tc.resource[strings.LastIndexByte(tc.resource, '/')+1:], "role_")
			must(root.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name)}))(t)
			must(root.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String(name),
				PolicyArn: aws.String("arn:aws:iam::aws:policy/AmazonEC2FullAccess")}))(t)
			doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:PassRole","Resource":"` + tc.resource +
				`","Condition":{"StringEquals":{"iam:PassedToService":"` + tc.service + `"}}}]}`
			must(root.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String(name), PolicyName: aws.String("pass"),
				PolicyDocument: aws.String(doc)}))(t)
			key := must(root.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(name)}))(t).AccessKey
			c := ec2Client(t, inst, *key.AccessKeyId, *key.SecretAccessKey, "")
			_, err := c.RunInstances(ctx, &ec2.RunInstancesInput{ImageId: aws.String("ami-12345678"), MinCount: aws.Int32(1), MaxCount: aws.Int32(1),
				IamInstanceProfile: &ec2types.IamInstanceProfileSpecification{Arn: aws.String("arn:aws:iam::" + acct + ":instance-profile/role_1")}})
			if tc.allowed {
				if err != nil {
					t.Fatalf("got %v, want success", err)
				}
				return
			}
			apiErr(t, err, "UnauthorizedOperation", 403, "User: arn:aws:iam::"+acct+":user/"+name+
				" is not authorized to perform: iam:PassRole on resource: arn:aws:iam::"+acct+":role/role_1")
		})
	}
}
