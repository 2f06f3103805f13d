"""Sign random requests with botocore (the AWS CLI's and boto3's signer) and print them as
JSON lines for TestBotocore. Usage: botocore_sign.py SEED COUNT."""
import base64, datetime, json, random, sys
from urllib.parse import quote

import botocore.auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

seed, count = int(sys.argv[1]), int(sys.argv[2])
rng = random.Random(seed)
SERVICES = ["iam", "sts", "ec2", "s3"]
PIECES = ["a", "Z", "0", "-", "_", ".", "~", " ", "+", "!", "$", "'", "(", ")", "*", ",", ";", "=", ":", "@", "é", "✓", "%"]

def text(n):
    return "".join(rng.choice(PIECES) for _ in range(n))

for i in range(count):
    service = rng.choice(SERVICES)
    region = "us-east-1" if service == "iam" else rng.choice(["us-east-1", "eu-west-1"])
    when = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc) + datetime.timedelta(seconds=rng.randrange(365 * 86400))
    botocore.auth.get_current_datetime = lambda: when.replace(tzinfo=None)
    token = "T" + text(30) + "T" if rng.random() < 0.5 else None  # HTTP trims header values
    creds = Credentials("AKIA" + "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") for _ in range(16)),
                        "".join(rng.choice("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/+") for _ in range(40)), token)
    # botocore signs the path it is given, percent-encoded, as an SDK serializer would leave it;
    # for services other than S3 it normalizes dot segments and repeated slashes first.
    segments = [quote(text(rng.randrange(1, 6)), safe="-_.~") for _ in range(rng.randrange(0, 4))]
    if rng.random() < 0.2:
        segments.insert(rng.randrange(len(segments) + 1), rng.choice(["", ".", ".."]))
    path = "/" + "/".join(segments)
    if service == "s3":
        path = "/bucket" + path
    params = [(quote(text(rng.randrange(1, 4)), safe="-_.~"), quote(text(rng.randrange(0, 4)), safe="-_.~")) for _ in range(rng.randrange(0, 4))]
    query = "&".join(k + "=" + v for k, v in params)
    presigned = rng.random() < 0.3
    # A presigned request carries no body of its own (botocore would move a form body into
    # the query).
    method = "GET" if presigned else rng.choice(["GET", "POST", "PUT", "DELETE"])
    body = text(rng.randrange(0, 40)).encode() if method in ("POST", "PUT") else b""
    headers = {"Host": "127.0.0.1:7474"}
    for _ in range(rng.randrange(0, 3)):
        headers[rng.choice(["X-Custom", "Content-Type", "X-Amz-Target"])] = rng.choice(["a  b", " padded ", "text/plain", "é"])
    url = "http://127.0.0.1:7474" + path + ("?" + query if query else "")
    req = AWSRequest(method=method, url=url, data=body, headers=headers)
    if presigned:
        cls = botocore.auth.S3SigV4QueryAuth if service == "s3" else botocore.auth.SigV4QueryAuth
        cls(creds, service, region, expires=rng.randrange(60, 7 * 86400)).add_auth(req)
    else:
        cls = botocore.auth.S3SigV4Auth if service == "s3" else botocore.auth.SigV4Auth
        cls(creds, service, region).add_auth(req)
    p = req.prepare()
    print(json.dumps({
        "method": p.method, "url": p.url, "headers": [[k, v if isinstance(v, str) else v.decode()] for k, v in p.headers.items()],
        "body": base64.b64encode(p.body or b"").decode(), "secret": creds.secret_key, "service": service,
        "time": when.strftime("%Y%m%dT%H%M%SZ"), "presigned": presigned, "token": token or "",
    }))
