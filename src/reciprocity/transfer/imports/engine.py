"""The walk through an import: every row checked, matched against the advisor's book and
counted; with ``write`` the partners are created or updated in batches as it goes.

A partner in the file is the same as one in the book when the source's external id says so,
else the email, else the name within the organization (compared without case or punctuation).
A row that is the same as an earlier row of the file is refused and names that line. Touches
come after the partners, so they can name a partner the file has just brought in. Each
partner created is told (``partner.created``), a batch at a time, in the import's transaction.
"""

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone
from simple_history.utils import get_history_manager_for_model

from reciprocity import events
from reciprocity.accounts.audit import history_rows_created
from reciprocity.accounts.models import User
from reciprocity.accounts.selectors import advisors_of_firm
from reciprocity.partners.models import (
    Partner,
    Profession,
    Stage,
    StageChange,
    Tag,
    Touch,
    moves_back,
)
from reciprocity.partners.services import record_move, refresh_stays, touch_stats
from reciprocity.transfer.imports.bulk import insert_with_history
from reciprocity.transfer.imports.formats import Table
from reciprocity.transfer.imports.mapping import Mapping, normal
from reciprocity.transfer.imports.models import ExternalId
from reciprocity.transfer.imports.rows import (
    RETIRED_BY_IMPORT,
    PartnerRow,
    Refusal,
    RowChecker,
    TouchChecker,
    TouchRow,
    name_key,
)

# User-facing messages; tests reuse them.
SAME_AS_LINE = "The same partner as line {line}; each partner once per file."
OWNER_UNKNOWN = "No advisor of your firm is named {owner!r}."
OWNER_AMBIGUOUS = "Several advisors of your firm are called {owner!r}; give their username."
OWNER_NOT_YOURS = "Only a firm admin imports partners for another advisor."
OWNER_NOT_CHANGED = (
    "{partner} is {owner}'s in the book; an import does not change an owner: hand the partner "
    "over on their page, or leave the owner empty."
)
STAGE_NOT_BACK = (
    "The file moves {partner} back from {current} to {stage}; an import moves partners forward "
    "only: move them back on their page, or leave the stage empty."
)
STAGE_NOT_FROM_RETIRED = (
    "{partner} was walked away from (retired); an import does not bring a partner back: move "
    "them on their page, or leave the stage empty."
)
STAGE_BEFORE_LAST = "The stage date is before the partner's last stage change ({when:%Y-%m-%d})."
NO_SUCH_PARTNER = "No partner {key!r} in your book or in the file."
AMBIGUOUS_PARTNER = "Several partners are called {key!r}; name them by id or email."
POSSIBLE_DUPLICATE = "{name} may be {existing}, already in the book (line {line})."

BATCH = 1000
HISTORY = {"history_source": "import"}
# Refused rows kept for the report; the counts go on past it.
MAX_REFUSALS_KEPT = 10_000


@dataclass
class Outcome:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    touches: int = 0
    rows: int = 0
    refused: list[Refusal] = field(default_factory=list)
    refused_count: int = 0
    duplicates: list[str] = field(default_factory=list)

    def refuse(self, refusals: list[Refusal]) -> None:
        self.refused_count += len(refusals)
        room = MAX_REFUSALS_KEPT - len(self.refused)
        if room > 0:
            self.refused.extend(refusals[:room])

    def as_dict(self) -> dict[str, Any]:
        return {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "touches": self.touches,
            "refused": [refusal.as_dict() for refusal in self.refused],
            "duplicates": self.duplicates,
        }


Progress = Callable[[int], None]


class Book:
    """The partners an advisor sees, indexed by what an import matches on."""

    def __init__(self, by: User, source: str) -> None:
        partners = Partner.objects.visible_to(by).live().order_by()
        self.by_email: dict[str, int] = {}
        self.by_name: dict[str, int] = {}
        self.by_plain_name: dict[str, list[int]] = {}
        self.labels: dict[int, str] = {}
        for pk, name, organization, email in partners.values_list(
            "pk", "name", "organization", "email"
        ).iterator(chunk_size=5000):
            if email:
                self.by_email.setdefault(email.lower(), pk)
            self.by_name.setdefault(name_key(name, organization), pk)
            self.by_plain_name.setdefault(normal(name), []).append(pk)
            self.labels[pk] = f"{name} ({organization})" if organization else name
        self.by_external = dict(
            ExternalId.objects.filter(owner=by, source=source).values_list(
                "external_id", "partner_id"
            )
        )

    def match(self, row: PartnerRow) -> int | None:
        if row.external_id and row.external_id in self.by_external:
            return self.by_external[row.external_id]
        if row.email and row.email in self.by_email:
            return self.by_email[row.email]
        return self.by_name.get(name_key(row.name, row.organization))

    def add(self, pk: int, row: PartnerRow) -> None:
        if row.external_id:
            self.by_external[row.external_id] = pk
        if row.email:
            self.by_email.setdefault(row.email, pk)
        self.by_name.setdefault(name_key(row.name, row.organization), pk)
        self.by_plain_name.setdefault(normal(row.name), []).append(pk)

    def find(self, key: str) -> int | None:
        """The partner a touches file names: external id, email or name."""
        text = key.strip()
        if text in self.by_external:
            return self.by_external[text]
        if text.lower() in self.by_email:
            return self.by_email[text.lower()]
        found = self.by_plain_name.get(normal(text), [])
        if len(found) > 1:
            raise ValidationError(AMBIGUOUS_PARTNER.format(key=key))
        if not found:
            raise ValidationError(NO_SUCH_PARTNER.format(key=key))
        return found[0]


def _row_key(row: PartnerRow) -> int:
    """The row's identity for duplicates within the file, as a hash: a million keys fit."""
    if row.external_id:
        return hash(("id", row.external_id))
    if row.email:
        return hash(("email", row.email))
    return hash(("name", name_key(row.name, row.organization)))


class Walk:
    def __init__(
        self,
        *,
        by: User,
        table: Table,
        mapping: Mapping,
        source: str,
        touches: Table | None = None,
        write: bool = False,
        progress: Progress | None = None,
    ) -> None:
        assert by.firm is not None
        self.by = by
        self.table = table
        self.checker = RowChecker(table.header, mapping)
        self.source = source
        self.touches = touches
        self.touch_checker = TouchChecker(touches.header) if touches else None
        if self.touch_checker:
            self.touch_checker.check_header()
        self.write = write
        self.progress = progress or (lambda _rows: None)
        self.outcome = Outcome()
        self.book = Book(by, source)
        self.seen: dict[int, int] = {}
        self.matched_lines: dict[int, int] = {}
        self.now = timezone.now()
        self.owners: dict[str, User] = {}
        self.owners_by_name: dict[str, list[User]] = {}
        for user in advisors_of_firm(user=by):
            self.owners[user.username] = user
            self.owners_by_name.setdefault(normal(user.display_name), []).append(user)
        self.first_touch: dict[str, dt.datetime] = {}
        self.next_new = -1  # stand-in ids of partners a dry run would create

    def run(self) -> Outcome:
        touch_rows = list(self._touch_rows()) if self.touches else []
        first_refusal = len(self.outcome.refused)
        batch: list[PartnerRow] = []
        for line, cells in self.table.rows:
            self.outcome.rows += 1
            checked = self.checker.partner(line, cells)
            if isinstance(checked, list):
                self.outcome.refuse(checked)
                continue
            batch.append(checked)
            if len(batch) >= BATCH:
                self._batch(batch)
                batch = []
                self.progress(self.outcome.rows)
        if batch:
            self._batch(batch)
        # The partners' refusals in the file's order: a batch refuses its updates after the rest.
        refused = self.outcome.refused
        refused[first_refusal:] = sorted(refused[first_refusal:], key=lambda r: r.line)
        self.progress(self.outcome.rows)
        if touch_rows:
            self._touches(touch_rows)
        return self.outcome

    # --- Touches, read first: the earliest names when history starts ---------------------

    def _touch_rows(self) -> Iterator[TouchRow]:
        assert self.touches is not None
        assert self.touch_checker is not None
        for line, cells in self.touches.rows:
            checked = self.touch_checker.touch(line, cells)
            if isinstance(checked, list):
                self.outcome.refuse(checked)
                continue
            key = checked.partner.strip().lower()
            earliest = self.first_touch.get(key)
            if earliest is None or checked.occurred_at < earliest:
                self.first_touch[key] = checked.occurred_at
            yield checked

    def _history_starts(self, row: PartnerRow) -> dt.datetime:
        """When a new partner's stage began: as the file says, else its first touch, else now."""
        if row.stage_since:
            return row.stage_since
        keys = [row.external_id.lower(), row.email, row.name.strip().lower()]
        dates = [self.first_touch[key] for key in keys if key and key in self.first_touch]
        return min(dates) if dates else self.now

    # --- Partners ---------------------------------------------------------------------------

    def _column(self, field_name: str) -> str:
        return self.checker.names[self.checker.columns[field_name][0]]

    def _owner(self, row: PartnerRow) -> User | Refusal | None:
        """The advisor the row names (by username, or by name as the list's export writes it),
        None when it names none."""
        if not row.owner:
            return None
        owner = self.owners.get(row.owner)
        if owner is not None:
            return owner
        named = self.owners_by_name.get(normal(row.owner), [])
        if len(named) == 1:
            return named[0]
        message = OWNER_AMBIGUOUS if named else OWNER_UNKNOWN
        return Refusal(row.line, self._column("owner"), message.format(owner=row.owner))

    def _refuse_repeat(self, row: PartnerRow, earlier: int) -> None:
        """The row is a partner an earlier line is: refused in the column that says who (its
        id, else its email, else its name)."""
        given = {"external_id": row.external_id, "email": row.email}
        said = [
            name
            for name in ("external_id", "email", "name", "first_name", "last_name")
            if given.get(name, True) and name in self.checker.columns
        ]
        column = self._column(said[0]) if said else ""
        self.outcome.refuse([Refusal(row.line, column, SAME_AS_LINE.format(line=earlier))])

    def _created_by(self, row: PartnerRow, owner: User | None) -> User | Refusal:
        """Who owns a partner the row creates, or why it is not created."""
        if row.stage == Stage.RETIRED:
            return Refusal(row.line, self._column("stage"), RETIRED_BY_IMPORT)
        if owner is None or owner.pk == self.by.pk:
            return self.by
        if not self.by.sees_whole_firm:
            return Refusal(row.line, self._column("owner"), OWNER_NOT_YOURS)
        return owner

    def _batch(self, rows: list[PartnerRow]) -> None:
        creates: list[tuple[PartnerRow, User]] = []
        # A matched row's owner, or why the name is no advisor's: the partner's own owner may
        # have left the firm, and an export names them still.
        matched: dict[int, tuple[PartnerRow, User | Refusal | None]] = {}
        for row in rows:
            key = _row_key(row)
            earlier = self.seen.get(key)
            if earlier is not None:
                self._refuse_repeat(row, earlier)
                continue
            self.seen[key] = row.line
            owner = self._owner(row)
            pk = self.book.match(row)
            if pk is None or pk < 0:
                if isinstance(owner, Refusal):
                    self.outcome.refuse([owner])
                    continue
                created_by = self._created_by(row, owner)
                if isinstance(created_by, Refusal):
                    self.outcome.refuse([created_by])
                    continue
                creates.append((row, created_by))
                continue
            earlier = self.matched_lines.setdefault(pk, row.line)
            if earlier != row.line:
                self._refuse_repeat(row, earlier)
                continue
            matched[pk] = (row, owner)
        self._updates(matched)
        self._creates(creates)

    def _creates(self, creates: list[tuple[PartnerRow, User]]) -> None:
        for row, _owner in creates:
            similar = self.book.by_plain_name.get(normal(row.name), [])
            existing = [pk for pk in similar if pk > 0]
            if existing and len(self.outcome.duplicates) < MAX_REFUSALS_KEPT:
                self.outcome.duplicates.append(
                    POSSIBLE_DUPLICATE.format(
                        name=row.name, existing=self.book.labels[existing[0]], line=row.line
                    )
                )
        self.outcome.created += len(creates)
        if not self.write:
            # Touches may name partners the file brings; without touches nothing asks, and a
            # million-row file keeps no index of itself.
            if self.touches is not None:
                for row, _owner in creates:
                    self.book.add(self.next_new, row)
                    self.next_new -= 1
            return
        assert self.by.firm is not None
        partners = []
        for row, owner in creates:
            profile = {"profession": row.guessed_profession or Profession.OTHER, **row.profile}
            partner = Partner(
                firm=self.by.firm,
                owner=owner,
                name=row.name,
                stage=row.stage or Stage.IDENTIFIED,
                stage_changed_at=self._history_starts(row),
                **profile,
            )
            # Its one move, recorded below.
            record_move(partner, partner.stage, partner.stage_changed_at)
            partners.append(partner)
        created = insert_with_history(partners, by=self.by)
        # Told in the import's transaction: an import rolled back tells nothing.
        events.partners_created(created)
        changes = [
            StageChange(
                partner=partner,
                from_stage="",
                to_stage=partner.stage,
                occurred_at=partner.stage_changed_at,
                recorded_at=self.now,
                by=self.by,
            )
            for partner in created
        ]
        insert_with_history(changes, by=self.by)
        ids = [
            self._external_id(partner, row)
            for partner, (row, _owner) in zip(created, creates, strict=True)
            if row.external_id
        ]
        if ids:
            insert_with_history(ids, by=self.by)
        self._tags(
            {
                partner.pk: row.tags
                for partner, (row, _o) in zip(created, creates, strict=True)
                if row.tags
            }
        )
        if self.touches is not None:
            for partner, (row, _owner) in zip(created, creates, strict=True):
                self.book.add(partner.pk, row)

    def _external_id(self, partner: Partner, row: PartnerRow) -> ExternalId:
        return ExternalId(
            partner=partner, owner=self.by, source=self.source, external_id=row.external_id
        )

    def _tags(self, wanted: dict[int, list[str]], replace: bool = False) -> None:
        if not wanted:
            return
        assert self.by.firm is not None
        names = {name for tags in wanted.values() for name in tags}
        Tag.objects.bulk_create(
            [Tag(firm=self.by.firm, name=name) for name in names], ignore_conflicts=True
        )
        ids = dict(Tag.objects.filter(firm=self.by.firm, name__in=names).values_list("name", "pk"))
        through = Partner.tags.through
        if replace:
            through.objects.filter(partner_id__in=wanted).delete()
        through.objects.bulk_create(
            [
                through(partner_id=pk, tag_id=ids[name])
                for pk, tags in wanted.items()
                for name in set(tags)
            ],
            ignore_conflicts=True,
        )

    def _refusal_of_update(
        self, partner: Partner, row: PartnerRow, owner: User | Refusal | None
    ) -> Refusal | None:
        """Why the row may not update ``partner``: what an import does not decide."""
        if isinstance(owner, Refusal):
            # A name that is no advisor's now may still be the partner's owner.
            named = {normal(partner.owner.username), normal(partner.owner.display_name)}
            if normal(row.owner) not in named:
                return owner
        elif owner is not None and owner.pk != partner.owner_id:
            return Refusal(
                row.line,
                self._column("owner"),
                OWNER_NOT_CHANGED.format(partner=partner.name, owner=partner.owner.display_name),
            )
        if not row.stage or row.stage == partner.stage:
            return None
        message = ""
        if partner.stage == Stage.RETIRED:
            message = STAGE_NOT_FROM_RETIRED.format(partner=partner.name)
        elif row.stage == Stage.RETIRED:
            message = RETIRED_BY_IMPORT
        elif moves_back(partner.stage, row.stage):
            message = STAGE_NOT_BACK.format(
                partner=partner.name,
                current=Stage(partner.stage).label,
                stage=Stage(row.stage).label,
            )
        elif (row.stage_since or self.now) < partner.stage_changed_at:
            message = STAGE_BEFORE_LAST.format(when=partner.stage_changed_at)
        return Refusal(row.line, self._column("stage"), message) if message else None

    def _updates(self, matched: dict[int, tuple[PartnerRow, User | Refusal | None]]) -> None:
        if not matched:
            return
        partners = (
            Partner.objects.filter(pk__in=matched).select_related("owner").prefetch_related("tags")
        )
        changed: list[Partner] = []
        fields: set[str] = set()
        stage_changes: list[StageChange] = []
        retag: dict[int, list[str]] = {}
        ids: list[ExternalId] = []
        known_ids = set(
            ExternalId.objects.filter(partner_id__in=matched, source=self.source).values_list(
                "partner_id", flat=True
            )
        )
        for partner in partners:
            row, owner = matched[partner.pk]
            refusal = self._refusal_of_update(partner, row, owner)
            if refusal is not None:
                self.outcome.refuse([refusal])
                continue
            edits = {
                name: value
                for name, value in row.profile.items()
                if getattr(partner, name) != value
            }
            if row.tags is not None and {t.name for t in partner.tags.all()} != set(row.tags):
                retag[partner.pk] = row.tags
            if row.stage and row.stage != partner.stage:
                when = row.stage_since or self.now
                stage_changes.append(
                    StageChange(
                        partner=partner,
                        from_stage=partner.stage,
                        to_stage=row.stage,
                        occurred_at=when,
                        recorded_at=self.now,
                        by=self.by,
                    )
                )
                edits.update(
                    stage=row.stage, stage_changed_at=when, **record_move(partner, row.stage, when)
                )
            if row.external_id and partner.pk not in known_ids:
                ids.append(self._external_id(partner, row))
            if not edits and partner.pk not in retag:
                self.outcome.unchanged += 1
                continue
            self.outcome.updated += 1
            for name, value in edits.items():
                setattr(partner, name, value)
            partner.updated_at = self.now
            fields |= set(edits)
            changed.append(partner)
        if not self.write:
            return
        if changed:
            Partner.objects.bulk_update(changed, fields=sorted(fields | {"updated_at"}))
            rows = get_history_manager_for_model(Partner).bulk_history_create(
                changed, update=True, default_user=self.by, custom_historical_attrs=HISTORY
            )
            history_rows_created.send(
                sender=Partner, model=Partner, history_ids=[row.pk for row in rows]
            )
        if stage_changes:
            insert_with_history(stage_changes, by=self.by)
            refresh_stays(change.partner_id for change in stage_changes)
        if ids:
            insert_with_history(ids, by=self.by)
        self._tags(retag, replace=True)

    # --- Touches, written after the partners ---------------------------------------------

    def _touches(self, rows: list[TouchRow]) -> None:
        touches: list[Touch] = []
        touched: set[int] = set()
        for row in rows:
            try:
                pk = self.book.find(row.partner)
            except ValidationError as error:
                assert self.touch_checker is not None
                column = self.touch_checker.header[self.touch_checker.index["partner"]]
                self.outcome.refuse([Refusal(row.line, column, " ".join(error.messages))])
                continue
            assert pk is not None
            self.outcome.touches += 1
            if not self.write:
                continue
            touched.add(pk)
            touches.append(
                Touch(
                    partner_id=pk,
                    kind=row.kind,
                    summary=row.summary,
                    occurred_at=row.occurred_at,
                    by=self.by,
                )
            )
            if len(touches) >= BATCH * 5:
                self._write_touches(touches)
                touches = []
        if touches:
            self._write_touches(touches)
        if touched:
            touch_stats_refresh(touched)

    def _write_touches(self, touches: list[Touch]) -> None:
        insert_with_history(touches, by=self.by)


def touch_stats_refresh(partner_ids: set[int]) -> None:
    """Count and last touches of many partners from their touches, a chunk at a time (the
    partners' own rule, applied set-wise)."""
    ids = sorted(partner_ids)
    for start in range(0, len(ids), BATCH):
        Partner.objects.filter(pk__in=ids[start : start + BATCH]).update(
            updated_at=timezone.now(), **touch_stats()
        )
