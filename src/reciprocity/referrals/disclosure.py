"""Compensation and its disclosure on a referral.

A referral may involve compensation or a solicitor/promoter arrangement, whichever way it goes
(the advisor pays or is paid for it). Such a referral records the arrangement (its kind and its
amount or basis), the disclosure the client was given (a text, usually from the firm's template,
or an uploaded file), when and how it was delivered, and the client's acknowledgement.

A firm may require that evidence (``Firm.requires_disclosure_evidence``): then a compensated
referral does not pass the introduction (``EVIDENCE_GATED_STATUSES``) until every piece of it is
recorded; ``missing_evidence`` names the pieces still missing, and ``check_evidence`` is the rule
the services apply before moving a referral there.
"""

from collections.abc import Iterable

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from reciprocity.accounts.models import AuditedHistory
from reciprocity.referrals.models import Referral, ReferralStatus


class ArrangementKind(models.TextChoices):
    SOLICITATION_FEE = "solicitation_fee", "Solicitation fee"
    REVENUE_SHARE = "revenue_share", "Revenue share"
    FLAT_FEE = "flat_fee", "Flat fee"
    NON_CASH = "non_cash", "Non-cash compensation"
    OTHER = "other", "Other"


class DeliveryMethod(models.TextChoices):
    EMAIL = "email", "By email"
    IN_PERSON = "in_person", "In person"
    MAIL = "mail", "By mail"
    PORTAL = "portal", "Through a client portal"
    OTHER = "other", "Other"


class AcknowledgementMethod(models.TextChoices):
    SIGNED = "signed", "Signed"
    EMAIL = "email", "By email"
    PORTAL = "portal", "Through a client portal"
    VERBAL = "verbal", "Verbally"
    OTHER = "other", "Other"


# Past the introduction: a compensated referral reaches these only with its evidence recorded,
# when the firm requires it. Protocol steps that imply them (STATUS_AFTER_STEP) are held too.
EVIDENCE_GATED_STATUSES = (
    ReferralStatus.INTRODUCED,
    ReferralStatus.MEETING_HELD,
    ReferralStatus.ENGAGED,
    ReferralStatus.BECAME_CLIENT,
)

# The pieces of evidence, named as the messages name them.
MISSING_DISCLOSURE = "the disclosure given to the client (a text or a file)"
MISSING_DELIVERED_ON = "the date the disclosure was delivered"
MISSING_DELIVERY_METHOD = "how the disclosure was delivered"
MISSING_ACKNOWLEDGED_ON = "the date the client acknowledged it"
MISSING_ACKNOWLEDGEMENT_METHOD = "how the client acknowledged it"

# User-facing messages; tests reuse them.
EVIDENCE_REQUIRED = (
    "This referral involves compensation and your firm requires its disclosure evidence before "
    "it moves to {status}. Missing: {missing}."
)
STEP_EVIDENCE_REQUIRED = (
    "This step moves the referral to {status}: this referral involves compensation and your firm "
    "requires its disclosure evidence first. Missing: {missing}."
)


class ReferralDisclosure(models.Model):
    """A referral's compensation and the evidence of its disclosure (see module docs)."""

    referral = models.OneToOneField(Referral, on_delete=models.PROTECT, related_name="disclosure")
    compensated = models.BooleanField(
        "involves compensation or a solicitor arrangement",
        default=False,
        help_text="Anything paid or received for this referral, either way.",
    )
    arrangement_kind = models.CharField(
        "kind of arrangement", max_length=20, choices=ArrangementKind.choices, blank=True
    )
    arrangement_terms = models.CharField(
        "amount or basis", max_length=300, blank=True, help_text="E.g. 25% of the first year's fee."
    )
    disclosure_text = models.TextField("disclosure given to the client", blank=True)
    disclosure_file = models.FileField(
        "disclosure document", upload_to="disclosures/%Y/%m/", blank=True, max_length=300
    )
    disclosure_file_name = models.CharField(
        "document name", max_length=200, blank=True, help_text="The name it was uploaded with."
    )
    delivered_on = models.DateField("disclosure delivered on", null=True, blank=True)
    delivery_method = models.CharField(
        "delivered how", max_length=20, choices=DeliveryMethod.choices, blank=True
    )
    acknowledged_on = models.DateField("client acknowledged on", null=True, blank=True)
    acknowledgement_method = models.CharField(
        "acknowledged how", max_length=20, choices=AcknowledgementMethod.choices, blank=True
    )
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords(bases=[AuditedHistory], excluded_fields=["updated_at"])

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(delivered_on__isnull=True) | ~Q(delivery_method=""),
                name="referraldisclosure_delivery_has_method",
            ),
            models.CheckConstraint(
                condition=Q(acknowledged_on__isnull=True) | ~Q(acknowledgement_method=""),
                name="referraldisclosure_acknowledgement_has_method",
            ),
        ]

    def __str__(self) -> str:
        return f"Disclosure of referral {self.referral_id}"

    @property
    def has_document(self) -> bool:
        return bool(self.disclosure_file)

    @property
    def missing(self) -> list[str]:
        """The pieces of evidence not recorded yet (see ``missing_evidence``)."""
        pieces = (
            (self.disclosure_text.strip() or self.disclosure_file, MISSING_DISCLOSURE),
            (self.delivered_on, MISSING_DELIVERED_ON),
            (self.delivery_method, MISSING_DELIVERY_METHOD),
            (self.acknowledged_on, MISSING_ACKNOWLEDGED_ON),
            (self.acknowledgement_method, MISSING_ACKNOWLEDGEMENT_METHOD),
        )
        return [name for value, name in pieces if not value]


def evidence_incomplete() -> Q:
    """On ReferralDisclosure: some piece of the evidence is missing (as ``missing`` says)."""
    return (
        (Q(disclosure_text="") & Q(disclosure_file=""))
        | Q(delivered_on__isnull=True)
        | Q(delivery_method="")
        | Q(acknowledged_on__isnull=True)
        | Q(acknowledgement_method="")
    )


def disclosure_of(referral: Referral) -> ReferralDisclosure | None:
    try:
        return referral.disclosure
    except ReferralDisclosure.DoesNotExist:
        return None


def missing_evidence(referral: Referral) -> list[str]:
    """What a referral lacks before it may pass the introduction: nothing unless it is
    compensated and its firm requires the evidence."""
    disclosure = disclosure_of(referral)
    if disclosure is None or not disclosure.compensated:
        return []
    if not referral.firm.requires_disclosure_evidence:
        return []
    return disclosure.missing


def check_evidence(
    referral: Referral, statuses: Iterable[str], *, field: str = "status", step: bool = False
) -> None:
    """Refuse moving ``referral`` through ``statuses`` while required evidence is missing,
    naming the first gated status and every missing piece."""
    gated = [status for status in statuses if status in EVIDENCE_GATED_STATUSES]
    if not gated:
        return
    missing = missing_evidence(referral)
    if missing:
        message = STEP_EVIDENCE_REQUIRED if step else EVIDENCE_REQUIRED
        label = ReferralStatus(gated[0]).label
        raise ValidationError({field: message.format(status=label, missing="; ".join(missing))})
