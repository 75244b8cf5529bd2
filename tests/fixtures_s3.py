"""A real S3 protocol server for the tests: moto's standalone server over HTTP.

Not `mock_aws` patching: boto3 signs and sends real HTTP requests to a server on a free
loopback port, so the whole stack is exercised. The server counts the requests it
receives, so tests can assert how many a page render or an upload costs.

Signatures are checked: the first server creates an IAM user with an access key through
moto's IAM API, then moto runs with INITIAL_NO_AUTH_ACTION_COUNT=0, so a request signed
with the wrong secret, region or signature version is refused as AWS would refuse it.
"""

import base64
import hashlib
import hmac
import io
import itertools
import json
import threading
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlencode

import boto3
import environ
import pytest
from botocore.auth import S3SigV4Auth, S3SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from moto import settings as moto_settings
from moto.core.authorization import ActionAuthenticatorMixin
from moto.moto_server.threaded_moto_server import ThreadedMotoServer
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.formparser import parse_form_data
from werkzeug.serving import make_server

from covers.storage import media_storage

REGION = "us-east-1"
_S3_ONLY = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]})
_credentials = {}  # the IAM user's keys, made once per process (moto's backends are global)


ACCESS_DENIED = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>'
)


SIGNATURE_DOES_NOT_MATCH = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>SignatureDoesNotMatch</Code>'
    b"<Message>The request signature we calculated does not match the signature you provided.</Message></Error>"
)


def _check_presigned(environ_):
    """Checks a presigned URL's signature, then signs the request again in a header for moto.

    moto checks Authorization headers only (a presigned GET would fail inside it), so the
    query signature is recomputed here with botocore from the IAM user's secret.
    """
    query = parse_qs(environ_.get("QUERY_STRING", ""), keep_blank_values=True)
    credential = query.get("X-Amz-Credential", [""])[0].split("/")
    if len(credential) != 5 or credential[0] != access_key():
        return False
    operation = {name: values[0] for name, values in query.items() if not name.startswith("X-Amz-")}
    host = environ_["HTTP_HOST"]
    raw_path = environ_.get("RAW_URI", environ_.get("REQUEST_URI", "")).split("?", 1)[0]
    url = f"http://{host}{raw_path}" + (f"?{urlencode(operation)}" if operation else "")
    credentials = Credentials(access_key(), secret_key())

    presigned = AWSRequest(method=environ_["REQUEST_METHOD"], url=url, headers={"host": host})
    presigned.context["timestamp"] = query["X-Amz-Date"][0]
    signer = S3SigV4QueryAuth(credentials, "s3", credential[2], expires=int(query["X-Amz-Expires"][0]))
    signer._modify_request_before_signing(presigned)
    expected = signer.signature(signer.string_to_sign(presigned, signer.canonical_request(presigned)), presigned)
    if not hmac.compare_digest(expected, query["X-Amz-Signature"][0]):
        return False

    resigned = AWSRequest(method=environ_["REQUEST_METHOD"], url=url, headers={"host": host})
    S3SigV4Auth(credentials, "s3", credential[2]).add_auth(resigned)
    environ_["QUERY_STRING"] = urlencode(operation)
    for name in ("RAW_URI", "REQUEST_URI"):
        environ_[name] = raw_path + (f"?{environ_['QUERY_STRING']}" if operation else "")
    for header, value in resigned.headers.items():
        environ_["HTTP_" + header.upper().replace("-", "_")] = value
    return True


def _s3_error(code, message):
    xml = f"<Error><Code>{code}</Code><Message>{message}</Message></Error>"
    return f'<?xml version="1.0" encoding="UTF-8"?>\n{xml}'.encode()


def _check_post_policy(environ_):
    """Checks a browser-form POST upload as S3 does (moto checks none of it): the policy's
    signature, its expiry, and every condition, content-length-range included. Returns an
    (status, body) refusal or None; the request body is put back for moto to store."""
    length = int(environ_.get("CONTENT_LENGTH") or 0)
    body = environ_["wsgi.input"].read(length)
    environ_["wsgi.input"] = io.BytesIO(body)
    _stream, form, files = parse_form_data({**environ_, "wsgi.input": io.BytesIO(body)})
    environ_["wsgi.input"] = io.BytesIO(body)
    fields = {name.lower(): value for name, value in form.items()}
    credential = fields.get("x-amz-credential", "").split("/")
    if len(credential) != 5 or credential[0] != access_key() or "policy" not in fields:
        return 403, ACCESS_DENIED
    date, region, service = credential[1], credential[2], credential[3]
    signing_key = f"AWS4{secret_key()}".encode()
    for part in (date, region, service, "aws4_request"):
        signing_key = hmac.new(signing_key, part.encode(), hashlib.sha256).digest()
    expected = hmac.new(signing_key, fields["policy"].encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, fields.get("x-amz-signature", "")):
        return 403, SIGNATURE_DOES_NOT_MATCH
    policy = json.loads(base64.b64decode(fields["policy"]))
    if datetime.fromisoformat(policy["expiration"].replace("Z", "+00:00")) < datetime.now(UTC):
        return 403, _s3_error("AccessDenied", "Invalid according to Policy: Policy expired.")
    upload = files.get("file")
    size = len(upload.read()) if upload else 0
    values = {**fields, "bucket": environ_.get("PATH_INFO", "").strip("/").split("/")[0]}
    covered = {"policy", "x-amz-signature", "file"}
    for condition in policy["conditions"]:
        if isinstance(condition, dict):
            condition = ["eq", *next(iter(condition.items()))]
            condition[1] = f"${condition[1]}"
        operator, *args = condition
        if operator == "content-length-range":
            if not args[0] <= size <= args[1]:
                return 400, _s3_error("EntityTooLarge" if size > args[1] else "EntityTooSmall", "Size out of range")
            continue
        name = args[0].lstrip("$").lower()
        covered.add(name)
        value = values.get(name, "")
        if (operator == "eq" and value != args[1]) or (operator == "starts-with" and not value.startswith(args[1])):
            return 403, _s3_error("AccessDenied", f"Invalid according to Policy: Policy Condition failed: {name}")
    if set(fields) - covered:
        return 403, _s3_error("AccessDenied", "Invalid according to Policy: Extra input fields")
    return None


class S3Server(ThreadedMotoServer):
    """ThreadedMotoServer on a free port (port 0), recording every request it serves.

    `refuse(method, key_part)` makes it answer 403 AccessDenied to matching requests, as a
    bucket policy would: moto itself does not enforce policies.
    """

    def __init__(self):
        super().__init__(ip_address="127.0.0.1", port=0, verbose=False)
        self.requests = []
        self.refusals = []
        self._lock = threading.Lock()

    def start(self):
        super().start()
        if not _credentials:
            _credentials.update(self._create_iam_user())
        moto_settings.INITIAL_NO_AUTH_ACTION_COUNT = 0

    def _create_iam_user(self):
        """The app's keys, made as an operator would make them (moto's IAM, before auth is on)."""
        moto_settings.INITIAL_NO_AUTH_ACTION_COUNT = float("inf")
        iam = boto3.client(
            "iam",
            endpoint_url=self.endpoint_url,
            aws_access_key_id="bootstrap",  # accepted only while auth is still off
            aws_secret_access_key="bootstrap",  # noqa: S106
            region_name=REGION,
        )
        iam.create_user(UserName="bookstore-tests")
        iam.put_user_policy(UserName="bookstore-tests", PolicyName="s3", PolicyDocument=_S3_ONLY)
        key = iam.create_access_key(UserName="bookstore-tests")["AccessKey"]
        return {"access_key": key["AccessKeyId"], "secret_key": key["SecretAccessKey"]}

    def refuse(self, method, key_part):
        with self._lock:
            self.refusals.append((method, key_part))

    def _server_entry(self):
        app = DomainDispatcherApplication(create_backend_app)

        def counting_app(environ_, start_response):
            method, path = environ_["REQUEST_METHOD"], environ_.get("PATH_INFO", "")
            with self._lock:
                self.requests.append((method, path, environ_.get("QUERY_STRING", "")))
                refused = any(method == m and part in path for m, part in self.refusals)
            if refused:
                start_response("403 Forbidden", [("Content-Type", "application/xml")])
                return [ACCESS_DENIED]
            if "X-Amz-Signature=" in environ_.get("QUERY_STRING", "") and not _check_presigned(environ_):
                start_response("403 Forbidden", [("Content-Type", "application/xml")])
                return [SIGNATURE_DOES_NOT_MATCH]
            if method == "POST" and environ_.get("CONTENT_TYPE", "").startswith("multipart/form-data"):
                refusal = _check_post_policy(environ_)
                if refusal:
                    start_response(f"{refusal[0]} Refused", [("Content-Type", "application/xml")])
                    return [refusal[1]]
                return unsigned(environ_, start_response)  # checked above
            if method == "OPTIONS":  # a CORS preflight: S3 answers it unsigned, from the bucket's CORS rules
                return unsigned(environ_, start_response)
            return app(environ_, start_response)

        def unsigned(environ_, start_response):
            with self._lock:  # moto, which wants an Authorization header, may skip it once
                moto_settings.INITIAL_NO_AUTH_ACTION_COUNT = ActionAuthenticatorMixin.request_count + 1
                try:
                    return app(environ_, start_response)
                finally:
                    moto_settings.INITIAL_NO_AUTH_ACTION_COUNT = 0

        self._server = make_server(self._ip_address, self._port, counting_app, True, request_handler=MotoRequestHandler)
        self._server_ready_event.set()
        self._server.serve_forever()

    @property
    def endpoint_url(self):
        host, port = self.get_host_and_port()
        return f"http://{host}:{port}"

    def reset_requests(self):
        with self._lock:
            self.requests.clear()
            self.refusals.clear()

    def client(self):
        return boto3.client(
            "s3",
            endpoint_url=self.endpoint_url,
            aws_access_key_id=access_key(),
            aws_secret_access_key=secret_key(),
            region_name=REGION,
        )


def access_key():
    """The IAM user's access key id; a placeholder until a server has started (settings-only tests)."""
    return _credentials.get("access_key", "no-server-started")


def secret_key():
    return _credentials.get("secret_key", "no-server-started")


def s3_environment(endpoint_url, bucket, **extra):
    """The environment a production deployment would set, pointed at the test server."""
    return {
        "AWS_STORAGE_BUCKET_NAME": bucket,
        "AWS_S3_ENDPOINT_URL": endpoint_url,
        "AWS_ACCESS_KEY_ID": access_key(),
        "AWS_SECRET_ACCESS_KEY": secret_key(),
        "AWS_S3_REGION_NAME": REGION,
        "AWS_S3_ADDRESSING_STYLE": "path",
        **extra,
    }


def storage_from_environment(values):
    """`STORAGES["default"]` exactly as config/settings.py builds it from these variables."""
    env = environ.Env()
    env.ENVIRON = values
    return media_storage(env)


@pytest.fixture(scope="session")
def s3_server():
    server = S3Server()
    server.start()
    yield server
    server.stop()


_bucket_numbers = itertools.count()


@pytest.fixture
def s3_bucket(s3_server):
    """A new, empty bucket for this test."""
    name = f"bookstore-test-{next(_bucket_numbers)}"
    s3_server.client().create_bucket(Bucket=name)
    return name


@pytest.fixture
def s3_storage(settings, s3_server, s3_bucket):
    """Makes S3 the default storage for this test, configured as production would be.

    Yields a helper with the bucket name, a boto3 client, and the server's request log.
    """
    settings.STORAGES = {
        **settings.STORAGES,
        "default": storage_from_environment(s3_environment(s3_server.endpoint_url, s3_bucket)),
    }
    s3_server.reset_requests()
    yield S3Fixture(s3_server, s3_bucket, settings)
    s3_server.reset_requests()  # no refusal outlives its test


class S3Fixture:
    def __init__(self, server, bucket, settings):
        self.server = server
        self.bucket = bucket
        self.client = server.client()
        self._settings = settings

    def configure(self, **environment):
        """Rebuild the default storage from the environment plus these variables."""
        self._settings.STORAGES = {
            **self._settings.STORAGES,
            "default": storage_from_environment(s3_environment(self.server.endpoint_url, self.bucket, **environment)),
        }

    def stored_keys(self):
        paginator = self.client.get_paginator("list_objects_v2")
        return sorted(
            item["Key"] for page in paginator.paginate(Bucket=self.bucket) for item in page.get("Contents", [])
        )

    def put(self, key, body=b"data", **extra):
        self.client.put_object(Bucket=self.bucket, Key=key, Body=body, **extra)

    def head(self, key):
        return self.client.head_object(Bucket=self.bucket, Key=key)

    def read(self, key):
        return self.client.get_object(Bucket=self.bucket, Key=key)["Body"].read()

    @property
    def requests(self):
        """(method, path, query string) of every request the server received."""
        return list(self.server.requests)

    def methods(self):
        return [method for method, _path, _query in self.server.requests]

    def reset_requests(self):
        self.server.reset_requests()
