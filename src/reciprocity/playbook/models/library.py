"""The firm's diagnostic library (what we solve, the question bank) and what is learnt about
a partner's clients with it: their concerns and anonymous client cases."""

from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords

from reciprocity.accounts.models import AuditedHistory, Firm
from reciprocity.partners.models import Partner
from reciprocity.playbook.models.strategies import Strategy
from reciprocity.records import ArchivableQuerySet


class Topic(models.TextChoices):
    RETIREMENT = "retirement", "Retirement"
    BUSINESS_OWNER = "business_owner", "Business owner"
    ESTATE = "estate", "Estate"
    TAX = "tax", "Tax"
    INSURANCE = "insurance", "Insurance"


class Solution(models.Model):
    """An entry of the firm's "what we solve" library: a problem clients have and our answer."""

    firm = models.ForeignKey(Firm, on_delete=models.PROTECT, related_name="solutions")
    title = models.CharField(max_length=200)
    topic = models.CharField(max_length=20, choices=Topic.choices, blank=True)
    problem = models.TextField(help_text="The problem as clients describe it.")
    approach = models.TextField("how we solve it")
    keywords = models.CharField(
        max_length=500, blank=True, help_text="Comma-separated words that signal this problem."
    )
    archived_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords(bases=[AuditedHistory])

    objects = ArchivableQuerySet["Solution"].as_manager()

    class Meta:
        ordering = ["title", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["firm", "title"], name="solution_title_unique_in_firm")
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def keyword_list(self) -> list[str]:
        return [word.strip().lower() for word in self.keywords.split(",") if word.strip()]


class ConcernSource(models.TextChoices):
    CLIENT_COMPLAINT = "client_complaint", "A client's complaint"
    IDENTIFIED_PROBLEM = "identified_problem", "A problem the partner sees"


STRATEGY_OF_CONCERN = {
    ConcernSource.CLIENT_COMPLAINT: Strategy.CLIENT_COMPLAINTS,
    ConcernSource.IDENTIFIED_PROBLEM: Strategy.IDENTIFIED_PROBLEMS,
}


class ConcernStatus(models.TextChoices):
    OPEN = "open", "Open"
    MATCHED = "matched", "Matched"
    DISMISSED = "dismissed", "Dismissed"


class ClientConcern(models.Model):
    """A concern a partner's client voiced, or a problem the partner sees in a client's affairs."""

    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="concerns")
    source = models.CharField(max_length=20, choices=ConcernSource.choices)
    description = models.TextField()
    topic = models.CharField(max_length=20, choices=Topic.choices, blank=True)
    heard_on = models.DateField()
    status = models.CharField(
        max_length=10, choices=ConcernStatus.choices, default=ConcernStatus.OPEN
    )
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords(bases=[AuditedHistory])

    class Meta:
        ordering = ["-heard_on", "-pk"]

    def __str__(self) -> str:
        return self.description[:80]


class DiagnosticQuestion(models.Model):
    """A question of the firm's bank, asked about a partner's anonymous client."""

    firm = models.ForeignKey(Firm, on_delete=models.PROTECT, related_name="diagnostic_questions")
    topic = models.CharField(max_length=20, choices=Topic.choices)
    text = models.CharField(max_length=500)
    position = models.PositiveSmallIntegerField(default=0)
    archived_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords(bases=[AuditedHistory])

    objects = ArchivableQuerySet["DiagnosticQuestion"].as_manager()

    class Meta:
        ordering = ["topic", "position", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["firm", "topic", "text"], name="question_unique_in_topic"
            )
        ]

    def __str__(self) -> str:
        return self.text


class CaseStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    READY = "ready", "Ready"


class ClientCase(models.Model):
    """One of the partner's top clients, described without a name, to diagnose and solve."""

    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="client_cases")
    alias = models.CharField(max_length=80, help_text="A label, never the client's name.")
    description = models.TextField()
    status = models.CharField(max_length=10, choices=CaseStatus.choices, default=CaseStatus.DRAFT)
    solution = models.TextField("prepared solution", blank=True)
    ready_at = models.DateTimeField(null=True, blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords(bases=[AuditedHistory])

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.alias


class CaseQuestion(models.Model):
    """A diagnostic question as asked about one case (copied from the bank), and its answer."""

    case = models.ForeignKey(ClientCase, on_delete=models.CASCADE, related_name="questions")
    question = models.ForeignKey(
        DiagnosticQuestion, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    topic = models.CharField(max_length=20, choices=Topic.choices)
    text = models.CharField(max_length=500)
    position = models.PositiveSmallIntegerField(default=0)
    answer = models.TextField(blank=True)
    history = HistoricalRecords(bases=[AuditedHistory])

    class Meta:
        ordering = ["case", "position", "pk"]

    def __str__(self) -> str:
        return self.text
