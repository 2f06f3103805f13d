#!/usr/bin/env bash
# The tutorial's IAM steps (DESIGN.md, "The story it must tell"), walked with the AWS CLI
# exactly as a reader would type them. Run by e2e/tutorial_test.go against a fresh server:
# AWS_ENDPOINT_URL, AWS_SHARED_CREDENTIALS_FILE, AWS_PROFILE=gatehouse and AWS_REGION are set;
# GATEHOUSE is the binary and GATEHOUSE_DATA the server's data directory.
set -euo pipefail
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
step() { printf '\n== %s\n' "$*"; }
expect_denied() { # expect_denied CMD…: the call must fail with AccessDenied
  local out
  if out=$("$@" 2>&1); then echo "expected AccessDenied, got success: $*"; echo "$out"; exit 1; fi
  grep -q 'AccessDenied' <<<"$out" || { echo "expected AccessDenied from: $*"; echo "$out"; exit 1; }
  echo "denied as expected: $out"
}


step "1. a group with the AWS managed policy AmazonEC2FullAccess, found by searching EC2"
aws iam create-group --group-name developers
EC2_ARN=$(aws iam list-policies --scope AWS \
  --query "Policies[?contains(PolicyName, 'EC2') && PolicyName=='AmazonEC2FullAccess'].Arn" --output text)
test "$EC2_ARN" = "arn:aws:iam::aws:policy/AmazonEC2FullAccess"
aws iam attach-group-policy --group-name developers --policy-arn "$EC2_ARN"
aws iam list-attached-group-policies --group-name developers --query 'AttachedPolicies[].PolicyName' --output text | grep -qx AmazonEC2FullAccess

step "2. a user with programmatic access, in the group"
aws iam create-user --user-name alice
aws iam create-access-key --user-name alice > "$WORK/alice-key.json"
ALICE_KEY=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["AccessKey"]["AccessKeyId"])' "$WORK/alice-key.json")
ALICE_SECRET=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["AccessKey"]["SecretAccessKey"])' "$WORK/alice-key.json")
[[ $ALICE_KEY == AKIA* && ${#ALICE_KEY} == 20 && ${#ALICE_SECRET} == 40 ]]
aws iam add-user-to-group --group-name developers --user-name alice
aws iam get-group --group-name developers --query 'Users[].UserName' --output text | grep -qx alice

step "3. an inline policy: service S3, all actions, resource arn:aws:s3:::my_bucket"
cat > "$WORK/s3-inline.json" <<'JSON'
{
  "Version": "2012-10-17",
  "Statement": [
    {"Sid": "VisualEditor0", "Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::my_bucket"}
  ]
}
JSON
aws iam put-user-policy --user-name alice --policy-name s3-my-bucket --policy-document "file://$WORK/s3-inline.json"
aws iam get-user-policy --user-name alice --policy-name s3-my-bucket --query 'PolicyDocument.Statement[0].Resource' --output text | grep -qx 'arn:aws:s3:::my_bucket'
# Let alice read her own keys, the User Guide's policy-variable example.
cat > "$WORK/own-keys.json" <<'JSON'
{
  "Version": "2012-10-17",
  "Statement": [
    {"Effect": "Allow", "Action": ["iam:ListAccessKeys", "iam:GetUser"], "Resource": "arn:aws:iam::*:user/${aws:username}"}
  ]
}
JSON
aws iam put-user-policy --user-name alice --policy-name own-keys --policy-document "file://$WORK/own-keys.json"

step "4. role_1 for EC2 with AmazonS3FullAccess, and its instance profile"
cat > "$WORK/trust.json" <<'JSON'
{
  "Version": "2012-10-17",
  "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}
  ]
}
JSON
aws iam create-role --role-name role_1 --description "Allows EC2 instances to call AWS services on your behalf." \
  --assume-role-policy-document "file://$WORK/trust.json"
aws iam attach-role-policy --role-name role_1 --policy-arn arn:aws:iam::aws:policy/AmazonS3FullAccess
aws iam create-instance-profile --instance-profile-name role_1
aws iam add-role-to-instance-profile --instance-profile-name role_1 --role-name role_1
aws iam list-instance-profiles-for-role --role-name role_1 --query 'InstanceProfiles[].InstanceProfileName' --output text | grep -qx role_1
aws iam get-role --role-name role_1 --query 'Role.Description' --output text | grep -q 'EC2 instances'

step "5. an instance with role_1: code on it gets the role's credentials from its metadata service"
ID=$(aws ec2 run-instances --image-id ami-0abcdef1234567890 --instance-type t2.micro \
  --iam-instance-profile Name=role_1 --query 'Instances[0].InstanceId' --output text)
[[ $ID == i-* ]]
ARN=$("$GATEHOUSE" instance exec --data "$GATEHOUSE_DATA" "$ID" -- aws sts get-caller-identity --query Arn --output text)
[[ $ARN == arn:aws:sts::*:assumed-role/role_1/$ID ]] || { echo "instance identity: $ARN"; exit 1; }
expect_denied "$GATEHOUSE" instance exec --data "$GATEHOUSE_DATA" "$ID" -- aws iam list-users
out=$("$GATEHOUSE" instance exec --data "$GATEHOUSE_DATA" "$ID" -- aws ec2 describe-instances 2>&1) && { echo "describe-instances as the instance succeeded"; exit 1; }
grep -q UnauthorizedOperation <<<"$out" || { echo "$out"; exit 1; }
# The instance's credentials carry ec2:SourceInstanceARN and ec2:RoleDelivery: a role policy
# conditioned on this very instance lets it read its role, and nothing else does.
ACCOUNT=$(cut -d: -f5 <<<"$ARN")
cat > "$WORK/from-instance.json" <<JSON
{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:GetRole", "Resource": "*",
  "Condition": {"StringEquals": {"ec2:SourceInstanceARN": "arn:aws:ec2:us-east-1:$ACCOUNT:instance/$ID", "ec2:RoleDelivery": "1.0"}}}]}
JSON
aws iam put-role-policy --role-name role_1 --policy-name from-this-instance --policy-document "file://$WORK/from-instance.json"
"$GATEHOUSE" instance exec --data "$GATEHOUSE_DATA" "$ID" -- aws iam get-role --role-name role_1 --query Role.RoleName --output text | grep -qx role_1

step "6. alice's own keys can do only what her policies allow"
export AWS_ACCESS_KEY_ID=$ALICE_KEY AWS_SECRET_ACCESS_KEY=$ALICE_SECRET
unset AWS_PROFILE
aws iam get-user --user-name alice --query 'User.UserName' --output text | grep -qx alice
aws iam list-access-keys --user-name alice --query 'AccessKeyMetadata[].AccessKeyId' --output text | grep -qx "$ALICE_KEY"
expect_denied aws iam list-users
expect_denied aws iam create-user --user-name mallory
expect_denied aws iam get-user --user-name admin-does-not-matter
expect_denied aws iam attach-user-policy --user-name alice --policy-arn arn:aws:iam::aws:policy/AdministratorAccess
echo "tutorial: ok"
