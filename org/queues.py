"""Home-page work queues: what waits for a person (待我审批, 待审核, 待送达 …).

`org` sits beneath every app, so apps register their queues here from AppConfig.ready() and the
home page reads them without importing the apps (an `archive` app adds 待归档 the same way):

    queues.register(provider)   # provider(viewer) -> list[Queue]; empty when nothing is for them
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

SHOWN = 10  # rows shown per queue on the home page; the count covers all


@dataclass(frozen=True)
class QueueItem:
    label: str
    url: str
    note: str = ""
    due: datetime | date | None = None
    overdue: bool = False


@dataclass(frozen=True)
class Queue:
    code: str
    label: str
    items: list[QueueItem] = field(default_factory=list)
    url: str = ""  # the full list, where there is one
    order: int = 100

    @property
    def count(self) -> int:
        return len(self.items)

    @property
    def shown(self) -> list[QueueItem]:
        return self.items[:SHOWN]


_providers: list[Callable] = []


def register(provider: Callable) -> None:
    if provider not in _providers:
        _providers.append(provider)


def queues_for(viewer) -> list[Queue]:
    """Every registered queue that holds something for the viewer (an empty queue is shown too,
    so that a person sees it is clear), in the providers' order."""
    found: list[Queue] = []
    for provider in _providers:
        found.extend(provider(viewer))
    return sorted(found, key=lambda q: q.order)
