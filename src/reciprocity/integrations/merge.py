"""What a merge of two partners moves of this app's: the other addresses a partner writes from."""

from typing import Any

from django.db import models

from reciprocity.integrations.models import PartnerAddress
from reciprocity.partners.merge import MergeMove
from reciprocity.partners.models import Partner


class AddressMove(MergeMove):
    """An address the kept partner already has stays behind (an address is once per partner)."""

    def rows(self, *, keep: Partner, other: Partner) -> models.QuerySet[Any]:
        known = PartnerAddress.objects.filter(partner=keep).values("email")
        return super().rows(keep=keep, other=other).exclude(email__in=known)


ADDRESS_MOVE = AddressMove(PartnerAddress, "email addresses")
