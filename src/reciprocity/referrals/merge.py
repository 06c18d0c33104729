"""What the referrals app moves when two partners are merged (see partners/merge.py)."""

from reciprocity.accounts.models import User
from reciprocity.partners.merge import MergeMove
from reciprocity.partners.models import Partner
from reciprocity.referrals.models import Referral
from reciprocity.referrals.services.ledger import first_received_refresh


class ReferralMove(MergeMove):
    """Referrals both ways, with their protocol steps and status history (they hang off the
    referral, not the partner); the first referral received of both partners follows."""

    def move(self, *, keep: Partner, other: Partner, by: User) -> int:
        moved = super().move(keep=keep, other=other, by=by)
        first_received_refresh([keep.pk, other.pk])
        # The merge saves both partners after the moves: with the first referral as it is now.
        for partner in (keep, other):
            partner.refresh_from_db(fields=["first_received_at"])
        return moved


REFERRAL_MOVE = ReferralMove(Referral, "referrals")
