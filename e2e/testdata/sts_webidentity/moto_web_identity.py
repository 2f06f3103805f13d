"""moto's test_assume_role_with_web_identity_boto3 (tests/test_sts/test_sts.py), run with
boto3 against TEST_SERVER_MODE_ENDPOINT as moto's server mode runs it: any token string is
accepted for a role that does not exist. The assertions on moto's own token format (length
356, prefix FQoGZXIvYXdzE) and on freezegun's clock are left out; the rest are moto's."""

import datetime
import json
import os
import sys

import boto3

ACCOUNT_ID = "123456789012"

client = boto3.client("sts", region_name="us-east-1", endpoint_url=os.environ["TEST_SERVER_MODE_ENDPOINT"])
policy = json.dumps(
    {
        "Statement": [
            {
                "Sid": "Stmt13690092345534",
                "Action": ["S3:ListBucket"],
                "Effect": "Allow",
                "Resource": ["arn:aws:s3:::foobar-tester"],
            }
        ]
    }
)
role_name = "test-role"
s3_role = f"arn:aws:iam::{ACCOUNT_ID}:role/{role_name}"
session_name = "session-name"
role = client.assume_role_with_web_identity(
    RoleArn=s3_role,
    RoleSessionName=session_name,
    WebIdentityToken="????",
    Policy=policy,
    DurationSeconds=903,
)
creds = role["Credentials"]
user = role["AssumedRoleUser"]
assert isinstance(creds["Expiration"], datetime.datetime), creds["Expiration"]
assert len(creds["AccessKeyId"]) == 20 and creds["AccessKeyId"].startswith("ASIA"), creds["AccessKeyId"]
assert len(creds["SecretAccessKey"]) == 40
assert user["Arn"] == f"arn:aws:sts::{ACCOUNT_ID}:assumed-role/{role_name}/{session_name}", user["Arn"]
assert "session-name" in user["AssumedRoleId"], user["AssumedRoleId"]
print("ok")
sys.exit(0)
