"""Fixtures for the blob store tests: a throw-away S3 server (moto) from tools/s3server.py."""

import importlib.util
import sys
import uuid
from pathlib import Path

import pytest

from records.blobstore import S3BlobStore

ROOT = Path(__file__).resolve().parents[2]


def _load_s3server():
    spec = importlib.util.spec_from_file_location("zhifa_tools_s3server", ROOT / "tools" / "s3server.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def s3_endpoint():
    """The endpoint URL of a moto S3 server (a child process), started once per test session."""
    server = _load_s3server().start_server()
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture
def make_s3_store(s3_endpoint, tmp_path):
    """make_s3_store(**options) → an S3BlobStore on a fresh bucket with Object Lock enabled."""

    def make(**options):
        options.setdefault("endpoint_url", s3_endpoint)
        options.setdefault("access_key", "testing")
        options.setdefault("secret_key", "testing")
        options.setdefault("spool_dir", tmp_path / f"spool-{uuid.uuid4().hex[:8]}")
        store = S3BlobStore(f"zhifa-test-{uuid.uuid4().hex[:16]}", **options)
        store.ensure_bucket(object_lock=True)
        return store

    return make


@pytest.fixture
def s3_store(make_s3_store):
    return make_s3_store()
