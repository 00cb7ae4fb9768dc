"""How the archive joins the matters' workflows without matters importing it: closing a matter
assembles its case file in the closing step's transaction, and the archiving deadline the closing
starts is met only by sealing that file (000 全过程记录制度第十七条)."""

from matters import gates
from matters.workflows import WORKFLOWS

ARCHIVING_DEADLINE = "archive.deadline_after_closing"


def _on_close(matter, step) -> None:
    from archive.services import casefile_assemble

    casefile_assemble(matter=matter, acting_user=step.acted_by)


def _met(matters) -> set[int]:
    from archive.services import sealed_matters

    return sealed_matters(matters)


def _links(matter, viewer) -> list[dict]:
    from archive.selectors import matter_case_file_links

    return matter_case_file_links(matter, viewer)


def closing_transitions() -> set[str]:
    """Steps that end a matter (into a final state), except a revocation, which follows a decision."""
    codes = set()
    for workflow in WORKFLOWS.values():
        finals = {s.code for s in workflow.states if s.final}
        codes |= {t.code for t in workflow.transitions if t.target in finals and t.code != "revoke"}
    return codes


def register() -> None:
    for code in sorted(closing_transitions()):
        gates.register_after(code, _on_close)
    gates.register_met(ARCHIVING_DEADLINE, _met)
    gates.register_links(_links)
