"""Who may read an evidence file: one rule, used by the download and by every page that links one."""
from __future__ import annotations

from .models import EvidenceFile


def can_read(user, evidence: EvidenceFile) -> bool:
    """A claim's file: whoever may see the claim (the claimant, who endorses it, the office,
    administrators and supervisors whose scope holds the claimant's unit). A register entry's
    file: the person concerned, the keeper department's people, and the office, administrators
    and supervisors in scope. An appeal's file: the appellant, and the office, administrators and
    supervisors whose scope holds the appellant's unit. Nobody else — not even to learn that the
    file exists."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if evidence.claim is not None:
        from ..claims.operations import can_view
        return can_view(user, evidence.claim)
    if evidence.register_entry is not None:
        from ..registers.operations import can_view_entry
        return can_view_entry(user, evidence.register_entry)
    if evidence.appeal is not None:
        from ..appeals.operations import can_view
        return can_view(user, evidence.appeal)
    return False
