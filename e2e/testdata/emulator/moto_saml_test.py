"""moto's AssumeRoleWithSAML tests (tests/test_sts/test_sts.py: test_assume_role_with_saml and
its variants), run in moto's server mode against `gatehouse serve --mode emulator --enforce off`.

moto accepts any assertion: the signature in these is fake, and neither the SAML provider nor
the role exists (the PrincipalArn is even one colon short). Gatehouse with enforcement off
does the same, reading the assertion for the session name and duration. What moto's tests
check of its own made-up tokens (a 356-character SessionToken starting "FQoGZXIvYXdzE") is
left out: Gatehouse's session tokens are real ones. The Expiration checks are skipped in
server mode by moto's tests too; here they are made against the server's clock.
"""

import base64
import datetime
import sys

import boto3
from moto import mock_aws

import runner

ACCOUNT_ID = "123456789012"
ROLE_NAME = "test-role"
PROVIDER_NAME = "TestProvFed"
FED_IDENTIFIER = "7ca82df9-1bad-4dd3-9b2b-adb68b554282"
FED_NAME = "testuser"
ROLE_INPUT = f"arn:aws:iam::{ACCOUNT_ID}:role/{ROLE_NAME}"
PRINCIPAL_ROLE = f"arn:aws:iam:{ACCOUNT_ID}:saml-provider/{PROVIDER_NAME}"

SIGNATURE = """<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo><ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/><ds:SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/><ds:Reference URI="#_00000000-0000-0000-0000-000000000000"><ds:Transforms><ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/><ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/></ds:Transforms><ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/><ds:DigestValue>NTIyMzk0ZGI4MjI0ZjI5ZGNhYjkyOGQyZGQ1NTZjODViZjk5YTY4ODFjOWRjNjkyYzZmODY2ZDQ4NjlkZjY3YSAgLQo=</ds:DigestValue></ds:Reference></ds:SignedInfo><ds:SignatureValue>NTIyMzk0ZGI4MjI0ZjI5ZGNhYjkyOGQyZGQ1NTZjODViZjk5YTY4ODFjOWRjNjkyYzZmODY2ZDQ4NjlkZjY3YSAgLQo=</ds:SignatureValue><KeyInfo xmlns="http://www.w3.org/2000/09/xmldsig#"><ds:X509Data><ds:X509Certificate>NTIyMzk0ZGI4MjI0ZjI5ZGNhYjkyOGQyZGQ1NTZjODViZjk5YTY4ODFjOWRjNjkyYzZmODY2ZDQ4NjlkZjY3YSAgLQo=</ds:X509Certificate></ds:X509Data></KeyInfo></ds:Signature>"""


def response(attributes, prefix="", value_attrs=""):
    """The assertion moto's tests send; prefix "saml:" gives the namespaced variant."""
    p = prefix
    decl = ' xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion"' if p else ""
    attrs = "".join(
        f'<{p}Attribute Name="https://aws.amazon.com/SAML/Attributes/{name}"><{p}AttributeValue{value_attrs}>{value}</{p}AttributeValue></{p}Attribute>'
        for name, value in attributes)
    return f"""<?xml version="1.0"?>
<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"{decl} ID="_00000000-0000-0000-0000-000000000000" Version="2.0" IssueInstant="2012-01-01T12:00:00.000Z" Destination="https://signin.aws.amazon.com/saml" Consent="urn:oasis:names:tc:SAML:2.0:consent:unspecified">
  <{p}Issuer xmlns="urn:oasis:names:tc:SAML:2.0:assertion">http://localhost/</{p}Issuer>
  <samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>
  <{p}Assertion xmlns="urn:oasis:names:tc:SAML:2.0:assertion" ID="_00000000-0000-0000-0000-000000000000" IssueInstant="2012-12-01T12:00:00.000Z" Version="2.0">
    <{p}Issuer>http://localhost:3000/</{p}Issuer>
    {SIGNATURE}
    <{p}Subject>
      <{p}NameID Format="urn:oasis:names:tc:SAML:2.0:nameid-format:persistent">{FED_IDENTIFIER}</{p}NameID>
      <{p}SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer">
        <{p}SubjectConfirmationData NotOnOrAfter="2012-01-01T13:00:00.000Z" Recipient="https://signin.aws.amazon.com/saml"/>
      </{p}SubjectConfirmation>
    </{p}Subject>
    <{p}Conditions NotBefore="2012-01-01T12:00:00.000Z" NotOnOrAfter="2012-01-01T13:00:00.000Z">
      <{p}AudienceRestriction><Audience>urn:amazon:webservices</Audience></{p}AudienceRestriction>
    </{p}Conditions>
    <{p}AttributeStatement>{attrs}</{p}AttributeStatement>
    <{p}AuthnStatement AuthnInstant="2012-01-01T12:00:00.000Z" SessionIndex="_00000000-0000-0000-0000-000000000000">
      <{p}AuthnContext><{p}AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</{p}AuthnContextClassRef></{p}AuthnContext>
    </{p}AuthnStatement>
  </{p}Assertion>
</samlp:Response>""".replace("\n", "")


ROLE = ("Role", f"arn:aws:iam::{ACCOUNT_ID}:saml-provider/{PROVIDER_NAME},arn:aws:iam::{ACCOUNT_ID}:role/{ROLE_NAME}")
NAME = ("RoleSessionName", FED_NAME)
DURATION = ("SessionDuration", "900")


def assume(xml):
    client = boto3.client("sts", region_name="us-east-1")
    return client.assume_role_with_saml(RoleArn=ROLE_INPUT, PrincipalArn=PRINCIPAL_ROLE,
                                        SAMLAssertion=base64.b64encode(xml.encode("utf-8")).decode("utf-8"))


def check(out, seconds):
    creds = out["Credentials"]
    assert len(creds["AccessKeyId"]) == 20 and creds["AccessKeyId"].startswith("ASIA"), creds["AccessKeyId"]
    assert len(creds["SecretAccessKey"]) == 40
    user = out["AssumedRoleUser"]
    assert user["Arn"] == f"arn:aws:sts::{ACCOUNT_ID}:assumed-role/{ROLE_NAME}/{FED_NAME}", user
    assert user["AssumedRoleId"].startswith("AROA") and user["AssumedRoleId"].endswith(f":{FED_NAME}"), user
    assert len(user["AssumedRoleId"]) == 21 + 1 + len(FED_NAME), user
    left = (creds["Expiration"] - datetime.datetime.now(datetime.timezone.utc)).total_seconds()
    assert seconds - 60 < left <= seconds + 5, (left, seconds)


@mock_aws
def test_assume_role_with_saml():
    check(assume(response([NAME, ROLE, DURATION])), 900)


@mock_aws
def test_assume_role_with_saml_should_not_rely_on_attribute_order():
    check(assume(response([ROLE, DURATION, NAME])), 900)


@mock_aws
def test_assume_role_with_saml_should_respect_xml_namespaces():
    check(assume(response([NAME, ROLE, DURATION], prefix="saml:")), 900)


@mock_aws
def test_assume_role_with_saml_should_retrieve_attribute_value_from_text_when_xml_tag_contains_xmlns_attributes():
    xs = (' xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
          ' xsi:type="xs:string"')
    check(assume(response([NAME, ROLE, DURATION], prefix="saml:", value_attrs=xs)), 900)


@mock_aws
def test_assume_role_with_saml_should_default_session_duration_to_3600_seconds_when_saml_attribute_not_provided():
    check(assume(response([ROLE, NAME])), 3600)


if __name__ == "__main__":
    sys.exit(runner.main(globals()))
