"""Reads of the advisor's message and of the checks of whether partners can say it back."""

from django.db.models import QuerySet

from reciprocity.accounts.models import User
from reciprocity.partners.models import Partner
from reciprocity.playbook.models import AdvisorProfile, MessageCheck


def advisor_profile_of(*, advisor: User) -> AdvisorProfile | None:
    return AdvisorProfile.objects.filter(user_id=advisor.pk).first()


def message_checks_of(*, partner: Partner) -> QuerySet[MessageCheck]:
    return partner.message_checks.select_related("by")
