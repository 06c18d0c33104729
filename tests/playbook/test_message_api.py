"""The advisor's message, the message checks and the calendar feed through the API."""

import datetime as dt

import pytest
from django.utils import timezone

from reciprocity.api.errors import FIELD_UNKNOWN
from reciprocity.dates import IN_THE_FUTURE
from reciprocity.partners.models import Partner
from reciprocity.partners.services import ARCHIVED_PARTNER
from reciprocity.playbook.models import MessageCheck
from reciprocity.playbook.services.message import MESSAGE_REQUIRED
from tests.api_client import ApiClient, refused, token_client
from tests.conftest import Cast
from tests.playbook.helpers import ok

pytestmark = pytest.mark.django_db


def test_the_advisors_message_is_read_and_written(playbook_cast: Cast, api: ApiClient) -> None:
    assert ok(api.call("GET", "me/message")) == {
        "whom_i_help": "",
        "what_is_unique": "",
        "has_message": False,
        "weekly_digest": True,
    }
    refused(
        api.call("PUT", "me/message", {"whom_i_help": "Dentists", "what_is_unique": ""}),
        "what_is_unique",
        MESSAGE_REQUIRED,
    )
    body = {
        "whom_i_help": "Dentists",
        "what_is_unique": "We sell practices",
        "weekly_digest": False,
    }
    assert ok(api.call("PUT", "me/message", body)) == {**body, "has_message": True}


def test_a_partner_is_checked_on_saying_the_message_back(
    playbook_cast: Cast, api: ApiClient
) -> None:
    partner = playbook_cast.alice_shared
    path = f"partners/{partner.pk}/message-checks"
    assert ok(api.call("GET", path)) == {"items": [], "count": 0}

    earlier = (timezone.now() - dt.timedelta(days=40)).replace(microsecond=0)
    first = ok(
        api.call(
            "POST",
            path,
            {
                "result": "no",
                "heard": " Something about investments? ",
                "checked_at": earlier.isoformat(),
            },
        ),
        201,
    )
    assert (first["result"], first["heard"], first["partner"]) == (
        "no",
        "Something about investments?",
        {"id": partner.pk, "name": partner.name},
    )
    assert dt.datetime.fromisoformat(first["checked_at"]) == earlier
    assert first["by"]["username"] == "alice"
    assert ok(api.call("GET", f"partners/{partner.pk}"))["can_describe_value"] == "no"

    bob = token_client(playbook_cast.bob)  # a teammate the partner is shared with
    second = ok(bob.call("POST", path, {"result": "yes"}), 201)
    assert second["heard"] == ""
    assert ok(api.call("GET", f"partners/{partner.pk}"))["can_describe_value"] == "yes"
    assert ok(api.call("GET", path)) == {"items": [second, first], "count": 2}
    record = MessageCheck.history.get(id=second["id"])  # type: ignore[attr-defined]
    assert (record.history_user, record.history_source) == (playbook_cast.bob, "api")
    partner_record = Partner.history.filter(id=partner.pk).latest("history_date")  # type: ignore[attr-defined]
    assert (partner_record.can_describe_value, partner_record.history_source) == ("yes", "api")


def test_a_refused_message_check_saves_nothing(playbook_cast: Cast, api: ApiClient) -> None:
    partner = playbook_cast.alice_private
    path = f"partners/{partner.pk}/message-checks"
    future = (timezone.now() + dt.timedelta(days=2)).isoformat()

    refused(api.call("POST", path, {"result": "maybe"}), "result", None)
    refused(api.call("POST", path, {"result": "unknown"}), "result", None)
    refused(
        api.call("POST", path, {"result": "yes", "checked_at": future}), "checked_at", IN_THE_FUTURE
    )
    refused(
        api.call("POST", path, {"result": "yes", "occurred_at": future}),
        "occurred_at",
        FIELD_UNKNOWN,
    )
    refused(api.call("POST", path, {"result": "yes", "heard": "x" * 1001}), "heard", None)
    Partner.objects.filter(pk=partner.pk).update(archived_at=timezone.now())
    refused(api.call("POST", path, {"result": "yes"}), None, ARCHIVED_PARTNER)
    assert not MessageCheck.objects.exists()
    partner.refresh_from_db()
    assert partner.can_describe_value == "unknown"


def test_the_calendar_feed_url_is_given_once(playbook_cast: Cast, api: ApiClient) -> None:
    assert ok(api.call("GET", "calendar-feed"))["live"] is False
    created = ok(api.call("POST", "calendar-feed"), 201)
    assert created["url"].startswith("http://testserver/calendar/cal_")
    status = ok(api.call("GET", "calendar-feed"))
    assert status["live"] is True
    assert "url" not in status
    path = created["url"].removeprefix("http://testserver")
    assert api.get(path).status_code == 200
    assert ok(api.call("POST", "calendar-feed/revoke")) == {"revoked": 1}
    assert api.get(path).status_code == 404
