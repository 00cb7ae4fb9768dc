"""The blob store this install uses (ZHIFA_BLOB_STORE)."""

import logging
from functools import lru_cache

from django.conf import settings

logger = logging.getLogger(__name__)


@lru_cache(maxsize=4)
def _store(url: str, data_dir: str):
    from pathlib import Path

    from records.blobstore import blobstore_from_url

    return blobstore_from_url(url, data_dir=Path(data_dir))


def blob_store():
    """The configured records.blobstore.BlobStore."""
    return _store(settings.ZHIFA_BLOB_STORE, str(settings.DATA_DIR))


def temp_files_cleanup() -> int:
    """At the start of a process that writes (the server, `zhifa ingest`): remove the temporary
    files killed puts left behind. Safe beside a put running in another process (see
    records.blobstore._remove_old_temps). Never raises: a failed cleanup must not stop the process."""
    from records.blobstore import BlobStoreError

    try:
        removed = blob_store().cleanup_temp()
    except (OSError, BlobStoreError):
        logger.exception("removing leftover temporary files failed")
        return 0
    if removed:
        logger.info("removed %d leftover temporary files of interrupted stores", removed)
    return removed
