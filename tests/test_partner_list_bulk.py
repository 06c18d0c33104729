"""The partner list's filters (tag, last touch older than N days, diagnosis, with the others)
and its bulk actions: move stage, reassign, share with a team, tag, archive, export. Each bulk
write is one transaction through the services, attributed in the history; a refusal for one
partner changes none."""

import csv
import datetime as dt
import io

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from reciprocity.partners import bulk
from reciprocity.partners.forms import partners_listed
from reciprocity.partners.models import Partner, Stage
from reciprocity.partners.services import partner_update
from tests.conftest import Cast, client_for
from tests.factories import PartnerFactory, TeamFactory
from tests.web import queries_for

pytestmark = pytest.mark.django_db


def listed(cast: Cast, **params: str) -> list[str]:
    _form, _filters, partners = partners_listed(advisor=cast.alice, params=params)
    return [partner.name for partner in partners]


def test_the_list_filters_by_tag(cast: Cast) -> None:
    partner_update(partner=cast.alice_shared, by=cast.alice, tags=["estate"])
    assert listed(cast, tag="estate") == ["Sam Shared"]


def test_the_list_filters_by_last_touch_older_than_n_days(cast: Cast) -> None:
    now = timezone.now()
    Partner.objects.filter(pk=cast.alice_private.pk).update(last_touch_at=now - dt.timedelta(100))
    Partner.objects.filter(pk=cast.alice_shared.pk).update(last_touch_at=now - dt.timedelta(10))
    never = PartnerFactory(owner=cast.alice, name="Nia Never")
    assert listed(cast, quiet_days="90") == [never.name, "Priya Private"]
    assert listed(cast, quiet_days="5") == [never.name, "Priya Private", "Sam Shared"]


def test_a_bad_number_of_days_is_shown_and_ignored(cast: Cast) -> None:
    form, filters, _partners = partners_listed(advisor=cast.alice, params={"quiet_days": "-3"})
    assert form.errors["quiet_days"]
    assert filters.quiet_days is None


def test_the_list_filters_by_diagnosis(cast: Cast) -> None:
    from reciprocity.partners.diagnosed import diagnosed_partner_ids

    partner_update(partner=cast.alice_shared, by=cast.alice, can_describe_value="no")
    Partner.objects.filter(pk=cast.alice_shared.pk).update(stage=Stage.ACTIVE)
    assert diagnosed_partner_ids(cast.alice, "wrong_message") == {cast.alice_shared.pk}
    assert listed(cast, diagnosis="wrong_message") == ["Sam Shared"]


def test_filters_combine(cast: Cast) -> None:
    partner_update(partner=cast.alice_shared, by=cast.alice, tags=["estate"])
    assert listed(cast, tag="estate", stage="champion") == []


def test_the_page_shows_the_new_filters_and_the_bulk_form(cast: Cast) -> None:
    html = client_for(cast.alice).get("/partners/").content.decode()
    for name in ('name="tag"', 'name="quiet_days"', 'name="diagnosis"', 'id="bulk-form"'):
        assert name in html
    assert f'name="partner" value="{cast.alice_private.pk}" form="bulk-form"' in html


def test_a_read_only_user_gets_no_bulk_form(cast: Cast) -> None:
    assert 'id="bulk-form"' not in client_for(cast.cole).get("/partners/").content.decode()


def test_the_list_reads_a_constant_number_of_queries(cast: Cast) -> None:
    client = client_for(cast.alice)
    few = queries_for(lambda: client.get("/partners/"))
    for n in range(15):
        PartnerFactory(owner=cast.alice, name=f"More {n}")
    assert queries_for(lambda: client.get("/partners/")) == few


def bulk_post(cast: Cast, action: str, partners: list[Partner], by=None, **fields: str):  # type: ignore[no-untyped-def]
    data = {"action": action, "partner": [str(p.pk) for p in partners], "next": "/partners/"}
    return client_for(by or cast.alice).post("/partners/bulk/", {**data, **fields})


def test_bulk_move_stage_moves_each_and_records_the_move(cast: Cast) -> None:
    both = [cast.alice_private, cast.alice_shared]
    response = bulk_post(cast, "move_stage", both, stage="qualified")
    assert response.status_code == 302
    for partner in both:
        partner.refresh_from_db()
        assert partner.stage == Stage.QUALIFIED
        change = partner.stage_changes.get()
        assert change.by == cast.alice
        assert partner.history.latest().history_user == cast.alice


def test_bulk_retire_needs_a_reason(cast: Cast) -> None:
    response = bulk_post(cast, "move_stage", [cast.alice_private], stage="retired")
    assert response.status_code == 302
    cast.alice_private.refresh_from_db()
    assert cast.alice_private.stage == Stage.IDENTIFIED


def test_a_refused_bulk_action_keeps_the_ticked_rows_and_the_choices_once(cast: Cast) -> None:
    client = client_for(cast.alice)
    chosen = [cast.alice_private, cast.alice_shared]
    data = {"action": "move_stage", "stage": "retired", "next": "/partners/"}
    client.post("/partners/bulk/", {**data, "partner": [str(p.pk) for p in chosen]})

    kept = client.get("/partners/").content.decode()
    later = client.get("/partners/").content.decode()

    for partner in chosen:
        assert (
            f'value="{partner.pk}" form="bulk-form" aria-label="Choose {partner.name}" checked'
            in kept
        )
    assert '<option value="retired" selected>' in kept
    assert " checked>" not in later
    assert '<option value="retired" selected>' not in later


def test_one_refusal_changes_none(cast: Cast) -> None:
    # Bob is not in a team with Priya's owner only... the archived one refuses the move.
    archived = PartnerFactory(owner=cast.alice, name="Aaron Archived")
    Partner.objects.filter(pk=archived.pk).update(archived_at=timezone.now())
    with pytest.raises(ValidationError) as refused:
        bulk.partner_bulk_apply(
            partner_ids=[cast.alice_private.pk, archived.pk],
            by=cast.alice,
            action=bulk.MoveStage(stage=Stage.QUALIFIED),
        )
    assert "Aaron Archived" in str(refused.value)
    cast.alice_private.refresh_from_db()
    assert cast.alice_private.stage == Stage.IDENTIFIED


def test_a_firm_admin_reassigns_partners_to_a_colleague(cast: Cast) -> None:
    both = [cast.alice_private, cast.alice_shared]
    bulk_post(cast, "reassign", both, by=cast.ada, owner=str(cast.bob.pk))
    cast.alice_private.refresh_from_db()
    cast.alice_shared.refresh_from_db()
    assert (cast.alice_private.owner, cast.alice_shared.owner) == (cast.bob, cast.bob)
    assert cast.alice_shared.team == cast.north  # bob is in North too


def test_reassigning_to_someone_outside_the_team_stops_the_sharing(cast: Cast) -> None:
    bulk.partner_bulk_apply(
        partner_ids=[cast.alice_shared.pk], by=cast.ada, action=bulk.Reassign(owner=cast.carol)
    )
    cast.alice_shared.refresh_from_db()
    assert (cast.alice_shared.owner, cast.alice_shared.team) == (cast.carol, None)


def test_an_advisor_is_not_offered_to_reassign(cast: Cast) -> None:
    html = client_for(cast.alice).get("/partners/").content.decode()
    assert 'value="reassign"' not in html
    assert 'value="reassign"' in client_for(cast.ada).get("/partners/").content.decode()


def test_bulk_share_with_a_team(cast: Cast) -> None:
    bulk_post(cast, "share", [cast.alice_private], team=str(cast.north.pk))
    cast.alice_private.refresh_from_db()
    assert cast.alice_private.team == cast.north


def test_bulk_share_with_someone_elses_team_is_refused(cast: Cast) -> None:
    other = TeamFactory(firm=cast.firm, name="South", members=[cast.carol])
    bulk_post(cast, "share", [cast.alice_private], team=str(other.pk))
    cast.alice_private.refresh_from_db()
    assert cast.alice_private.team is None


def test_bulk_tag_adds_the_tag_and_keeps_the_others(cast: Cast) -> None:
    partner_update(partner=cast.alice_private, by=cast.alice, tags=["cpa network"])
    bulk_post(cast, "tag", [cast.alice_private, cast.alice_shared], tag="tax season")
    assert sorted(t.name for t in cast.alice_private.tags.all()) == ["cpa network", "tax season"]
    assert [t.name for t in cast.alice_shared.tags.all()] == ["tax season"]


def test_bulk_archive_archives_them(cast: Cast) -> None:
    bulk_post(cast, "archive", [cast.alice_private, cast.alice_shared])
    assert Partner.objects.filter(archived_at__isnull=False).count() == 2


def test_bulk_on_a_partner_of_another_firm_changes_nothing(cast: Cast) -> None:
    bulk_post(cast, "archive", [cast.alice_private, cast.mallory_partner])
    assert not Partner.objects.filter(archived_at__isnull=False).exists()


def test_bulk_with_nothing_chosen_says_so(cast: Cast) -> None:
    response = client_for(cast.alice).post("/partners/bulk/", {"action": "archive"}, follow=True)
    assert bulk.NONE_SELECTED in response.content.decode()


def test_a_read_only_user_cannot_bulk_change(cast: Cast) -> None:
    response = client_for(cast.cole).post(
        "/partners/bulk/", {"action": "archive", "partner": [str(cast.alice_private.pk)]}
    )
    assert response.status_code == 403


def test_bulk_export_is_the_lists_own_csv_of_the_chosen(cast: Cast) -> None:
    partner_update(partner=cast.alice_private, by=cast.alice, name="=cmd()")
    PartnerFactory(owner=cast.alice, name="Not Chosen")
    client = client_for(cast.alice)
    chosen = [cast.alice_private, cast.alice_shared]
    response = client.post(
        "/partners/bulk/", {"action": "export", "partner": [str(p.pk) for p in chosen]}
    )
    assert response.status_code == 302
    assert response["Location"].startswith("/partners/export/?format=csv&partner=")
    exported = client.get(response["Location"])
    assert exported["Content-Type"].startswith("text/csv")
    text = b"".join(exported.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    # The columns of "Export this list".
    whole = client.get("/partners/export/", {"format": "csv"})
    header = next(csv.reader(io.StringIO(b"".join(whole.streaming_content).decode("utf-8-sig"))))
    assert rows[0] == header
    assert sorted(row[header.index("Name")] for row in rows[1:]) == ["'=cmd()", "Sam Shared"]


def test_a_read_only_user_may_export(cast: Cast) -> None:
    client = client_for(cast.cole)
    response = client.post(
        "/partners/bulk/", {"action": "export", "partner": [str(cast.alice_private.pk)]}
    )
    assert response.status_code == 302
    assert client.get(response["Location"]).status_code == 200
