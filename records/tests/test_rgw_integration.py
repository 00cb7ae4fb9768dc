"""S3 Object Lock against a real Ceph radosgw, the engine a production deployment runs.

tools/rgwserver.py starts a throw-away single-node Ceph (one monitor, one in-memory OSD, radosgw)
on 127.0.0.1 for this module, installing Debian's packages first when they are missing and we
are root, and stops and deletes it afterwards. The tests show what radosgw itself enforces for
objects stored in COMPLIANCE mode: the locked version cannot be deleted, its retention cannot be
shortened or weakened, and versioning cannot be switched off; deleting without a version only
hides the object behind a delete marker.
"""

import base64
import datetime as dt
import hashlib
import importlib.util
import io
import os
import shutil
import sys
import uuid
from pathlib import Path

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

ROOT = Path(__file__).resolve().parents[2]


def _load_rgwserver():
    spec = importlib.util.spec_from_file_location("zhifa_tools_rgwserver", ROOT / "tools" / "rgwserver.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up here
    spec.loader.exec_module(module)
    return module


rgwserver = _load_rgwserver()

_CAN_INSTALL = os.geteuid() == 0 and shutil.which("apt-get") is not None
# Every module on radosgw: run in the PostgreSQL pass (bin/test), skipped where radosgw cannot be had.
RGW_MARKS = [
    pytest.mark.rgw,
    pytest.mark.skipif(
        not rgwserver.is_installed() and not _CAN_INSTALL,
        reason=(
            "Ceph radosgw is not installed (missing: "
            + ", ".join(rgwserver.missing_binaries())
            + "), and only root with apt-get can install it: "
            "apt-get install --no-install-recommends " + " ".join(rgwserver.PACKAGES)
        ),
    ),
]
pytestmark = RGW_MARKS


@pytest.fixture(scope="module")
def rgw():
    """A throw-away radosgw for the module (imported by the other radosgw modules)."""
    try:
        with rgwserver.running_rgw() as server:
            yield server
    except rgwserver.RgwServerError as error:
        pytest.fail(f"could not start Ceph radosgw: {error}")


@pytest.fixture(scope="module")
def s3(rgw):
    config = Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1})
    return boto3.client("s3", config=config, **rgw.client_kwargs)


@pytest.fixture(scope="module")
def locked_bucket(s3):
    name = f"zhifa-locked-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=name, ObjectLockEnabledForBucket=True)
    return name


@pytest.fixture
def until():
    """A retain-until date a day ahead, whole seconds (what S3 keeps)."""
    return (dt.datetime.now(dt.UTC) + dt.timedelta(days=1)).replace(microsecond=0)


def _md5(body: bytes) -> str:
    return base64.b64encode(hashlib.md5(body).digest()).decode("ascii")  # noqa: S324 - Content-MD5


def _put_locked(s3, bucket: str, until: dt.datetime, body: bytes | None = None) -> tuple[str, bytes, str]:
    key = f"evidence/{uuid.uuid4().hex}.bin"
    body = body if body is not None else os.urandom(4096)
    response = s3.put_object(
        Bucket=bucket,
        Key=key,
        Body=body,
        ContentMD5=_md5(body),
        ObjectLockMode="COMPLIANCE",
        ObjectLockRetainUntilDate=until,
    )
    return key, body, response["VersionId"]


def _error_code(excinfo: pytest.ExceptionInfo[ClientError]) -> str:
    return excinfo.value.response["Error"]["Code"]


def test_bucket_has_object_lock_and_versioning(s3, locked_bucket):
    lock = s3.get_object_lock_configuration(Bucket=locked_bucket)["ObjectLockConfiguration"]
    assert lock["ObjectLockEnabled"] == "Enabled"
    assert s3.get_bucket_versioning(Bucket=locked_bucket)["Status"] == "Enabled"


def test_locked_object_reads_back_with_its_retention(s3, locked_bucket, until):
    key, body, version = _put_locked(s3, locked_bucket, until)

    assert s3.get_object(Bucket=locked_bucket, Key=key)["Body"].read() == body
    retention = s3.get_object_retention(Bucket=locked_bucket, Key=key, VersionId=version)["Retention"]
    assert retention["Mode"] == "COMPLIANCE"
    assert retention["RetainUntilDate"] == until
    head = s3.head_object(Bucket=locked_bucket, Key=key)
    assert head["ObjectLockMode"] == "COMPLIANCE"
    assert head["ObjectLockRetainUntilDate"] == until
    assert head["VersionId"] == version


def test_locked_version_cannot_be_deleted(s3, locked_bucket, until):
    key, body, version = _put_locked(s3, locked_bucket, until)

    with pytest.raises(ClientError) as refused:
        s3.delete_object(Bucket=locked_bucket, Key=key, VersionId=version)
    assert _error_code(refused) == "AccessDenied"
    assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    # COMPLIANCE, unlike GOVERNANCE, has no bypass
    with pytest.raises(ClientError) as bypass:
        s3.delete_object(Bucket=locked_bucket, Key=key, VersionId=version, BypassGovernanceRetention=True)
    assert _error_code(bypass) == "AccessDenied"
    # nor does the batch delete get around it
    result = s3.delete_objects(
        Bucket=locked_bucket, Delete={"Objects": [{"Key": key, "VersionId": version}], "Quiet": False}
    )
    assert [error["Code"] for error in result.get("Errors", [])] == ["AccessDenied"]
    assert not result.get("Deleted")

    assert s3.get_object(Bucket=locked_bucket, Key=key, VersionId=version)["Body"].read() == body


def test_retention_cannot_be_shortened_or_weakened(s3, locked_bucket, until):
    key, _body, version = _put_locked(s3, locked_bucket, until)

    with pytest.raises(ClientError) as shorter:
        s3.put_object_retention(
            Bucket=locked_bucket,
            Key=key,
            VersionId=version,
            Retention={"Mode": "COMPLIANCE", "RetainUntilDate": until - dt.timedelta(hours=1)},
        )
    assert _error_code(shorter) == "AccessDenied"
    with pytest.raises(ClientError) as governance:
        s3.put_object_retention(
            Bucket=locked_bucket,
            Key=key,
            VersionId=version,
            Retention={"Mode": "GOVERNANCE", "RetainUntilDate": until},
            BypassGovernanceRetention=True,
        )
    assert _error_code(governance) == "AccessDenied"
    retention = s3.get_object_retention(Bucket=locked_bucket, Key=key, VersionId=version)["Retention"]
    assert (retention["Mode"], retention["RetainUntilDate"]) == ("COMPLIANCE", until)

    # extending is allowed
    later = until + dt.timedelta(days=30)
    s3.put_object_retention(
        Bucket=locked_bucket,
        Key=key,
        VersionId=version,
        Retention={"Mode": "COMPLIANCE", "RetainUntilDate": later},
    )
    retention = s3.get_object_retention(Bucket=locked_bucket, Key=key, VersionId=version)["Retention"]
    assert (retention["Mode"], retention["RetainUntilDate"]) == ("COMPLIANCE", later)


def test_delete_without_version_only_adds_a_delete_marker(s3, locked_bucket, until):
    key, body, version = _put_locked(s3, locked_bucket, until)

    marker = s3.delete_object(Bucket=locked_bucket, Key=key)
    assert marker["DeleteMarker"] is True
    assert marker["VersionId"] != version
    with pytest.raises(ClientError) as hidden:
        s3.get_object(Bucket=locked_bucket, Key=key)
    assert _error_code(hidden) == "NoSuchKey"

    assert s3.get_object(Bucket=locked_bucket, Key=key, VersionId=version)["Body"].read() == body
    versions = s3.list_object_versions(Bucket=locked_bucket, Prefix=key)
    assert [v["VersionId"] for v in versions["Versions"]] == [version]
    assert [m["VersionId"] for m in versions["DeleteMarkers"]] == [marker["VersionId"]]
    # the marker itself carries no lock: removing it brings the object back
    s3.delete_object(Bucket=locked_bucket, Key=key, VersionId=marker["VersionId"])
    assert s3.get_object(Bucket=locked_bucket, Key=key)["Body"].read() == body


def test_versioning_cannot_be_suspended_and_the_bucket_not_deleted(s3, locked_bucket, until):
    _put_locked(s3, locked_bucket, until)

    with pytest.raises(ClientError) as suspend:
        s3.put_bucket_versioning(Bucket=locked_bucket, VersioningConfiguration={"Status": "Suspended"})
    assert _error_code(suspend) == "InvalidBucketState"
    with pytest.raises(ClientError) as delete_bucket:
        s3.delete_bucket(Bucket=locked_bucket)
    assert _error_code(delete_bucket) == "BucketNotEmpty"


def test_wrong_content_md5_is_refused(s3, locked_bucket, until):
    body = b"evidence"
    with pytest.raises(ClientError) as bad:
        s3.put_object(
            Bucket=locked_bucket,
            Key=f"evidence/{uuid.uuid4().hex}.bin",
            Body=body,
            ContentMD5=_md5(b"other bytes"),
            ObjectLockMode="COMPLIANCE",
            ObjectLockRetainUntilDate=until,
        )
    assert _error_code(bad) == "BadDigest"


def test_normal_object_round_trip(s3):
    bucket = f"zhifa-plain-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=bucket)
    body = "执法记录 normal object".encode() * 100

    s3.put_object(Bucket=bucket, Key="plain.txt", Body=body, ContentMD5=_md5(body))
    got = s3.get_object(Bucket=bucket, Key="plain.txt")
    assert got["Body"].read() == body
    assert got["ContentLength"] == len(body)
    assert got["ETag"].strip('"') == hashlib.md5(body).hexdigest()  # noqa: S324 - S3's ETag

    # no Object Lock here: a lock request is refused, and deleting works
    with pytest.raises(ClientError) as no_lock:
        s3.get_object_lock_configuration(Bucket=bucket)
    assert _error_code(no_lock) == "ObjectLockConfigurationNotFoundError"
    s3.delete_object(Bucket=bucket, Key="plain.txt")
    s3.delete_bucket(Bucket=bucket)


# --- records.blobstore.S3BlobStore against radosgw --------------------------------------------------


@pytest.fixture
def blobstore_module():
    return pytest.importorskip("records.blobstore")


def _store(blobstore_module, rgw, bucket: str, spool: Path, **options):
    return blobstore_module.S3BlobStore(
        bucket,
        endpoint_url=rgw.endpoint_url,
        region=rgw.region,
        access_key=rgw.access_key,
        secret_key=rgw.secret_key,
        spool_dir=spool,
        **options,
    )


def test_s3_blobstore_stores_locked_blobs(blobstore_module, rgw, s3, tmp_path):
    bucket = f"zhifa-blobs-{uuid.uuid4().hex[:12]}"
    store = _store(blobstore_module, rgw, bucket, tmp_path / "spool")
    assert store.ensure_bucket(object_lock=True) is True
    assert store.ensure_bucket(object_lock=True) is False
    data = os.urandom(300_000)
    sha256 = hashlib.sha256(data).hexdigest()
    retain = dt.date.today() + dt.timedelta(days=2)

    info = store.put(io.BytesIO(data), retain_until=retain)
    assert (info.sha256, info.size, info.existed) == (sha256, len(data), False)
    assert store.exists(sha256)
    assert store.size(sha256) == len(data)
    with store.open(sha256) as stream:
        assert stream.read() == data
    assert store.rehash(sha256) == sha256
    assert list(store.iter_digests()) == [sha256]

    key = store.key(sha256)
    head = s3.head_object(Bucket=bucket, Key=key)
    midnight = dt.datetime(retain.year, retain.month, retain.day, tzinfo=dt.UTC)
    assert (head["ObjectLockMode"], head["ObjectLockRetainUntilDate"]) == ("COMPLIANCE", midnight)
    with pytest.raises(ClientError) as refused:
        s3.delete_object(Bucket=bucket, Key=key, VersionId=head["VersionId"])
    assert _error_code(refused) == "AccessDenied"

    # the same content again, from a file and with a later date: nothing new, the lock is extended
    source = tmp_path / "again.bin"
    source.write_bytes(data)
    later = retain + dt.timedelta(days=30)
    again = store.put(source, retain_until=later)
    assert (again.sha256, again.existed) == (sha256, True)
    retention = s3.get_object_retention(Bucket=bucket, Key=key)["Retention"]
    assert retention["RetainUntilDate"] == dt.datetime(later.year, later.month, later.day, tzinfo=dt.UTC)
    assert len(s3.list_object_versions(Bucket=bucket, Prefix=key)["Versions"]) == 1
    assert list((tmp_path / "spool").iterdir()) == []


def test_s3_blobstore_multipart_upload_is_locked(blobstore_module, rgw, s3, tmp_path):
    bucket = f"zhifa-blobs-{uuid.uuid4().hex[:12]}"
    mib = 1024 * 1024
    store = _store(
        blobstore_module,
        rgw,
        bucket,
        tmp_path / "spool",
        multipart_threshold=6 * mib,
        multipart_chunksize=5 * mib,  # S3's (and radosgw's) smallest part
        chunk_size=mib,
    )
    store.ensure_bucket(object_lock=True)
    data = os.urandom(11 * mib + 123)
    retain = dt.date.today() + dt.timedelta(days=2)

    info = store.put(io.BytesIO(data), retain_until=retain)
    assert (info.sha256, info.size) == (hashlib.sha256(data).hexdigest(), len(data))
    assert store.rehash(info.sha256) == info.sha256
    key = store.key(info.sha256)
    head = s3.head_object(Bucket=bucket, Key=key)
    assert head["ContentLength"] == len(data)
    assert head["ObjectLockMode"] == "COMPLIANCE"
    with pytest.raises(ClientError) as refused:
        s3.delete_object(Bucket=bucket, Key=key, VersionId=head["VersionId"])
    assert _error_code(refused) == "AccessDenied"


def test_s3_blobstore_refuses_a_bucket_without_object_lock(blobstore_module, rgw, s3, tmp_path):
    bucket = f"zhifa-plain-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=bucket)
    store = _store(blobstore_module, rgw, bucket, tmp_path / "spool")
    with pytest.raises(blobstore_module.BlobStoreError, match="对象锁定"):
        store.ensure_bucket(object_lock=True)


def test_s3_blobstore_retain_extends_an_archived_objects_lock(blobstore_module, rgw, s3, tmp_path):
    """Sealing a case file (archive) extends each object's lock to the file's retention date; a
    shorter date never shortens it, and radosgw then refuses deleting the version until that date."""
    bucket = f"zhifa-archive-{uuid.uuid4().hex[:12]}"
    store = _store(blobstore_module, rgw, bucket, tmp_path / "spool")
    store.ensure_bucket(object_lock=True)
    data = os.urandom(50_000)
    first = dt.date.today() + dt.timedelta(days=2)
    sha256 = store.put(io.BytesIO(data), retain_until=first).sha256
    kept = dt.date.today() + dt.timedelta(days=3650)  # a ten-year case file

    assert store.retain(sha256, kept) is True
    midnight = dt.datetime(kept.year, kept.month, kept.day, tzinfo=dt.UTC)
    assert store.retained_until(sha256) == midnight
    key = store.key(sha256)
    retention = s3.get_object_retention(Bucket=bucket, Key=key)["Retention"]
    assert (retention["Mode"], retention["RetainUntilDate"]) == ("COMPLIANCE", midnight)

    store.retain(sha256, first)  # an earlier date leaves the lock as it is
    assert store.retained_until(sha256) == midnight
    version = s3.head_object(Bucket=bucket, Key=key)["VersionId"]
    with pytest.raises(ClientError) as refused:
        s3.delete_object(Bucket=bucket, Key=key, VersionId=version)
    assert _error_code(refused) == "AccessDenied"
