"""What the playbook moves when two partners are merged (see partners/merge.py): meetings,
agreements, client concerns and cases, opportunities, message checks, strategies and cadences.

Snoozed agenda items stay with the partner merged away: their keys name it."""

from typing import Any

from django.db import models

from reciprocity.accounts.models import User
from reciprocity.partners.merge import MergeMove
from reciprocity.partners.models import Partner
from reciprocity.playbook.models import (
    Agreement,
    AgreementStatus,
    Cadence,
    ClientCase,
    ClientConcern,
    Meeting,
    MessageCheck,
    Opportunity,
    PartnerStrategy,
)
from reciprocity.playbook.services.agreements import agreement_end

SUPERSEDED_BY_MERGE = "Merged into {name}, whose agreement stands."


class AgreementMove(MergeMove):
    """One active agreement per partner: when both have one, the kept partner's stands and the
    other's is ended (it moves, ended, with its history)."""

    def __init__(self) -> None:
        super().__init__(Agreement, "agreements")

    def move(self, *, keep: Partner, other: Partner, by: User) -> int:
        if Agreement.objects.filter(partner=keep, status=AgreementStatus.ACTIVE).exists():
            for active in Agreement.objects.filter(partner=other, status=AgreementStatus.ACTIVE):
                agreement_end(
                    agreement=active, by=by, reason=SUPERSEDED_BY_MERGE.format(name=keep.name)
                )
        return super().move(keep=keep, other=other, by=by)


class CadenceMove(MergeMove):
    """A cadence override per kind: the kept partner's own settings win; the other's overrides
    of kinds the kept one has none of move."""

    def __init__(self) -> None:
        super().__init__(Cadence, "cadences")

    def rows(self, *, keep: Partner, other: Partner) -> models.QuerySet[Any]:
        kept_kinds = Cadence.objects.filter(partner=keep).values("kind")
        return super().rows(keep=keep, other=other).exclude(kind__in=kept_kinds)


MOVES = (
    # Holding a meeting locks it, then its partner to log the touch.
    MergeMove(Meeting, "meetings", lock_rank=1),
    AgreementMove(),
    MergeMove(ClientConcern, "client concerns"),
    MergeMove(ClientCase, "client cases"),
    # Asking for the client meeting locks the opportunity, then its partner; linking it to a
    # referral, the opportunity, then the referral (whose rank is 1).
    MergeMove(Opportunity, "opportunities", lock_rank=0),
    MergeMove(MessageCheck, "message checks"),
    MergeMove(PartnerStrategy, "strategy switches"),
    CadenceMove(),
)
