"""Fixtures for the Python API against a real S3 server (Ceph RGW).

Run through tests/s3/run.sh (scripts/with-s3-server.sh), which starts the
server and exports SHARDY_TEST_S3_ENDPOINT, SHARDY_TEST_S3_BUCKET and the
AWS_* credentials. Without them every test fails: these tests never skip.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass

import pytest


@dataclass(frozen=True)
class S3Server:
    endpoint: str
    bucket: str
    region: str


@pytest.fixture(scope="session")
def s3() -> S3Server:
    endpoint = os.environ.get("SHARDY_TEST_S3_ENDPOINT")
    bucket = os.environ.get("SHARDY_TEST_S3_BUCKET")
    if not endpoint or not bucket or not os.environ.get("AWS_ACCESS_KEY_ID"):
        pytest.fail("no S3 server: run these tests through tests/s3/run.sh BUILD_DIR, which starts "
                    "one and sets SHARDY_TEST_S3_ENDPOINT, SHARDY_TEST_S3_BUCKET and AWS_*")
    return S3Server(endpoint, bucket, os.environ.get("AWS_REGION", "us-east-1"))


@pytest.fixture
def prefix(s3: S3Server) -> str:
    """A fresh prefix in the test bucket (one per test)."""
    return f"s3://{s3.bucket}/pytest/{uuid.uuid4().hex}"


@pytest.fixture
def local_root(tmp_path) -> str:
    return str(tmp_path / "local")
