"""Factories for every model; tests build the data they need from these."""

import datetime as dt
import random
from typing import Any

import factory
from django.utils import timezone

from reciprocity import events
from reciprocity.accounts.models import Firm, Role, Team, User
from reciprocity.integrations.webhooks.models import WebhookEndpoint, new_secret
from reciprocity.partners.models import (
    CanDescribeValue,
    Commitment,
    CommitmentOwner,
    Partner,
    Profession,
    Propensity,
    ReferralProcess,
    Stage,
    StageChange,
    Touch,
    TouchKind,
)
from reciprocity.partners.services import (
    MOVE_FIELDS,
    _refresh_next_step_due,
    _refresh_touch_stats,
    partner_change_stage,
    partner_create,
    refresh_move_stats,
    refresh_stays,
)
from reciprocity.playbook.models import (
    AdvisorProfile,
    ClientConcern,
    ConcernSource,
    Meeting,
    MeetingKind,
    Opportunity,
    Solution,
    Strategy,
)
from reciprocity.playbook.services.agreements import PromiseInput, agreement_create
from reciprocity.referrals.models import Direction, Kind, Referral, lifecycle_of
from reciprocity.referrals.services.ledger import REFERRAL_MARKS, referral_marks_refresh


class FirmFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Firm

    name = factory.Sequence(lambda n: f"Firm {n}")
    slug = factory.Sequence(lambda n: f"firm-{n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    firm = factory.SubFactory(FirmFactory)
    username = factory.Sequence(lambda n: f"advisor{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    role = Role.ADVISOR
    password = factory.django.Password("correct horse battery staple")


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team
        skip_postgeneration_save = True

    firm = factory.SubFactory(FirmFactory)
    name = factory.Sequence(lambda n: f"Team {n}")

    @factory.post_generation
    def members(self, create: bool, extracted: list[User] | None, **kwargs: object) -> None:
        if create and extracted:
            self.members.set(extracted)


class PartnerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Partner

    owner = factory.SubFactory(UserFactory)
    firm = factory.LazyAttribute(lambda p: p.owner.firm)
    name = factory.Faker("name")
    profession = Profession.CPA
    # Not a random company name: searches in tests ("harbor", "carl") must not match by chance.
    organization = factory.Sequence(lambda n: f"Practice {n}")
    stage = Stage.IDENTIFIED
    stage_changed_at = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(days=30))


class StageChangeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StageChange
        skip_postgeneration_save = True

    partner = factory.SubFactory(PartnerFactory)
    from_stage = ""
    to_stage = factory.LazyAttribute(lambda c: c.partner.stage)
    occurred_at = factory.LazyAttribute(lambda c: c.partner.stage_changed_at)
    by = factory.LazyAttribute(lambda c: c.partner.owner)

    @factory.post_generation
    def stats(self, create: bool, extracted: Any, **kwargs: Any) -> None:
        """The partner's first meeting and furthest stage, and when each move was left, as the
        stage writes keep them."""
        if create:
            refresh_move_stats(Partner.objects.filter(pk=self.partner_id))
            refresh_stays([self.partner_id])
            self.partner.refresh_from_db(fields=MOVE_FIELDS)
            self.refresh_from_db(fields=["left_at"])


class TouchFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Touch
        skip_postgeneration_save = True

    partner = factory.SubFactory(PartnerFactory)
    kind = TouchKind.CALL
    summary = factory.Faker("sentence", nb_words=6)
    occurred_at = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(days=3))
    by = factory.LazyAttribute(lambda t: t.partner.owner)

    @factory.post_generation
    def stats(self, create: bool, extracted: Any, **kwargs: Any) -> None:
        """The partner's touch count and last touch, as the services keep them."""
        if create:
            _refresh_touch_stats(self.partner_id)


class CommitmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Commitment
        skip_postgeneration_save = True

    partner = factory.SubFactory(PartnerFactory)
    what = factory.Faker("sentence", nb_words=5)
    owner = CommitmentOwner.ADVISOR
    due = factory.LazyFunction(lambda: timezone.localdate() + dt.timedelta(days=7))
    by = factory.LazyAttribute(lambda c: c.partner.owner)

    @factory.post_generation
    def next_step(self, create: bool, extracted: Any, **kwargs: Any) -> None:
        """The partner's next step due day, as the services keep it."""
        if create:
            _refresh_next_step_due(self.partner_id)


class WebhookEndpointFactory(factory.django.DjangoModelFactory):
    """An endpoint of the admin's firm that wants every event."""

    class Meta:
        model = WebhookEndpoint

    created_by = factory.SubFactory(UserFactory, role=Role.FIRM_ADMIN)
    firm = factory.LazyAttribute(lambda e: e.created_by.firm)
    url = "https://hooks.example.com/reciprocity"
    description = "The CRM"
    events = factory.LazyFunction(lambda: list(events.TYPES))
    secret = factory.LazyFunction(new_secret)


class AdvisorProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AdvisorProfile

    user = factory.SubFactory(UserFactory)
    whom_i_help = "Business owners planning their exit in the next ten years"
    what_is_unique = "We plan the sale, the taxes and the life after it as one project"


class MeetingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Meeting

    partner = factory.SubFactory(PartnerFactory)
    kind = MeetingKind.FIRST
    scheduled_for = factory.LazyFunction(lambda: timezone.now() + dt.timedelta(days=2))
    duration_minutes = 30
    by = factory.LazyAttribute(lambda m: m.partner.owner)


class SolutionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Solution

    firm = factory.SubFactory(FirmFactory)
    title = factory.Sequence(lambda n: f"Solution {n}")
    problem = "A problem clients describe"
    approach = "How we solve it"
    keywords = "worry, plan"


class ClientConcernFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ClientConcern

    partner = factory.SubFactory(PartnerFactory)
    source = ConcernSource.CLIENT_COMPLAINT
    description = factory.Faker("sentence", nb_words=10)
    heard_on = factory.LazyFunction(timezone.localdate)
    by = factory.LazyAttribute(lambda c: c.partner.owner)


class OpportunityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Opportunity

    partner = factory.SubFactory(PartnerFactory)
    strategy = Strategy.CLIENT_REQUESTED
    title = factory.Faker("sentence", nb_words=5)
    ask_by = factory.LazyFunction(lambda: timezone.localdate() + dt.timedelta(days=3))
    by = factory.LazyAttribute(lambda o: o.partner.owner)


class ReferralFactory(factory.django.DjangoModelFactory):
    """A bare ledger row (no steps, no status history): use the services for the full flow."""

    class Meta:
        model = Referral
        skip_postgeneration_save = True

    partner = factory.SubFactory(PartnerFactory)
    firm = factory.LazyAttribute(lambda r: r.partner.firm)
    direction = Direction.SENT
    kind = Kind.REFERRAL
    need = factory.Faker("sentence", nb_words=6)
    status = factory.LazyAttribute(lambda r: lifecycle_of(r.direction, r.kind).initial)
    occurred_at = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(days=5))
    status_changed_at = factory.LazyAttribute(lambda r: r.occurred_at)
    by = factory.LazyAttribute(lambda r: r.partner.owner)

    @factory.post_generation
    def marks(self, create: bool, extracted: Any, **kwargs: Any) -> None:
        """What the partner keeps of its referrals, as the referrals' writes keep it."""
        if create:
            referral_marks_refresh([self.partner_id])
            self.partner.refresh_from_db(fields=REFERRAL_MARKS)


def ago(days: float) -> dt.datetime:
    return timezone.now() - dt.timedelta(days=days)


def met_partner(
    owner: User, *, days_ago: int, stage: str = Stage.FIRST_MEETING, **profile: Any
) -> Partner:
    """A partner first met ``days_ago`` days ago, through the services (so the stage history
    is there), moved on to ``stage`` a day later."""
    partner = partner_create(
        by=owner,
        name="Carla Reyes",
        profession=Profession.CPA,
        stage=Stage.FIRST_MEETING,
        occurred_at=ago(days_ago),
        **profile,
    )
    if stage != Stage.FIRST_MEETING:
        partner_change_stage(partner=partner, by=owner, stage=stage, occurred_at=ago(days_ago - 1))
    return partner


def agreement_in_force(partner: Partner, by: User) -> None:
    """A written agreement with a promise on each side, reviewed in 300 days."""
    agreement_create(
        partner=partner,
        by=by,
        promises=[
            PromiseInput(CommitmentOwner.ADVISOR, "Send the estate-planning article"),
            PromiseInput(CommitmentOwner.PARTNER, "Introduce us to the owners' association"),
        ],
        referral_process=ReferralProcess.EMAIL_THREAD,
        next_review=timezone.localdate() + dt.timedelta(days=300),
    )


def random_partner(
    rng: random.Random,
    *,
    owner: User,
    team: Team | None,
    name: str,
    stage: str,
    touches: int,
    referrals: int,
    touch_days: int = 900,
) -> Partner:
    """A partner of a varied book, drawn from rng: a profile, the stage change into its stage,
    up to `touches` touches (in the last `touch_days`) and up to `referrals` referrals both ways
    and of both kinds. The same rng state gives the same partner."""
    partner = PartnerFactory(
        owner=owner,
        team=team,
        name=name,
        stage=stage,
        stage_changed_at=ago(rng.randint(20, 900)),
        growth_mode=rng.choice([None, True, False]),
        propensity_to_refer=rng.choice([None, *Propensity.values]),
        can_describe_value=rng.choice(CanDescribeValue.values),
    )
    StageChangeFactory(
        partner=partner,
        occurred_at=partner.stage_changed_at,
        reason="other" if stage == Stage.RETIRED else "",
    )
    for _ in range(rng.randint(0, touches)):
        TouchFactory(partner=partner, occurred_at=ago(rng.randint(0, touch_days)))
    for _ in range(rng.randint(0, referrals)):
        ReferralFactory(
            partner=partner,
            direction=rng.choice(Direction.values),
            kind=rng.choice(Kind.values),
            occurred_at=ago(rng.randint(0, 900)),
        )
    return partner
