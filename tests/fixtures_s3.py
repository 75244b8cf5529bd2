"""A real S3 protocol server for the tests: moto's standalone server over HTTP.

Not `mock_aws` patching: boto3 signs and sends real HTTP requests to a server on a free
loopback port, so the whole stack is exercised. The server counts the requests it
receives, so tests can assert how many a page render or an upload costs.
"""

import itertools
import threading

import boto3
import environ
import pytest
from moto.moto_server.threaded_moto_server import ThreadedMotoServer
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import make_server

from covers.storage import media_storage

ACCESS_KEY = "test-access-key"  # moto accepts any key; these are not credentials
SECRET_KEY = "test-secret-key"
REGION = "us-east-1"


ACCESS_DENIED = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>'
)


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
            return app(environ_, start_response)

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
            aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET_KEY,
            region_name=REGION,
        )


def s3_environment(endpoint_url, bucket, **extra):
    """The environment a production deployment would set, pointed at the test server."""
    return {
        "AWS_STORAGE_BUCKET_NAME": bucket,
        "AWS_S3_ENDPOINT_URL": endpoint_url,
        "AWS_ACCESS_KEY_ID": ACCESS_KEY,
        "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
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
