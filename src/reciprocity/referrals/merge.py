"""What the referrals app moves when two partners are merged (see partners/merge.py)."""

from reciprocity.accounts.models import User
from reciprocity.partners.merge import MergeMove
from reciprocity.partners.models import Partner
from reciprocity.referrals.models import Referral
from reciprocity.referrals.services.ledger import REFERRAL_MARKS, referral_marks_refresh


class ReferralMove(MergeMove):
    """Referrals both ways, with their protocol steps and status history (they hang off the
    referral, not the partner); what both partners keep of their referrals follows."""

    def move(self, *, keep: Partner, other: Partner, by: User) -> int:
        moved = super().move(keep=keep, other=other, by=by)
        referral_marks_refresh([keep.pk, other.pk])
        # The merge saves both partners after the moves: with their referrals as they are now.
        for partner in (keep, other):
            partner.refresh_from_db(fields=REFERRAL_MARKS)
        return moved


# A referral's writers lock it before its partner (its steps, archiving it); an opportunity's,
# ranked 0, lock the opportunity before the referral it is linked to.
REFERRAL_MOVE = ReferralMove(Referral, "referrals", lock_rank=1)
