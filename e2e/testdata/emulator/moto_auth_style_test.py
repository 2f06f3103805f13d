"""Enforcement tests in the shape of moto's tests/test_core/test_auth.py, run in moto's server
mode against `gatehouse serve --mode emulator` (the default level, strict).

Each test opens a window with `@set_initial_no_auth_action_count(N)` (a POST to
/moto-api/reset-auth): its first N requests — the setup that creates users, keys, groups,
policies and roles with moto's test keys — go through unauthenticated, and every later one is
authenticated with SigV4 and authorized by the policy engine. Where moto's own tests expect
moto's answers and AWS answers otherwise, these expect AWS's: EC2 refuses with
UnauthorizedOperation, not AccessDenied
(https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html), denials say
which resource they were for, and a role that does not exist cannot be assumed.

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

ACCOUNT = "123456789012"
SIGNATURE_MISMATCH = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
)


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


def error(ex):
    return ex.value.response["Error"], ex.value.response["ResponseMetadata"]["HTTPStatusCode"]


def doc(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(action, resource="*"):
    return {"Effect": "Allow", "Action": action, "Resource": resource}


def deny(action, resource="*"):
    return {"Effect": "Deny", "Action": action, "Resource": resource}


def iam():
    return boto3.client("iam", region_name="us-east-1")


def user(name, inline=None, attached=None):
    """A user with an access key: 2 requests, 1 more for an inline policy, 2 for an attached one."""
    c = iam()
    c.create_user(UserName=name)
    if inline:
        c.put_user_policy(UserName=name, PolicyName="inline", PolicyDocument=doc(*inline))
    if attached:
        arn = c.create_policy(PolicyName=name + "-attached", PolicyDocument=doc(*attached))["Policy"]["Arn"]
        c.attach_user_policy(UserName=name, PolicyArn=arn)
    return c.create_access_key(UserName=name)["AccessKey"]


def trusting(principal):
    return doc({"Effect": "Allow", "Principal": {"AWS": principal}, "Action": "sts:AssumeRole"})


def client(service, key, secret=None):
    return boto3.client(
        service,
        region_name="us-east-1",
        aws_access_key_id=key["AccessKeyId"],
        aws_secret_access_key=secret or key["SecretAccessKey"],
        aws_session_token=key.get("SessionToken"),
    )


def user_arn(name):
    return "arn:aws:iam::%s:user/%s" % (ACCOUNT, name)


def role_arn(name):
    return "arn:aws:iam::%s:role/%s" % (ACCOUNT, name)


@set_initial_no_auth_action_count(3)
@mock_aws
def test_window_checks_no_signature():
    # moto authenticates nothing inside the window: a client with a wrong secret makes its
    # setup calls as the key's user, and gets SignatureDoesNotMatch only after the window.
    key = user("wrong-secret")  # 2
    bad = client("iam", key, secret="invalid")
    assert bad.get_user()["User"]["Arn"] == user_arn("wrong-secret")  # 3: in the window
    with raises(ClientError) as ex:
        bad.get_user()
    err, status = error(ex)
    assert (err["Code"], status, err["Message"]) == ("SignatureDoesNotMatch", 403, SIGNATURE_MISMATCH), err


@set_initial_no_auth_action_count(4)
@mock_aws
def test_window_checks_no_session_signature():
    c = iam()
    c.create_role(RoleName="worker", AssumeRolePolicyDocument=trusting("arn:aws:iam::%s:root" % ACCOUNT))  # 1
    c.put_role_policy(RoleName="worker", PolicyName="p", PolicyDocument=doc(allow("iam:ListRoles")))  # 2
    creds = boto3.client("sts", region_name="us-east-1").assume_role(RoleArn=role_arn("worker"), RoleSessionName="job")["Credentials"]  # 3
    session = {"AccessKeyId": creds["AccessKeyId"], "SecretAccessKey": creds["SecretAccessKey"], "SessionToken": creds["SessionToken"]}
    bad = client("sts", session, secret="invalid")
    assert bad.get_caller_identity()["Arn"] == "arn:aws:sts::%s:assumed-role/worker/job" % ACCOUNT  # 4
    with raises(ClientError) as ex:
        bad.get_caller_identity()
    assert error(ex)[0]["Code"] == "SignatureDoesNotMatch", error(ex)
    # The right secret still works after the window.
    assert [r["RoleName"] for r in client("iam", session).list_roles()["Roles"]] == ["worker"]


@set_initial_no_auth_action_count(2)
@mock_aws
def test_ec2_denial_is_unauthorized_operation():
    key = user("ec2-nobody")
    with raises(ClientError) as ex:
        client("ec2", key).describe_instances()
    err, status = error(ex)
    assert (err["Code"], status) == ("UnauthorizedOperation", 403), err
    assert err["Message"] == (
        "You are not authorized to perform this operation. User: %s is not authorized to perform: "
        "ec2:DescribeInstances because no identity-based policy allows the ec2:DescribeInstances action" % user_arn("ec2-nobody")
    ), err


@set_initial_no_auth_action_count(2)
@mock_aws
def test_ec2_wrong_secret_is_auth_failure():
    key = user("ec2-wrong-secret")
    with raises(ClientError) as ex:
        client("ec2", key, secret="invalid").describe_instances()
    err, status = error(ex)
    assert (err["Code"], status) == ("AuthFailure", 401), err
    assert err["Message"] == "AWS was not able to validate the provided access credentials", err


@set_initial_no_auth_action_count(3)
@mock_aws
def test_ec2_describe_only_cannot_run_instances():
    key = user("describer", inline=[allow("ec2:Describe*")])
    ec2 = client("ec2", key)
    assert ec2.describe_instances()["Reservations"] == []
    with raises(ClientError) as ex:
        ec2.run_instances(ImageId="ami-12345678", MinCount=1, MaxCount=1)
    err, status = error(ex)
    assert (err["Code"], status) == ("UnauthorizedOperation", 403), err
    assert err["Message"].startswith(
        "You are not authorized to perform this operation. User: %s is not authorized to perform: ec2:RunInstances on resource: " % user_arn("describer")
    ), err
    assert "Encoded authorization failure message: " in err["Message"], err


@set_initial_no_auth_action_count(5)
@mock_aws
def test_explicit_deny_on_one_role():
    key = user("chooser", inline=[deny("sts:AssumeRole", role_arn("forbidden")), allow("sts:AssumeRole")])  # 3
    iam().create_role(RoleName="forbidden", AssumeRolePolicyDocument=trusting(user_arn("chooser")))  # 4
    iam().create_role(RoleName="allowed", AssumeRolePolicyDocument=trusting(user_arn("chooser")))  # 5
    sts = client("sts", key)
    with raises(ClientError) as ex:
        sts.assume_role(RoleArn=role_arn("forbidden"), RoleSessionName="dummy")
    err, status = error(ex)
    assert (err["Code"], status) == ("AccessDenied", 403), err
    assert err["Message"].startswith(
        "User: %s is not authorized to perform: sts:AssumeRole on resource: %s" % (user_arn("chooser"), role_arn("forbidden"))
    ), err
    assert sts.assume_role(RoleArn=role_arn("allowed"), RoleSessionName="dummy")["AssumedRoleUser"]["Arn"] == (
        "arn:aws:sts::%s:assumed-role/allowed/dummy" % ACCOUNT
    )
    # moto lets a role that does not exist be assumed; AWS does not, and does not say it is missing.
    with raises(ClientError) as ex:
        sts.assume_role(RoleArn=role_arn("missing"), RoleSessionName="dummy")
    err, _ = error(ex)
    assert err["Code"] == "AccessDenied", err
    assert err["Message"] == "User: %s is not authorized to perform: sts:AssumeRole on resource: %s" % (user_arn("chooser"), role_arn("missing")), err


@set_initial_no_auth_action_count(4)
@mock_aws
def test_trust_policy_external_id():
    key = user("partner", inline=[allow("sts:AssumeRole", role_arn("vendor"))])  # 3
    trust = doc({
        "Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"AWS": user_arn("partner")},
        "Condition": {"StringEquals": {"sts:ExternalId": "right-id"}},
    })
    iam().create_role(RoleName="vendor", AssumeRolePolicyDocument=trust)  # 4
    sts = client("sts", key)
    for external_id in ("wrong-id", None):
        kw = {"ExternalId": external_id} if external_id else {}
        with raises(ClientError) as ex:
            sts.assume_role(RoleArn=role_arn("vendor"), RoleSessionName="s1", **kw)
        err, status = error(ex)
        assert (err["Code"], status) == ("AccessDenied", 403), err
        assert err["Message"] == "User: %s is not authorized to perform: sts:AssumeRole on resource: %s" % (user_arn("partner"), role_arn("vendor")), err
    sts.assume_role(RoleArn=role_arn("vendor"), RoleSessionName="s1", ExternalId="right-id")


@set_initial_no_auth_action_count(7)
@mock_aws
def test_trust_policy_names_one_user():
    may = [allow("sts:AssumeRole", role_arn("target"))]
    trusted = user("trusted", inline=may)  # 3
    other = user("other", inline=may)  # 6
    iam().create_role(RoleName="target", AssumeRolePolicyDocument=trusting(user_arn("trusted")))  # 7
    with raises(ClientError) as ex:
        client("sts", other).assume_role(RoleArn=role_arn("target"), RoleSessionName="s1")
    err, _ = error(ex)
    assert err["Message"] == "User: %s is not authorized to perform: sts:AssumeRole on resource: %s" % (user_arn("other"), role_arn("target")), err
    client("sts", trusted).assume_role(RoleArn=role_arn("target"), RoleSessionName="s1")


@set_initial_no_auth_action_count(6)
@mock_aws
def test_session_policy_scoped_to_its_role():
    key = user("operator", inline=[allow("sts:AssumeRole")])  # 3
    c = iam()
    c.create_role(RoleName="other-role", AssumeRolePolicyDocument=trusting(user_arn("operator")))  # 4
    c.create_role(RoleName="own-role", AssumeRolePolicyDocument=trusting(user_arn("operator")))  # 5
    c.put_role_policy(RoleName="own-role", PolicyName="own-only", PolicyDocument=doc(allow("iam:ListRolePolicies", role_arn("own-role"))))  # 6
    creds = client("sts", key).assume_role(RoleArn=role_arn("own-role"), RoleSessionName="test-session")["Credentials"]
    session = client("iam", {"AccessKeyId": creds["AccessKeyId"], "SecretAccessKey": creds["SecretAccessKey"], "SessionToken": creds["SessionToken"]})
    assert session.list_role_policies(RoleName="own-role")["PolicyNames"] == ["own-only"]
    with raises(ClientError) as ex:
        session.list_role_policies(RoleName="other-role")
    err, status = error(ex)
    assert (err["Code"], status) == ("AccessDenied", 403), err
    who = "arn:aws:sts::%s:assumed-role/own-role/test-session" % ACCOUNT
    assert err["Message"].startswith("User: %s is not authorized to perform: iam:ListRolePolicies on resource: " % who), err
    assert err["Message"].endswith("because no identity-based policy allows the iam:ListRolePolicies action"), err


@set_initial_no_auth_action_count(10)
@mock_aws
def test_many_irrelevant_policies():
    # moto's test_access_denied_with_many_irrelevant_policies, on IAM and EC2: a user's and
    # its group's inline and attached policies all count, an explicit deny in any wins.
    key = user("busy", inline=[allow("ec2:Describe*")], attached=[allow("s3:*")])  # 5
    c = iam()
    c.create_group(GroupName="busy-group")  # 6
    c.put_group_policy(GroupName="busy-group", PolicyName="no-list", PolicyDocument=doc(deny("iam:List*"), allow("iam:GetUser")))  # 7
    arn = c.create_policy(PolicyName="no-lambda", PolicyDocument=doc(deny("lambda:*")))["Policy"]["Arn"]  # 8
    c.attach_group_policy(GroupName="busy-group", PolicyArn=arn)  # 9
    c.add_user_to_group(GroupName="busy-group", UserName="busy")  # 10
    assert client("ec2", key).describe_instances()["Reservations"] == []
    assert client("iam", key).get_user()["User"]["UserName"] == "busy"
    with raises(ClientError) as ex:
        client("iam", key).list_users()
    err, _ = error(ex)
    assert err["Code"] == "AccessDenied", err
    assert err["Message"].endswith("with an explicit deny in an identity-based policy"), err
    with raises(ClientError) as ex:
        client("iam", key).create_group(GroupName="x")
    assert error(ex)[0]["Message"].endswith("because no identity-based policy allows the iam:CreateGroup action"), error(ex)


@set_initial_no_auth_action_count(3)
@mock_aws
def test_caller_identity_despite_deny():
    key = user("denied-everything", inline=[deny("*")])
    assert client("sts", key).get_caller_identity()["Arn"] == user_arn("denied-everything")


@set_initial_no_auth_action_count(3)
@mock_aws
def test_role_credentials_of_test_keys():
    # moto's test_allowed_with_temporary_credentials and test_access_denied_with_temporary_credentials
    # on the services Gatehouse serves: moto's test keys assume a role that trusts the account.
    c = iam()
    c.create_role(RoleName="test-role", AssumeRolePolicyDocument=trusting("arn:aws:iam::%s:root" % ACCOUNT))  # 1
    c.put_role_policy(RoleName="test-role", PolicyName="p", PolicyDocument=doc(allow(["ec2:DescribeInstances", "iam:ListRoles"])))  # 2
    creds = boto3.client("sts", region_name="us-east-1").assume_role(RoleArn=role_arn("test-role"), RoleSessionName="test-session")["Credentials"]  # 3
    session = {"AccessKeyId": creds["AccessKeyId"], "SecretAccessKey": creds["SecretAccessKey"], "SessionToken": creds["SessionToken"]}
    assert client("ec2", session).describe_instances()["Reservations"] == []
    assert [r["RoleName"] for r in client("iam", session).list_roles()["Roles"]] == ["test-role"]
    with raises(ClientError) as ex:
        client("ec2", session).run_instances(ImageId="ami-12345678", MinCount=1, MaxCount=1)
    err, _ = error(ex)
    assert err["Code"] == "UnauthorizedOperation", err
    assert "User: arn:aws:sts::%s:assumed-role/test-role/test-session is not authorized to perform: ec2:RunInstances" % ACCOUNT in err["Message"], err


@set_initial_no_auth_action_count(6)
@mock_aws
def test_describe_wildcard_allows_describe_tags():
    # moto's test_allowed_with_wildcard_action: ec2:Describe* covers DescribeTags.
    reader = user("tag-reader", inline=[allow("ec2:Describe*")])  # 3
    nobody = user("tag-nobody")  # 5
    spec = [{"ResourceType": "instance", "Tags": [{"Key": "team", "Value": "blue"}]}]
    iid = boto3.client("ec2", region_name="us-east-1").run_instances(
        ImageId="ami-12345678", MinCount=1, MaxCount=1, TagSpecifications=spec)["Instances"][0]["InstanceId"]  # 6
    ec2 = client("ec2", reader)
    assert ec2.describe_tags(Filters=[{"Name": "key", "Values": ["nothing-has-this"]}])["Tags"] == []
    assert ec2.describe_tags(Filters=[{"Name": "tag:team", "Values": ["b*"]}])["Tags"] == [
        {"Key": "team", "ResourceId": iid, "ResourceType": "instance", "Value": "blue"}
    ]
    with raises(ClientError) as ex:
        client("ec2", nobody).describe_tags()
    err, status = error(ex)
    assert (err["Code"], status) == ("UnauthorizedOperation", 403), err
    assert "is not authorized to perform: ec2:DescribeTags because no identity-based policy allows" in err["Message"], err


if __name__ == "__main__":
    sys.exit(runner.main(globals()))
