"""A service the application depends on is down (the database, the object store, the task queue):
the request fails with a 503 that says which and that nothing was saved, instead of a bare 500. Used by
zhifa.errors.server_error; the transaction of the request was rolled back, and a file is stored
under its hash only once it is whole, so a retry after the outage is safe."""

import sys

DATABASE_DOWN = "数据库暂时无法连接，本次操作未完成，未保存任何内容。请稍后重试；如持续出现，请联系系统管理员。"
STORE_DOWN = "文件存储暂时不可用，本次操作未完成，文件未存储。请稍后重试；如持续出现，请联系系统管理员。"
CHECKPOINT_PAUSED = (
    "台账已恢复到较早的时刻，与见证方副署的检查点不一致，检查点签署已暂停，"
    "本次需要新检查点的操作（证明包、导出或封存）未完成，未保存任何内容。请联系系统管理员处理："
)
QUEUE_DOWN = "后台任务队列（Redis）暂时无法连接，本次操作未完成，未提交任何任务；已上传的内容仍保留。请稍后重试；如持续出现，请联系系统管理员。"


def _queue_errors() -> tuple[type[BaseException], ...]:
    """The broker's and result store's connection errors (Celery over Redis), where installed."""
    try:
        from kombu.exceptions import OperationalError as BrokerError
        from redis.exceptions import ConnectionError as RedisConnectionError
        from redis.exceptions import TimeoutError as RedisTimeoutError
    except ImportError:
        return ()
    return (BrokerError, RedisConnectionError, RedisTimeoutError)


def outage_message(exc: BaseException | None = None) -> str | None:
    """The Chinese message for an outage behind `exc` (default: the exception being handled)."""
    from django.db import InterfaceError, OperationalError

    from ledger.services import CheckpointRefused
    from records.blobstore import BlobNotFoundError, BlobStoreConfigError, BlobStoreError

    queue_errors = _queue_errors()

    exc = exc if exc is not None else sys.exc_info()[1]
    while exc is not None:
        if isinstance(exc, OperationalError | InterfaceError):
            return DATABASE_DOWN
        if isinstance(exc, BlobStoreError) and not isinstance(exc, BlobNotFoundError | BlobStoreConfigError):
            return f"{STORE_DOWN}（{exc}）"
        if isinstance(exc, CheckpointRefused):
            return f"{CHECKPOINT_PAUSED}{exc}"
        if queue_errors and isinstance(exc, queue_errors):
            return QUEUE_DOWN
        exc = exc.__cause__ or exc.__context__
    return None


def outage_page(message: str) -> str:
    """A page with no template or context processor (either may need what is down)."""
    from django.utils.html import escape

    return (
        '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>服务暂时不可用 · 行政执法平台</title>'
        f"</head><body><h1>服务暂时不可用</h1><p>{escape(message)}</p><p><a href=\"/\">返回工作台</a></p></body></html>"
    )
