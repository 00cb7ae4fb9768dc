"""A drawn 双随机 task for field tests: the item, a draw already revealed, one task with its two
drawn officers (the draw itself is inspections' subject)."""

from decimal import Decimal

from inspections.choices import DrawState
from inspections.models import InspectionDraw, InspectionTask
from inspections.services import item_create


def drawn_task(team, *, party=None, officers=None):
    item = item_create(
        agency=team.agency,
        acting_user=team.chief,
        name="危险化学品企业安全生产检查",
        basis="《安全生产法》第六十五条",
        target="辖区危险化学品生产经营单位",
        content="安全生产主体责任落实情况",
        proportion=Decimal("30"),
        frequency="每年2次",
        draws_per_year=2,
        method="现场检查",
        officers_per_target=2,
    )
    draw = InspectionDraw.objects.create(
        agency=team.agency, item=item, plan="2026年第一批", state=DrawState.DRAWN, seed="0" * 64,
        drawn_by=team.chief,
    )
    task = InspectionTask.objects.create(draw=draw, party=party or team.party)
    task.officers.set(officers or [team.officer, team.partner])
    return task
