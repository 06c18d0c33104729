"""One search over what an advisor may see: partners (by name, organization, email, phone,
notes, profile and tag), touches and notes (by their summary) and referrals (by need, notes and
the person referred), ranked by the database's full-text search.

A kind of result is one class in ``SOURCES``: which records it searches (always through the
visibility rule of their app), and how a hit reads.
"""

import datetime as dt
from dataclasses import dataclass
from typing import Any, ClassVar

from django.db.models import Case, Exists, FloatField, OuterRef, Q, QuerySet, Value, When
from django.urls import reverse

from reciprocity.accounts.models import User
from reciprocity.partners.models import Partner, Tag, Touch, TouchKind
from reciprocity.partners.selectors import partners_visible_to
from reciprocity.referrals.models import Referral
from reciprocity.referrals.selectors import referrals_visible_to
from reciprocity.search.fulltext import INDEXED, full_text, terms_of

# A tag is a deliberate label: a partner carrying the tag searched for ranks with a strong match.
TAG_RANK = 1.0


@dataclass(frozen=True)
class Hit:
    kind: str  # "partner", "touch", "note", "referral"
    label: str
    title: str
    detail: str
    url: str
    partner_id: int
    partner_name: str
    at: dt.datetime | None
    rank: float


class Source:
    slug: ClassVar[str]
    # What a hit reads besides the record itself, fetched in the same query.
    related: ClassVar[tuple[str, ...]] = ("partner",)

    def records(self, advisor: User) -> QuerySet[Any]:
        raise NotImplementedError

    def hit(self, record: Any) -> Hit:
        raise NotImplementedError

    def matching(self, advisor: User, terms: list[str]) -> QuerySet[Any]:
        return full_text().match(self.records(advisor), INDEXED[self.slug], terms)


class PartnerSource(Source):
    slug = "partner"
    related = ()

    def records(self, advisor: User) -> QuerySet[Partner]:
        return partners_visible_to(advisor=advisor)

    def matching(self, advisor: User, terms: list[str]) -> QuerySet[Any]:
        text = super().matching(advisor, terms)
        tagged_q = Q()
        for term in terms:
            tagged_q &= Q(name__istartswith=term) | Q(name__icontains=f" {term}")
        tagged = self.records(advisor).filter(
            Exists(Tag.objects.filter(tagged_q, partners=OuterRef("pk")))
        )
        # Both halves are small, ranked sets: one union, ranked by the better of the two.
        ranks = {p.pk: p.rank for p in text.only("pk")}
        for pk in tagged.values_list("pk", flat=True):
            ranks[pk] = max(ranks.get(pk, 0.0), TAG_RANK)
        return _ranked(self.records(advisor).filter(pk__in=ranks), ranks)

    def hit(self, record: Partner) -> Hit:
        return Hit(
            kind="partner",
            label="Partner",
            title=record.name,
            detail=" · ".join(
                part
                for part in (record.organization, record.profession_label, record.email)
                if part
            ),
            url=reverse("partner_detail", args=[record.pk]),
            partner_id=record.pk,
            partner_name=record.name,
            at=record.last_touch_at,
            rank=record.rank,  # type: ignore[attr-defined]
        )


def _hit_about_partner(
    record: Touch | Referral, *, kind: str, label: str, title: str, url: str
) -> Hit:
    """A hit on a record of one partner, which it names."""
    return Hit(
        kind=kind,
        label=label,
        title=title,
        detail=record.partner.name,
        url=url,
        partner_id=record.partner_id,
        partner_name=record.partner.name,
        at=record.occurred_at,
        rank=record.rank,  # type: ignore[union-attr]
    )


class TouchSource(Source):
    slug = "touch"

    def records(self, advisor: User) -> QuerySet[Touch]:
        return Touch.objects.live().filter(
            partner__in=partners_visible_to(advisor=advisor).values("pk")
        )

    def hit(self, record: Touch) -> Hit:
        is_note = record.kind == TouchKind.NOTE
        return _hit_about_partner(
            record,
            kind="note" if is_note else "touch",
            label="Note" if is_note else record.get_kind_display(),
            title=record.summary,
            url=reverse("partner_detail", args=[record.partner_id]),
        )


class ReferralSource(Source):
    slug = "referral"

    def records(self, advisor: User) -> QuerySet[Referral]:
        return referrals_visible_to(advisor=advisor)

    def hit(self, record: Referral) -> Hit:
        return _hit_about_partner(
            record,
            kind="referral",
            label=f"{record.get_kind_display()} {record.get_direction_display().lower()}",
            title=record.need,
            url=reverse("referral_detail", args=[record.pk]),
        )


SOURCES: list[Source] = [PartnerSource(), TouchSource(), ReferralSource()]


def _ranked(qs: QuerySet[Any], ranks: dict[int, float]) -> QuerySet[Any]:
    whens = [When(pk=pk, then=Value(rank)) for pk, rank in ranks.items()]
    return qs.annotate(rank=Case(*whens, default=Value(0.0), output_field=FloatField()))


@dataclass(frozen=True)
class Results:
    hits: list[Hit]
    count: int


def search(*, advisor: User, text: str, limit: int = 50, offset: int = 0) -> Results:
    """Everything ``advisor`` may see that matches ``text``, best match first.

    Each source gives its best ``offset + limit`` hits and its count (two queries per source);
    the hits are merged by rank, which each database computes on one scale for all sources.
    """
    terms = terms_of(text)
    if not terms:
        return Results([], 0)
    hits: list[Hit] = []
    count = 0
    for source in SOURCES:
        matching = source.matching(advisor, terms)
        count += matching.count()
        best = matching.order_by("-rank", "-pk")
        if source.related:
            best = best.select_related(*source.related)
        hits.extend(source.hit(record) for record in best[: offset + limit])
    hits.sort(key=lambda hit: (-hit.rank, hit.title.lower()))
    return Results(hits[offset : offset + limit], count)
