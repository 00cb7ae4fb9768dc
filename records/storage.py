"""The blob store this install uses (ZHIFA_BLOB_STORE)."""

from functools import lru_cache

from django.conf import settings


@lru_cache(maxsize=4)
def _store(url: str, data_dir: str):
    from pathlib import Path

    from records.blobstore import blobstore_from_url

    return blobstore_from_url(url, data_dir=Path(data_dir))


def blob_store():
    """The configured records.blobstore.BlobStore."""
    return _store(settings.ZHIFA_BLOB_STORE, str(settings.DATA_DIR))
