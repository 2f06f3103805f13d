"""IAM and STS tests written the way moto's own suite writes them, run in moto's server mode
against Gatehouse (`gatehouse serve --mode emulator`).

The environment is moto's: TEST_SERVER_MODE=true and TEST_SERVER_MODE_ENDPOINT point
`@mock_aws` at the server (it POSTs /moto-api/reset when a test starts and points every
boto3 client at the endpoint), `@set_initial_no_auth_action_count(N)` POSTs
/moto-api/reset-auth so that the first N requests go through unauthenticated and every later
one is enforced, and the credentials are moto's documented test keys ("testing"). Nothing
here knows it talks to Gatehouse rather than moto server.

pytest is not in the image, so a small runner at the bottom collects test_* functions; the
file also runs under pytest unchanged. Exit status 0 when every test passed.
"""

import json
import sys

import boto3
from botocore.exceptions import ClientError
from moto import mock_aws

import runner
from moto.core import set_initial_no_auth_action_count

ACCOUNT = "123456789012"  # moto's DEFAULT_ACCOUNT_ID and Gatehouse's emulator default


class raises:
    """pytest.raises for ClientError, enough for these tests."""

    def __init__(self, exc):
        self.exc = exc
        self.value = None

    def __enter__(self):
        return self

    def __exit__(self, typ, value, tb):
        if typ is None:
            raise AssertionError("expected %s, nothing was raised" % self.exc.__name__)
        if not issubclass(typ, self.exc):
            return False
        self.value = value
        return True


def create_user_with_access_key(user_name):
    client = boto3.client("iam", region_name="us-east-1")
    client.create_user(UserName=user_name)
    return client.create_access_key(UserName=user_name)["AccessKey"]


def create_user_with_access_key_and_inline_policy(user_name, policy_document, policy_name="policy1"):
    client = boto3.client("iam", region_name="us-east-1")
    client.create_user(UserName=user_name)
    client.put_user_policy(UserName=user_name, PolicyName=policy_name, PolicyDocument=json.dumps(policy_document))
    return client.create_access_key(UserName=user_name)["AccessKey"]


def client_for(service, key, region="us-east-1"):
    return boto3.client(
        service,
        region_name=region,
        aws_access_key_id=key["AccessKeyId"],
        aws_secret_access_key=key["SecretAccessKey"],
        aws_session_token=key.get("SessionToken"),
    )


@mock_aws
def test_create_user_then_list():
    client = boto3.client("iam", region_name="us-east-1")
    client.create_user(UserName="alice", Path="/team/")
    users = client.list_users()["Users"]
    assert [u["UserName"] for u in users] == ["alice"], users
    assert users[0]["Arn"] == "arn:aws:iam::%s:user/team/alice" % ACCOUNT


@mock_aws
def test_reset_between_tests():
    # @mock_aws POSTed /moto-api/reset: the previous test's user is gone.
    client = boto3.client("iam", region_name="us-east-1")
    assert client.list_users()["Users"] == []
    with raises(ClientError) as ex:
        client.get_user(UserName="alice")
    assert ex.value.response["Error"]["Code"] == "NoSuchEntity"


@mock_aws
def test_test_keys_are_root():
    sts = boto3.client("sts", region_name="us-east-1")
    ident = sts.get_caller_identity()
    assert ident["Account"] == ACCOUNT
    assert ident["Arn"] == "arn:aws:iam::%s:root" % ACCOUNT


@mock_aws
def test_twelve_digit_key_names_the_account():
    iam = boto3.client("iam", region_name="us-east-1", aws_access_key_id="111111111111", aws_secret_access_key="x")
    user = iam.create_user(UserName="bob")["User"]
    assert user["Arn"] == "arn:aws:iam::111111111111:user/bob", user
    # The default account does not see it.
    assert boto3.client("iam", region_name="us-east-1").list_users()["Users"] == []


@mock_aws
def test_china_partition():
    iam = boto3.client("iam", region_name="cn-north-1")
    user = iam.create_user(UserName="li")["User"]
    assert user["Arn"] == "arn:aws-cn:iam::%s:user/li" % ACCOUNT, user
    sts = boto3.client("sts", region_name="cn-north-1")
    assert sts.get_caller_identity()["Arn"] == "arn:aws-cn:iam::%s:root" % ACCOUNT


@mock_aws
def test_issued_key_keeps_its_identity():
    key = create_user_with_access_key("carol")
    ident = client_for("sts", key).get_caller_identity()
    assert ident["Arn"] == "arn:aws:iam::%s:user/carol" % ACCOUNT, ident


@set_initial_no_auth_action_count(0)
@mock_aws
def test_invalid_client_token_id():
    client = boto3.client("iam", region_name="us-east-1", aws_access_key_id="invalid", aws_secret_access_key="invalid")
    with raises(ClientError) as ex:
        client.get_user()
    err = ex.value.response["Error"]
    assert err["Code"] == "InvalidClientTokenId", err
    assert ex.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert err["Message"] == "The security token included in the request is invalid.", err


@set_initial_no_auth_action_count(2)
@mock_aws
def test_signature_does_not_match():
    key = create_user_with_access_key("dave")
    client = boto3.client("iam", region_name="us-east-1", aws_access_key_id=key["AccessKeyId"], aws_secret_access_key="invalid")
    with raises(ClientError) as ex:
        client.get_user()
    assert ex.value.response["Error"]["Code"] == "SignatureDoesNotMatch", ex.value.response


@set_initial_no_auth_action_count(2)
@mock_aws
def test_access_denied_with_no_policy():
    key = create_user_with_access_key("erin")
    client = client_for("iam", key)
    with raises(ClientError) as ex:
        client.list_users()
    err = ex.value.response["Error"]
    assert err["Code"] == "AccessDenied", err
    assert err["Message"].startswith(
        "User: arn:aws:iam::%s:user/erin is not authorized to perform: iam:ListUsers on resource:" % ACCOUNT
    ), err


@set_initial_no_auth_action_count(3)
@mock_aws
def test_allowed_with_inline_policy():
    doc = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:ListUsers", "Resource": "*"}]}
    key = create_user_with_access_key_and_inline_policy("frank", doc)
    client = client_for("iam", key)
    assert [u["UserName"] for u in client.list_users()["Users"]] == ["frank"]
    with raises(ClientError) as ex:
        client.list_roles()
    assert ex.value.response["Error"]["Code"] == "AccessDenied"


@set_initial_no_auth_action_count(3)
@mock_aws
def test_explicit_deny_wins():
    doc = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "iam:*", "Resource": "*"},
            {"Effect": "Deny", "Action": "iam:CreateUser", "Resource": "*", "Condition": {"StringEquals": {"aws:RequestedRegion": "us-east-1"}}},
        ],
    }
    key = create_user_with_access_key_and_inline_policy("grace", doc)
    client = client_for("iam", key)
    client.list_users()
    with raises(ClientError) as ex:
        client.create_user(UserName="mallory")
    assert ex.value.response["Error"]["Code"] == "AccessDenied"
    assert "with an explicit deny" in ex.value.response["Error"]["Message"], ex.value.response


@set_initial_no_auth_action_count(5)
@mock_aws
def test_assume_role_and_use_session():
    allow_assume = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]}
    key = create_user_with_access_key_and_inline_policy("heidi", allow_assume)  # 3 requests
    iam = boto3.client("iam", region_name="us-east-1")
    trust = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::%s:user/heidi" % ACCOUNT}, "Action": "sts:AssumeRole"}],
    }
    iam.create_role(RoleName="reader", AssumeRolePolicyDocument=json.dumps(trust))  # 4
    read = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:ListRoles", "Resource": "*"}]}
    iam.put_role_policy(RoleName="reader", PolicyName="read", PolicyDocument=json.dumps(read))  # 5
    # Everything from here is enforced.
    creds = client_for("sts", key).assume_role(RoleArn="arn:aws:iam::%s:role/reader" % ACCOUNT, RoleSessionName="s1")["Credentials"]
    assert creds["AccessKeyId"].startswith("ASIA")
    session = {"AccessKeyId": creds["AccessKeyId"], "SecretAccessKey": creds["SecretAccessKey"], "SessionToken": creds["SessionToken"]}
    ident = client_for("sts", session).get_caller_identity()
    assert ident["Arn"] == "arn:aws:sts::%s:assumed-role/reader/s1" % ACCOUNT, ident
    assert [r["RoleName"] for r in client_for("iam", session).list_roles()["Roles"]] == ["reader"]
    with raises(ClientError) as ex:
        client_for("iam", session).list_users()
    assert ex.value.response["Error"]["Code"] == "AccessDenied"


@set_initial_no_auth_action_count(3)
@mock_aws
def test_assume_role_not_trusted():
    allow_assume = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]}
    key = create_user_with_access_key_and_inline_policy("ivan", allow_assume)
    with raises(ClientError) as ex:
        client_for("sts", key).assume_role(RoleArn="arn:aws:iam::%s:role/nobody" % ACCOUNT, RoleSessionName="s1")
    assert ex.value.response["Error"]["Code"] == "AccessDenied"


@set_initial_no_auth_action_count(3)
@mock_aws
def test_caller_identity_needs_no_permission():
    deny = {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "sts:GetCallerIdentity", "Resource": "*"}]}
    key = create_user_with_access_key_and_inline_policy("judy", deny)
    assert client_for("sts", key).get_caller_identity()["Arn"] == "arn:aws:iam::%s:user/judy" % ACCOUNT


@set_initial_no_auth_action_count(3)
@mock_aws
def test_get_user_without_name_is_the_caller():
    doc = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:*", "Resource": "*"}]}
    key = create_user_with_access_key_and_inline_policy("karl", doc)
    assert client_for("iam", key).get_user()["User"]["UserName"] == "karl"


@set_initial_no_auth_action_count(4)
@mock_aws
def test_managed_policy_attached_to_user():
    iam = boto3.client("iam", region_name="us-east-1")
    iam.create_user(UserName="lena")
    doc = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:ListGroups", "Resource": "*"}]}
    arn = iam.create_policy(PolicyName="groups", PolicyDocument=json.dumps(doc))["Policy"]["Arn"]
    iam.attach_user_policy(UserName="lena", PolicyArn=arn)
    key = iam.create_access_key(UserName="lena")["AccessKey"]
    assert client_for("iam", key).list_groups()["Groups"] == []


@set_initial_no_auth_action_count(7)
@mock_aws
def test_group_not_action_deny():
    allow_all = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
    key = create_user_with_access_key_and_inline_policy("mia", allow_all)  # 3
    iam = boto3.client("iam", region_name="us-east-1")
    iam.create_group(GroupName="only-get-user")  # 4
    deny = {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "NotAction": "iam:GetUser", "Resource": "*"}]}
    iam.put_group_policy(GroupName="only-get-user", PolicyName="deny", PolicyDocument=json.dumps(deny))  # 5
    iam.add_user_to_group(GroupName="only-get-user", UserName="mia")  # 6
    iam.list_users()  # 7: still in the window
    client = client_for("iam", key)
    assert client.get_user()["User"]["UserName"] == "mia"
    with raises(ClientError) as ex:
        client.list_users()
    assert "with an explicit deny in an identity-based policy" in ex.value.response["Error"]["Message"], ex.value.response


@set_initial_no_auth_action_count(4)
@mock_aws
def test_test_keys_assume_a_role_trusting_the_account():
    iam = boto3.client("iam", region_name="us-east-1")
    trust = {"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::%s:root" % ACCOUNT}, "Action": "sts:AssumeRole"}}
    arn = iam.create_role(RoleName="worker", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]  # 1
    doc = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:ListRoles", "Resource": "*"}]}
    parn = iam.create_policy(PolicyName="roles", PolicyDocument=json.dumps(doc))["Policy"]["Arn"]  # 2
    iam.attach_role_policy(RoleName="worker", PolicyArn=parn)  # 3
    creds = boto3.client("sts", region_name="us-east-1").assume_role(RoleArn=arn, RoleSessionName="job")["Credentials"]  # 4
    session = {"AccessKeyId": creds["AccessKeyId"], "SecretAccessKey": creds["SecretAccessKey"], "SessionToken": creds["SessionToken"]}
    assert [r["RoleName"] for r in client_for("iam", session).list_roles()["Roles"]] == ["worker"]
    with raises(ClientError) as ex:
        client_for("iam", session).create_user(UserName="x")
    err = ex.value.response["Error"]
    assert err["Code"] == "AccessDenied"
    assert err["Message"].startswith("User: arn:aws:sts::%s:assumed-role/worker/job is not authorized to perform: iam:CreateUser" % ACCOUNT), err


@set_initial_no_auth_action_count(0)
@mock_aws
def test_ec2_unknown_key_is_auth_failure():
    client = boto3.client("ec2", region_name="us-east-1", aws_access_key_id="invalid", aws_secret_access_key="invalid")
    with raises(ClientError) as ex:
        client.describe_instances()
    assert ex.value.response["Error"]["Code"] == "AuthFailure", ex.value.response
    assert ex.value.response["ResponseMetadata"]["HTTPStatusCode"] == 401


@mock_aws
def test_federation_token_with_test_keys():
    out = boto3.client("sts", region_name="us-east-1").get_federation_token(Name="Bob", DurationSeconds=900)
    assert out["FederatedUser"]["Arn"] == "arn:aws:sts::%s:federated-user/Bob" % ACCOUNT, out["FederatedUser"]
    assert out["Credentials"]["AccessKeyId"].startswith("ASIA")


@mock_aws
def test_auth_window_is_restored_after_the_test():
    # set_initial_no_auth_action_count put moto's previous value (inf) back: test keys work.
    assert boto3.client("sts", region_name="us-east-1").get_caller_identity()["Account"] == ACCOUNT


if __name__ == "__main__":
    sys.exit(runner.main(globals()))
