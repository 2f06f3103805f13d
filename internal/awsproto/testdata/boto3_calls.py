"""Makes the calls given on stdin with boto3 and prints what boto3 parsed, as JSON.

Input: {"calls": [{"service": "iam", "endpoint": "http://127.0.0.1:N", "op": "create_user", "params": {...}}]}
Output: one entry per call: {"response": {...}} without ResponseMetadata, or
{"error": {"Code": ..., "Message": ...}}. Timestamps print as ISO 8601 UTC to the second.
"""
import datetime
import json
import sys

import boto3
import botocore.exceptions
from botocore.config import Config


def default(o):
    if isinstance(o, datetime.datetime):
        return o.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(o, bytes):
        return o.decode()
    raise TypeError(type(o))


def main():
    req = json.load(sys.stdin)
    session = boto3.session.Session(
        aws_access_key_id="AKIAIOSFODNN7EXAMPLE",
        aws_secret_access_key="wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        region_name="us-east-1",
    )
    out = []
    for c in req["calls"]:
        client = session.client(c["service"], endpoint_url=c["endpoint"],
                                config=Config(retries={"max_attempts": 1, "mode": "standard"}))
        try:
            resp = getattr(client, c["op"])(**c["params"])
            resp.pop("ResponseMetadata", None)
            out.append({"response": resp})
        except botocore.exceptions.ClientError as e:
            err = e.response.get("Error", {})
            out.append({"error": {"Code": err.get("Code"), "Message": err.get("Message")}})
    json.dump(out, sys.stdout, default=default)


if __name__ == "__main__":
    main()
