"""What the referrals app moves when two partners are merged (see partners/merge.py)."""

from reciprocity.partners.merge import MergeMove
from reciprocity.referrals.models import Referral

# Referrals both ways, with their protocol steps and status history (they hang off the
# referral, not the partner).
REFERRAL_MOVE = MergeMove(Referral, "referrals")
