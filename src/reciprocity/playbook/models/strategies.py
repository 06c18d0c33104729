"""The referral strategy run with each partner, and the opportunities strategies produce."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from reciprocity.accounts.models import AuditedHistory
from reciprocity.partners.models import Partner, Touch
from reciprocity.playbook.models.meetings import Meeting


class Strategy(models.TextChoices):
    """The influencer referral spectrum, from the least to the most sophisticated."""

    CLIENT_REQUESTED = "client_requested", "Client-requested referral"
    CLIENT_COMPLAINTS = "client_complaints", "Harvesting client complaints"
    IDENTIFIED_PROBLEMS = "identified_problems", "Professionally identified problems"
    TALK_CLIENTS = "talk_clients", "Talk clients, not concepts"
    JOINT_CLIENT_WORK = "joint_client_work", "Co-hosted client events and joint reviews"


STRATEGY_RUNGS = {strategy: rung for rung, strategy in enumerate(Strategy, start=1)}


class PartnerStrategy(models.Model):
    """A switch of the strategy run with a partner; the latest is the current one."""

    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="strategies")
    strategy = models.CharField(max_length=24, choices=Strategy.choices)
    started_at = models.DateTimeField()
    note = models.TextField(blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    history = HistoricalRecords(bases=[AuditedHistory])

    class Meta:
        ordering = ["-started_at", "-pk"]
        verbose_name_plural = "partner strategies"
        indexes = [models.Index(fields=["partner", "started_at"], name="strategy_partner_at")]

    def __str__(self) -> str:
        return f"{self.partner}: {self.get_strategy_display()}"


class OpportunityStatus(models.TextChoices):
    OPEN = "open", "Awaiting the meeting request"
    MEETING_REQUESTED = "meeting_requested", "Meeting requested"
    REFERRED = "referred", "Referred"
    DECLINED = "declined", "Declined"


OPEN_OPPORTUNITY_STATUSES = [OpportunityStatus.OPEN, OpportunityStatus.MEETING_REQUESTED]


class Opportunity(models.Model):
    """A chance to be introduced to a partner's client, produced by a strategy.

    It ends in a meeting request and, with luck, a received referral: linked here, the referral
    marks the opportunity referred, so each strategy's yield counts referrals and new clients.
    """

    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="opportunities")
    strategy = models.CharField(max_length=24, choices=Strategy.choices)
    title = models.CharField(max_length=200)
    proposal = models.TextField("what we bring to the partner", blank=True)
    status = models.CharField(
        max_length=20, choices=OpportunityStatus.choices, default=OpportunityStatus.OPEN
    )
    # The library's records by name: the library builds on the strategies, not the other way round.
    concern = models.ForeignKey(
        "playbook.ClientConcern",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="opportunities",
    )
    solution = models.ForeignKey(
        "playbook.Solution",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="opportunities",
    )
    case = models.OneToOneField(
        "playbook.ClientCase",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="opportunity",
    )
    meeting = models.ForeignKey(
        Meeting,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="opportunities",
        help_text="The co-hosted event or joint review it came from.",
    )
    ask_by = models.DateField("ask for the meeting by")
    meeting_requested_at = models.DateTimeField(null=True, blank=True)
    request_touch = models.OneToOneField(
        Touch, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    outcome_note = models.TextField(blank=True)
    # The received referral it produced. By name, so the referrals app knows nothing of this one.
    # Nothing deletes a referral but the retention purge of archived ones: the opportunity is not
    # part of its referral, so it stays, referred and unlinked (PROTECT would purge it too).
    referral = models.OneToOneField(
        "referrals.Referral",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="opportunity",
        help_text="The referral received from the partner that this opportunity produced.",
    )
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords(bases=[AuditedHistory])

    class Meta:
        ordering = ["ask_by", "pk"]
        verbose_name_plural = "opportunities"
        indexes = [
            models.Index(fields=["partner", "status"], name="opportunity_partner_status"),
            # The agenda's meeting requests: the open ones by ask-by day, whoever's partner.
            models.Index(fields=["status", "ask_by", "partner"], name="opportunity_status_ask_by"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["concern", "solution"], name="opportunity_one_per_concern_solution"
            ),
            models.CheckConstraint(
                condition=Q(referral__isnull=True) | Q(status=OpportunityStatus.REFERRED),
                name="opportunity_linked_is_referred",
            ),
        ]

    def __str__(self) -> str:
        return self.title
