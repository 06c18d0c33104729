"""The benchmark's generated book keeps what the services keep: the suite measures pages over
data the app could have written itself."""

import pytest
from bench.generate import generate
from django.db.models import Count, Min, Q

from reciprocity.partners.models import CommitmentStatus, Partner
from reciprocity.playbook.models import Meeting, Opportunity
from reciprocity.referrals.models import Direction, Kind, Referral, ReferralStep
from reciprocity.referrals.services.next_step import referral_next_step_refresh

pytestmark = pytest.mark.slow


@pytest.mark.django_db(transaction=True)
def test_the_solo_book_keeps_the_derived_columns_the_services_keep() -> None:
    made = generate("solo")

    sent = Referral.objects.filter(direction=Direction.SENT, kind=Kind.REFERRAL)
    assert made["referral_steps"] == ReferralStep.objects.count() > sent.count()
    assert made["opportunities"] == Opportunity.objects.count() > 0
    assert made["meetings"] == Meeting.objects.count() > 0
    kept = dict(ReferralStep.objects.values_list("pk", "due_from"))
    for referral in sent:
        referral_next_step_refresh(referral=referral)
    assert dict(ReferralStep.objects.values_list("pk", "due_from")) == kept
    # Some steps in flight, most finished.
    assert 0 < sum(moment is not None for moment in kept.values()) < len(kept) // 2

    partners = Partner.objects.annotate(
        logged=Count("touches", distinct=True),
        first_open=Min("commitments__due", filter=Q(commitments__status=CommitmentStatus.OPEN)),
    )
    for partner in partners:
        assert partner.touch_count == partner.logged
        assert partner.next_step_due == partner.first_open
