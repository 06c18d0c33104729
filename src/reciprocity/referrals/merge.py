"""What the referrals app moves when two partners are merged (see partners/merge.py)."""

from reciprocity.partners.merge import MergeMove
from reciprocity.referrals.models import Referral


class ReferralMove(MergeMove):
    """Referrals both ways, with their protocol steps and status history (they hang off the
    referral, not the partner)."""

    model = Referral
    label = "referrals"
