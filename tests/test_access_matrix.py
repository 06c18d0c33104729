"""Every route of the product, and who may reach the records it names.

The table below lists EVERY URL pattern (the web pages, allauth's pages and the API's
operations, found by walking the URL resolver; the API's methods come from its OpenAPI
document). A route that names a record says how to build one that belongs to alice (or, for
the firm admin's pages, to her firm) and which methods to try: a teammate she has not shared it
with, an advisor of another firm and a firm admin of another firm must all get a 404, for reads
and writes alike, and nothing may change. Routes without a record id say what they are.

A new route that is not in the table fails ``test_every_route_is_in_the_matrix``: add it here,
with how to build its record. The admin site is one rule (staff only), checked for each of its
routes.
"""

import datetime as dt
import io
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from reciprocity.accounts.models import Role, User
from reciprocity.accounts.services import token_create
from reciprocity.api.api import api
from reciprocity.integrations.models import MailInMessage
from reciprocity.integrations.services import mail_address_renew, mail_receive
from reciprocity.integrations.webhooks.models import (
    DeliveryStatus,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)
from reciprocity.partners.models import Commitment, Partner, Touch
from reciprocity.playbook.models import (
    Agreement,
    ClientCase,
    DiagnosticQuestion,
    Meeting,
    MeetingPlan,
    MeetingPlanItem,
    MessageCheck,
    Solution,
)
from reciprocity.playbook.services.agreements import PromiseInput, agreement_create
from reciprocity.playbook.services.firm import firm_defaults_install
from reciprocity.playbook.services.library import case_create
from reciprocity.referrals.models import Referral, ReferralDisclosure, ReferralLink
from reciprocity.referrals.services.confirmations import referral_link_create
from reciprocity.referrals.services.disclosures import referral_disclosure_attach
from reciprocity.referrals.services.ledger import referral_create
from reciprocity.transfer.imports.models import ImportRun
from reciprocity.transfer.imports.services import ImportFiles, import_run_create
from tests.api_client import token_client
from tests.conftest import Cast
from tests.factories import (
    ClientConcernFactory,
    CommitmentFactory,
    MeetingFactory,
    OpportunityFactory,
    UserFactory,
    WebhookEndpointFactory,
)

pytestmark = pytest.mark.django_db

Kwargs = Callable[[Cast], dict[str, Any]]


@dataclass(frozen=True)
class Route:
    """How to test one route: ``target`` builds the URL's arguments for a record that only
    ``owner`` (and whoever it is shared with) may reach; None when the route names no record."""

    target: Kwargs | None
    methods: tuple[str, ...] = ("GET",)
    owner: str = "alice"
    body: dict[str, Any] | None = None
    what: str = ""
    # A row of the firm's own playbook: the whole firm reads it (its admins edit it), so only
    # other firms must get a 404.
    firm_wide: bool = False


def no_id(what: str) -> Route:
    return Route(target=None, what=what)


# --- Records of alice's (and her firm's) the others must not reach --------------------------


def api_token(cast: Cast) -> dict[str, Any]:
    return {"pk": token_create(user=cast.alice, name="sync")[0].pk}


def partner(cast: Cast) -> dict[str, Any]:
    return {"pk": cast.alice_private.pk}


def api_partner(cast: Cast) -> dict[str, Any]:
    return {"id": cast.alice_private.pk}


def _diagnosed(cast: Cast) -> dict[str, Any]:
    """alice's partner, met and unable to say her message back: wrong_message."""
    Partner.objects.filter(pk=cast.alice_private.pk).update(
        stage="first_meeting", can_describe_value="no"
    )
    return {"pk": cast.alice_private.pk, "slug": "wrong_message"}


def partner_diagnosis(cast: Cast) -> dict[str, Any]:
    return _diagnosed(cast)


def api_partner_diagnosis(cast: Cast) -> dict[str, Any]:
    kwargs = _diagnosed(cast)
    return {"id": kwargs["pk"], "slug": kwargs["slug"]}


def _import_run(cast: Cast) -> ImportRun:
    files = ImportFiles(data=b"Name,Profession\nJane Doe,cpa\n", file_name="book.csv")
    return import_run_create(by=cast.alice, files=files)


def import_run(cast: Cast) -> dict[str, Any]:
    return {"pk": _import_run(cast).pk}


def api_import_run(cast: Cast) -> dict[str, Any]:
    return {"id": _import_run(cast).pk}


def _commitment(cast: Cast) -> Commitment:
    existing = Commitment.objects.filter(partner=cast.alice_private).first()
    return existing or CommitmentFactory(partner=cast.alice_private, what="Private promise")


def commitment(cast: Cast) -> dict[str, Any]:
    return {"pk": cast.alice_private.pk, "commitment_pk": _commitment(cast).pk}


def api_commitment(cast: Cast) -> dict[str, Any]:
    return {"id": _commitment(cast).pk}


def meeting(cast: Cast) -> dict[str, Any]:
    return {
        "partner_id": cast.alice_private.pk,
        "meeting_id": MeetingFactory(partner=cast.alice_private).pk,
    }


def _referral(cast: Cast) -> Referral:
    existing = Referral.objects.filter(partner=cast.alice_private, direction="sent").first()
    return existing or referral_create(
        by=cast.alice, partner=cast.alice_private, direction="sent", need="Estate plan"
    )


def referral(cast: Cast) -> dict[str, Any]:
    return {"pk": _referral(cast).pk}


def _with_document(cast: Cast) -> Referral:
    found = _referral(cast)
    if not ReferralDisclosure.objects.filter(referral=found).exclude(disclosure_file="").exists():
        referral_disclosure_attach(
            referral=found, by=cast.alice, upload=io.BytesIO(b"%PDF-1.4\n"), name="d.pdf"
        )
    return found


def referral_document(cast: Cast) -> dict[str, Any]:
    return {"pk": _with_document(cast).pk}


def api_referral_document(cast: Cast) -> dict[str, Any]:
    return {"id": _with_document(cast).pk}


def referral_step(cast: Cast) -> dict[str, Any]:
    first = _referral(cast).steps.order_by("position").first()
    assert first is not None
    return {"pk": first.referral_id, "slug": first.slug}


def referral_follow_up(cast: Cast) -> dict[str, Any]:
    received = referral_create(
        by=cast.alice,
        partner=cast.alice_private,
        direction="received",
        need="A prospect",
        follow_up=True,
    )
    assert received.thank_you_commitment_id is not None
    return {"pk": received.pk, "commitment_pk": received.thank_you_commitment_id}


def api_referral(cast: Cast) -> dict[str, Any]:
    return {"id": _referral(cast).pk}


def api_referral_step(cast: Cast) -> dict[str, Any]:
    kwargs = referral_step(cast)
    return {"id": kwargs["pk"], "slug": kwargs["slug"]}


# --- Her firm's webhook endpoints (its admins only) ---


def _webhook(cast: Cast) -> WebhookEndpoint:
    existing = WebhookEndpoint.objects.filter(firm=cast.firm).first()
    return existing or WebhookEndpointFactory(created_by=cast.ada)


def _webhook_delivery(cast: Cast) -> WebhookDelivery:
    endpoint = _webhook(cast)
    existing = WebhookDelivery.objects.filter(endpoint=endpoint).first()
    if existing:
        return existing
    event = WebhookEvent.objects.create(
        firm=cast.firm,
        type="touch.logged",
        subject="partner:1",
        payload={},
        created_at=timezone.now(),
    )
    return WebhookDelivery.objects.create(
        endpoint=endpoint,
        event=event,
        subject=event.subject,
        status=DeliveryStatus.DELIVERED,
        next_attempt_at=timezone.now(),
    )


def webhook(cast: Cast) -> dict[str, Any]:
    return {"pk": _webhook(cast).pk}


def webhook_delivery(cast: Cast) -> dict[str, Any]:
    delivery = _webhook_delivery(cast)
    return {"pk": delivery.endpoint_id, "delivery_pk": delivery.pk}


def api_webhook(cast: Cast) -> dict[str, Any]:
    return {"id": _webhook(cast).pk}


def api_webhook_delivery(cast: Cast) -> dict[str, Any]:
    delivery = _webhook_delivery(cast)
    return {"id": delivery.endpoint_id, "delivery_id": delivery.pk}


# --- The playbook's records of alice's partner, and her firm's playbook ---


def _playbook_firm(cast: Cast) -> None:
    if not MeetingPlan.objects.filter(firm=cast.firm).exists():
        firm_defaults_install(firm=cast.firm)


def _partner_record(cast: Cast, field: str, record: Any) -> dict[str, Any]:
    return {"partner_id": cast.alice_private.pk, field: record.pk}


def concern(cast: Cast) -> dict[str, Any]:
    return _partner_record(cast, "concern_id", ClientConcernFactory(partner=cast.alice_private))


def opportunity(cast: Cast) -> dict[str, Any]:
    return _partner_record(cast, "opportunity_id", OpportunityFactory(partner=cast.alice_private))


def _case(cast: Cast) -> ClientCase:
    _playbook_firm(cast)
    existing = ClientCase.objects.filter(partner=cast.alice_private).first()
    return existing or case_create(
        partner=cast.alice_private, by=cast.alice, alias="A", description="d", topics=["tax"]
    )


def case(cast: Cast) -> dict[str, Any]:
    return _partner_record(cast, "case_id", _case(cast))


def case_question(cast: Cast) -> dict[str, Any]:
    question = _case(cast).questions.first()
    assert question is not None
    return {**case(cast), "question_id": question.pk}


def partner_with_agreement(cast: Cast) -> dict[str, Any]:
    if not Agreement.objects.filter(partner=cast.alice_private).exists():
        agreement_create(
            partner=cast.alice_private,
            by=cast.alice,
            promises=[PromiseInput("advisor", "a"), PromiseInput("partner", "b")],
            referral_process="email_thread",
            next_review=timezone.localdate() + dt.timedelta(days=90),
        )
    return partner(cast)


def plan(cast: Cast) -> dict[str, Any]:
    _playbook_firm(cast)
    first = MeetingPlan.objects.filter(firm=cast.firm).first()
    assert first is not None
    return {"plan_id": first.pk}


def plan_item(cast: Cast) -> dict[str, Any]:
    kwargs = plan(cast)
    item = MeetingPlanItem.objects.filter(plan_id=kwargs["plan_id"]).first()
    assert item is not None
    return {**kwargs, "item_id": item.pk}


def question(cast: Cast) -> dict[str, Any]:
    _playbook_firm(cast)
    first = DiagnosticQuestion.objects.filter(firm=cast.firm).first()
    assert first is not None
    return {"question_id": first.pk}


def solution(cast: Cast) -> dict[str, Any]:
    _playbook_firm(cast)
    first = Solution.objects.filter(firm=cast.firm).first()
    assert first is not None
    return {"solution_id": first.pk}


def api_agenda_key(cast: Cast) -> dict[str, Any]:
    return {"key": f"commitment:{cast.alice_private.pk}:{_commitment(cast).pk}"}


def api_agreement(cast: Cast) -> dict[str, Any]:
    partner_with_agreement(cast)
    agreement = Agreement.objects.filter(partner=cast.alice_private).first()
    assert agreement is not None
    return {"id": agreement.pk}


def api_meeting(cast: Cast) -> dict[str, Any]:
    return {"id": meeting(cast)["meeting_id"]}


def api_concern(cast: Cast) -> dict[str, Any]:
    return {"id": concern(cast)["concern_id"]}


def api_opportunity(cast: Cast) -> dict[str, Any]:
    return {"id": opportunity(cast)["opportunity_id"]}


def api_case(cast: Cast) -> dict[str, Any]:
    return {"id": _case(cast).pk}


def api_plan(cast: Cast) -> dict[str, Any]:
    return {"id": plan(cast)["plan_id"]}


def api_plan_item(cast: Cast) -> dict[str, Any]:
    kwargs = plan_item(cast)
    return {"id": kwargs["plan_id"], "item_id": kwargs["item_id"]}


def api_question(cast: Cast) -> dict[str, Any]:
    return {"id": question(cast)["question_id"]}


def api_solution(cast: Cast) -> dict[str, Any]:
    return {"id": solution(cast)["solution_id"]}


def mail_message(cast: Cast) -> dict[str, Any]:
    """A message from an unknown address waiting in alice's logging inbox."""
    address = mail_address_renew(by=cast.alice).address
    raw = (
        f"From: someone@else.example\r\nTo: someone@else.example\r\nDelivered-To: {address}"
        "\r\nSubject: Hello\r\nMessage-ID: <matrix@x>\r\n\r\nHi\r\n"
    ).encode()
    mail_receive(raw=raw)
    return {"pk": MailInMessage.objects.get(advisor=cast.alice).pk}


def person(cast: Cast) -> dict[str, Any]:
    return {"pk": cast.alice.pk}


def _referral_link(cast: Cast) -> ReferralLink:
    existing = ReferralLink.objects.filter(referral=_referral(cast)).first()
    return (
        existing
        or referral_link_create(referral=_referral(cast), by=cast.alice, purpose="receipt")[0]
    )


def referral_link(cast: Cast) -> dict[str, Any]:
    link = _referral_link(cast)
    return {"pk": link.referral_id, "link_pk": link.pk}


def api_referral_link(cast: Cast) -> dict[str, Any]:
    link = _referral_link(cast)
    return {"id": link.referral_id, "link_id": link.pk}


def team(cast: Cast) -> dict[str, Any]:
    return {"pk": cast.north.pk}


MATRIX: dict[str, Route] = {
    # The app's pages
    "home": no_id("redirects to the pipeline"),
    "health": no_id("database health for monitors"),
    "ready": no_id("readiness for load balancers: database, migrations, cache table"),
    "pipeline": no_id("the board of the user's visible partners"),
    "agenda": no_id("the user's due and overdue work"),
    "dashboard": no_id("the picture and diagnoses of the user's visible partners"),
    "partner_list": no_id("the user's visible partners"),
    "partner_bulk": no_id("the ticked partners the user may see (test_partner_list_bulk)"),
    "search": no_id("what the user may see (test_search, with the cast)"),
    "partner_create": no_id("a new partner of the user's"),
    "partner_detail": Route(partner),
    "partner_edit": Route(partner, ("GET", "POST")),
    "partner_stage": Route(partner, ("GET", "POST")),
    "touch_create": Route(partner, ("POST",)),
    "commitment_create": Route(partner, ("POST",)),
    "commitment_close": Route(commitment, ("POST",)),
    "partner_archive": Route(partner, ("POST",)),
    "partner_restore": Route(partner, ("POST",)),
    "partner_merge": Route(partner, ("GET", "POST")),
    "partner_export": no_id("the caller's partner list as a file, or their own book"),
    "partner_history": Route(partner),
    "partner_brief": Route(partner),
    "partner_review": Route(partner),
    "diagnosis_dismiss": Route(partner_diagnosis, ("POST",), body={"reason": "Sneaky"}),
    "meeting_ics": Route(meeting),
    "calendar_feed": no_id("a calendar found by the secret in its URL, not by a record id"),
    # The playbook of one of alice's partners
    "agenda_complete": no_id(
        "an agenda item named by the key in the form (playbook/test_agenda_web)"
    ),
    "agenda_snooze": no_id(
        "an agenda item named by the key in the form (playbook/test_agenda_web)"
    ),
    "agenda_unsnooze": no_id("the user's own snooze, by its key"),
    "strategy_switch": Route(partner, ("POST",)),
    "message_check": Route(partner, ("POST",)),
    "partner_cadences": Route(partner, ("GET", "POST")),
    "partner_cadence_reset": Route(partner, ("POST",)),
    "partner_meetings": Route(partner, ("GET", "POST")),
    "meeting_detail": Route(meeting, ("GET", "POST")),
    "meeting_cancel": Route(meeting, ("POST",)),
    "meeting_reschedule": Route(meeting, ("POST",)),
    "partner_agreement": Route(partner, ("GET", "POST")),
    "agreement_end": Route(partner_with_agreement, ("POST",)),
    "agreement_print": Route(partner_with_agreement),
    "partner_concerns": Route(partner, ("GET", "POST")),
    "concern_detail": Route(concern, ("GET", "POST")),
    "concern_dismiss": Route(concern, ("POST",)),
    "partner_opportunities": Route(partner, ("GET", "POST")),
    "opportunity_request": Route(opportunity, ("POST",)),
    "opportunity_close": Route(opportunity, ("POST",)),
    "opportunity_link": Route(opportunity, ("POST",)),
    "opportunity_unlink": Route(opportunity, ("POST",)),
    "partner_cases": Route(partner, ("GET", "POST")),
    "case_detail": Route(case, ("GET", "POST")),
    "case_ready": Route(case, ("POST",)),
    "case_questions_add": Route(case, ("POST",)),
    "case_question_remove": Route(case_question, ("POST",)),
    # The playbook's settings: the user's own, and the firm's (read by all, edited by admins)
    "playbook_home": no_id("the user's own playbook and their firm's"),
    "playbook_message": no_id("the user's own message"),
    "playbook_digest": no_id("the user's own digest setting"),
    "playbook_calendar": no_id("the user's own calendar feed"),
    "playbook_calendar_revoke": no_id("the user's own calendar feed"),
    "meeting_plans": no_id("the user's own firm's plans"),
    "meeting_plan": Route(plan, ("GET", "POST"), firm_wide=True),
    "plan_item_add": Route(plan, ("POST",), owner="ada", firm_wide=True),
    "plan_item_update": Route(plan_item, ("POST",), owner="ada", firm_wide=True),
    "plan_item_remove": Route(plan_item, ("POST",), owner="ada", firm_wide=True),
    "cadence_defaults": no_id("the user's own firm's defaults"),
    "cadence_default_remove": no_id("a stage and kind of the user's own firm: slugs, not ids"),
    "question_bank": no_id("the user's own firm's bank"),
    "question_detail": Route(question, ("GET", "POST"), firm_wide=True),
    "question_archive": Route(question, ("POST",), owner="ada", firm_wide=True),
    "solution_library": no_id("the user's own firm's library"),
    "solution_detail": Route(solution, ("GET", "POST"), firm_wide=True),
    "solution_archive": Route(solution, ("POST",), owner="ada", firm_wide=True),
    "mail_in": no_id("the user's own logging address and waiting messages"),
    "mail_in_renew": no_id("the user's own logging address"),
    "mail_in_file": Route(mail_message, ("POST",)),
    "mail_in_new_partner": Route(mail_message, ("POST",)),
    "mail_in_dismiss": Route(mail_message, ("POST",)),
    "mail_in_inbound": no_id("a mail provider's webhook, by the shared secret (off without one)"),
    "referral_list": no_id("the user's visible referrals"),
    "referral_create": no_id("a new referral with one of the user's partners"),
    "referral_balance": no_id("the balance of the user's visible partners"),
    "referral_protocols": no_id("the protocols of the user's own firm"),
    "referral_protocol_edit": no_id("a profession of the user's own firm: a slug, not an id"),
    "referral_protocol_reset": no_id("a profession of the user's own firm: a slug, not an id"),
    "referral_detail": Route(referral),
    "referral_edit": Route(referral, ("GET", "POST")),
    "referral_status": Route(referral, ("POST",)),
    "referral_consent": Route(referral, ("POST",)),
    "referral_consent_withdraw": Route(referral, ("POST",)),
    "referral_step": Route(referral_step, ("POST",)),
    "referral_follow_up": Route(referral_follow_up, ("POST",)),
    "referral_link_create": Route(referral, ("POST",)),
    "referral_link_revoke": Route(referral_link, ("POST",)),
    "partner_link": no_id(
        "public: a partner's one-time secret, not a record id (test_referral_links_web)"
    ),
    "referral_disclosure": Route(referral, ("POST",)),
    "referral_disclosure_document": Route(referral_document),
    "referral_archive": Route(referral, ("POST",)),
    "referral_restore": Route(referral, ("POST",)),
    # Firm administration: records of alice's firm, for its firm admins only
    "firm_people": no_id("the admin's own firm (403 for other roles)"),
    "firm_person": Route(person, ("GET", "POST"), owner="ada"),
    "firm_person_deactivate": Route(person, ("POST",), owner="ada"),
    "firm_person_reactivate": Route(person, ("POST",), owner="ada"),
    "firm_person_invite": Route(person, ("POST",), owner="ada"),
    "firm_teams": no_id("the admin's own firm (403 for other roles)"),
    "firm_team": Route(team, ("GET", "POST"), owner="ada"),
    "firm_settings": no_id("the admin's own firm (403 for other roles)"),
    "webhooks": no_id("the admin's own firm's endpoints (403 for other roles)"),
    "webhook_detail": Route(webhook, ("GET", "POST"), owner="ada"),
    "webhook_rotate": Route(webhook, ("POST",), owner="ada"),
    "webhook_switch": Route(webhook, ("POST",), owner="ada"),
    "webhook_archive": Route(webhook, ("POST",), owner="ada"),
    "webhook_resend": Route(webhook_delivery, ("POST",), owner="ada"),
    "audit_log": no_id("the reader's own firm (403 for advisors)"),
    "audit_export": no_id("the reader's own firm (403 for advisors)"),
    "audit_purge": no_id("the admin's own firm (403 for other roles)"),
    "audit_verify": no_id("the reader's own firm's chain (403 for advisors)"),
    "compliance_referrals": no_id("the reader's own firm (403 for advisors)"),
    # Sign-in, password and two-factor pages (django-allauth): about the user themselves
    "account_login": no_id("sign in"),
    "account_logout": no_id("sign out"),
    "account_inactive": no_id("says the account is deactivated"),
    "account_signup": no_id("closed: accounts come by invitation"),
    "account_reauthenticate": no_id("the user confirms their password"),
    "account_email": no_id("the user's own address"),
    "api_tokens": no_id("the user's own API tokens"),
    "api_token_revoke": Route(api_token, ("POST",)),
    "account_email_verification_sent": no_id("unused: no email verification"),
    "account_change_password": no_id("the user's own password"),
    "account_set_password": no_id("the user's own password"),
    "account_reset_password": no_id("asks for a reset link by email"),
    "account_reset_password_done": no_id("says the link was sent"),
    "account_reset_password_from_key": no_id("a one-time secret, not a record id"),
    "account_reset_password_from_key_done": no_id("says the password was set"),
    "account_confirm_email": no_id("a one-time secret, not a record id"),
    "account_confirm_login_code": no_id("a code typed by the user"),
    "mfa_index": no_id("the user's own authenticators"),
    "mfa_authenticate": no_id("the second step of the user's own sign-in"),
    "mfa_reauthenticate": no_id("the user confirms a code"),
    "mfa_activate_totp": no_id("the user's own authenticator app"),
    "mfa_deactivate_totp": no_id("the user's own authenticator app"),
    "mfa_view_recovery_codes": no_id("the user's own recovery codes"),
    "mfa_generate_recovery_codes": no_id("the user's own recovery codes"),
    "mfa_download_recovery_codes": no_id("the user's own recovery codes"),
    # The REST API
    "api:api-root": no_id("the API's root"),
    "api:openapi-json": no_id("the OpenAPI document"),
    "api:openapi-view": no_id("the interactive documentation"),
    "api_unknown": no_id("JSON 404 for unknown API paths"),
    "api:list_partners": no_id("the caller's visible partners"),
    "api:find_duplicates": no_id("likely duplicates among the caller's visible partners"),
    "api:merge_partner": Route(api_partner, body={"other": 1}),
    "api:export_partners": no_id("the caller's partner list as a file, or their own book"),
    "api:create_partner": no_id("a new partner of the caller's"),
    "api:get_partner": Route(api_partner),
    "api:update_partner": Route(api_partner, body={"name": "Renamed"}),
    "api:archive_partner": Route(api_partner),
    "api:restore_partner": Route(api_partner),
    "api:list_stage_changes": Route(api_partner),
    "api:change_stage": Route(api_partner, body={"stage": "qualified"}),
    "api:list_touches": Route(api_partner),
    "api:log_touch": Route(api_partner, body={"kind": "call", "summary": "Sneaky call"}),
    "api:list_commitments": Route(api_partner),
    "api:create_commitment": Route(
        api_partner, body={"what": "Sneaky", "due": "2030-01-01", "owner": "advisor"}
    ),
    "api:list_referrals": no_id("the caller's visible referrals"),
    "api:create_referral": no_id("a new referral with one of the caller's partners"),
    "api:get_referral": Route(api_referral),
    "api:get_referral_disclosure": Route(api_referral),
    "api:update_referral_disclosure": Route(api_referral, body={"compensated": True}),
    "api:upload_referral_disclosure_document": Route(api_referral),
    "api:get_referral_disclosure_document": Route(api_referral_document),
    "api:list_compliance_referrals": no_id("the reader's own firm (403 for advisors)"),
    "api:update_referral": Route(api_referral, body={"need": "Changed"}),
    "api:archive_referral": Route(api_referral),
    "api:restore_referral": Route(api_referral),
    "api:list_referral_status_changes": Route(api_referral),
    "api:change_referral_status": Route(api_referral, body={"status": "introduced"}),
    "api:record_consent": Route(api_referral, body={"method": "verbal"}),
    "api:withdraw_consent": Route(api_referral),
    "api:list_referral_steps": Route(api_referral),
    "api:change_referral_step": Route(api_referral_step, body={"action": "complete"}),
    "api:get_referral_memo": Route(api_referral),
    "api:get_referral_email_draft": Route(api_referral),
    "api:list_referral_links": Route(api_referral),
    "api:create_referral_link": Route(api_referral, body={"purpose": "receipt"}),
    "api:revoke_referral_link": Route(api_referral_link),
    "api:list_reciprocity_balance": no_id("the balance of the caller's visible partners"),
    "api:list_protocols": no_id("the protocols of the caller's own firm"),
    "api:update_protocol": no_id("a profession of the caller's own firm: a slug, not an id"),
    "api:reset_protocol": no_id("a profession of the caller's own firm: a slug, not an id"),
    "api:get_agenda": no_id("the caller's own agenda"),
    "api:complete_agenda_item": Route(api_agenda_key, body={}),
    "api:snooze_agenda_item": Route(
        api_agenda_key, body={"until": "2030-01-01", "reason": "Sneaky snooze"}
    ),
    "api:list_agreements": no_id("agreements with the caller's visible partners"),
    "api:create_agreement": no_id("names its partner in the body (playbook/test_agreements_api)"),
    "api:get_agreement": Route(api_agreement),
    "api:end_agreement": Route(api_agreement, body={"reason": "Sneaky"}),
    "api:list_cadences": Route(api_partner),
    "api:set_cadence": Route(api_partner, body={"kind": "touch_base", "enabled": False}),
    "api:get_strategy": Route(api_partner),
    "api:switch_strategy": Route(api_partner, body={"strategy": "talk_clients"}),
    "api:list_meetings": Route(api_partner),
    "api:schedule_meeting": Route(
        api_partner, body={"kind": "other", "scheduled_for": "2025-01-01T10:00:00Z"}
    ),
    "api:get_meeting": Route(api_meeting),
    "api:hold_meeting": Route(api_meeting, body={}),
    "api:cancel_meeting": Route(api_meeting, body={}),
    "api:reschedule_meeting": Route(api_meeting, body={"scheduled_for": "2030-01-01T10:00:00Z"}),
    "api:list_opportunities": Route(api_partner),
    "api:create_opportunity": Route(api_partner, body={"title": "Sneaky"}),
    "api:get_opportunity": Route(api_opportunity),
    "api:request_opportunity_meeting": Route(api_opportunity, body={}),
    "api:close_opportunity": Route(api_opportunity, body={"outcome": "declined"}),
    "api:link_opportunity_referral": Route(api_opportunity, body={"referral": 1}),
    "api:unlink_opportunity_referral": Route(api_opportunity),
    "api:get_strategy_yield": no_id("the caller's visible partners (a partner named is checked)"),
    "api:list_concerns": Route(api_partner),
    "api:log_concern": Route(
        api_partner, body={"source": "client_complaint", "description": "Sneaky"}
    ),
    "api:get_concern": Route(api_concern),
    "api:match_concern": Route(api_concern, body={"solution": 1}),
    "api:dismiss_concern": Route(api_concern),
    "api:list_cases": Route(api_partner),
    "api:create_case": Route(
        api_partner, body={"alias": "A", "description": "d", "topics": ["tax"]}
    ),
    "api:get_case": Route(api_case),
    "api:update_case": Route(api_case, body={"solution": "Sneaky"}),
    "api:mark_case_ready": Route(api_case, body={}),
    "api:list_message_checks": Route(api_partner),
    "api:record_message_check": Route(api_partner, body={"result": "yes"}),
    "api:get_my_message": no_id("the caller's own message"),
    "api:set_my_message": no_id("the caller's own message"),
    "api:get_calendar_feed": no_id("the caller's own calendar feed"),
    "api:create_calendar_feed": no_id("the caller's own calendar feed"),
    "api:revoke_calendar_feed": no_id("the caller's own calendar feed"),
    "api:list_solutions": no_id("the caller's own firm's library"),
    "api:create_solution": no_id("a new entry of the caller's own firm's library"),
    "api:get_solution": Route(api_solution, firm_wide=True),
    "api:update_solution": Route(
        api_solution, owner="ada", body={"title": "Sneaky"}, firm_wide=True
    ),
    "api:archive_solution": Route(api_solution, owner="ada", firm_wide=True),
    "api:list_questions": no_id("the caller's own firm's question bank"),
    "api:create_question": no_id("a new question of the caller's own firm's bank"),
    "api:get_question": Route(api_question, firm_wide=True),
    "api:update_question": Route(
        api_question, owner="ada", body={"text": "Sneaky"}, firm_wide=True
    ),
    "api:archive_question": Route(api_question, owner="ada", firm_wide=True),
    "api:list_meeting_plans": no_id("the caller's own firm's meeting plans"),
    "api:get_meeting_plan": Route(api_plan, firm_wide=True),
    "api:update_meeting_plan": Route(
        api_plan, owner="ada", body={"name": "Sneaky"}, firm_wide=True
    ),
    "api:add_meeting_plan_item": Route(
        api_plan, owner="ada", body={"prompt": "Sneaky"}, firm_wide=True
    ),
    "api:update_meeting_plan_item": Route(
        api_plan_item, owner="ada", body={"prompt": "Sneaky"}, firm_wide=True
    ),
    "api:remove_meeting_plan_item": Route(api_plan_item, owner="ada", firm_wide=True),
    "api:list_cadence_defaults": no_id("the caller's own firm's cadence defaults"),
    "api:set_cadence_default": no_id("a stage and kind of the caller's own firm: slugs, not ids"),
    "api:search_records": no_id("what the caller may see (test_search, with the cast)"),
    "api:list_diagnoses": no_id("the caller's visible partners (?partner= in test_api_diagnoses)"),
    "api:list_partner_diagnoses": Route(api_partner),
    "api:get_next_action": Route(api_partner),
    "api:get_funnel": no_id("the funnel of the caller's visible partners, like the dashboard"),
    "api:dismiss_diagnosis": Route(api_partner_diagnosis, body={"reason": "Sneaky"}),
    "api:get_commitment": Route(api_commitment),
    "api:create_import": no_id("a new import of the caller's"),
    "api:get_import": Route(api_import_run),
    "import_start": no_id("a new import of the user's"),
    "import_template": no_id("the same template for everyone"),
    "import_run": Route(import_run, ("GET", "POST")),
    "api:update_commitment": Route(api_commitment, body={"status": "done"}),
    "api:list_webhooks": no_id("the admin's own firm's endpoints (403 for other roles)"),
    "api:create_webhook": no_id("a new endpoint of the admin's own firm (403 for other roles)"),
    "api:get_webhook": Route(api_webhook, owner="ada"),
    "api:update_webhook": Route(api_webhook, owner="ada", body={"description": "Sneaky"}),
    "api:archive_webhook": Route(api_webhook, owner="ada"),
    "api:rotate_webhook_secret": Route(api_webhook, owner="ada"),
    "api:list_webhook_deliveries": Route(api_webhook, owner="ada"),
    "api:resend_webhook_delivery": Route(api_webhook_delivery, owner="ada"),
}


# --- Walking every route ------------------------------------------------------------------------


def walk(resolver: URLResolver, prefix: str = "", namespace: str = "") -> Iterator[tuple[str, str]]:
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            inner = ":".join(filter(None, [namespace, pattern.namespace or ""]))
            yield from walk(pattern, prefix + str(pattern.pattern), inner)
        else:
            assert isinstance(pattern, URLPattern)
            name = f"{namespace}:{pattern.name}" if namespace else str(pattern.name)
            yield name, prefix + str(pattern.pattern)


def all_routes() -> dict[str, str]:
    return dict(walk(get_resolver()))


@cache
def api_methods() -> dict[str, tuple[str, str]]:
    """Operation id → (method, path template) from the API's OpenAPI document."""
    return {
        operation["operationId"]: (method.upper(), path)
        for path, operations in api.get_openapi_schema()["paths"].items()
        for method, operation in operations.items()
    }


def product_routes() -> list[str]:
    return sorted(name for name in all_routes() if not name.startswith("admin:"))


def routes_with_ids() -> list[str]:
    return [name for name in product_routes() if MATRIX.get(name, no_id("")).target]


def test_every_route_is_in_the_matrix() -> None:
    unknown = sorted(set(product_routes()) - set(MATRIX))
    assert not unknown, f"Routes missing from the access matrix (add them to MATRIX): {unknown}"
    stale = sorted(set(MATRIX) - set(product_routes()))
    assert not stale, f"Routes in the matrix that no longer exist: {stale}"


def test_every_api_operation_is_a_route_of_the_matrix() -> None:
    operations = {f"api:{operation_id}" for operation_id in api_methods()}
    assert operations <= set(MATRIX)
    for name in operations:
        if "{id}" in api_methods()[name.removeprefix("api:")][1]:
            assert MATRIX[name].target is not None, f"{name} takes an id: say how to build it"


def test_a_route_with_an_id_in_its_path_builds_a_record() -> None:
    for name, route in all_routes().items():
        if name.startswith("admin:") or name not in MATRIX:
            continue
        if ("<int:" in route or "{id}" in route) and MATRIX[name].target is None:
            pytest.fail(f"{name} ({route}) takes a record id: say how to build the record")


# --- The rule itself ----------------------------------------------------------------------------


def outsiders(cast: Cast) -> dict[str, User]:
    return {
        "teammate without sharing": cast.bob,
        "advisor of another firm": cast.mallory,
        "firm admin of another firm": UserFactory(
            firm=cast.other_firm, username="otheradmin", role=Role.FIRM_ADMIN
        ),
    }


def request(user: User, name: str, route: Route, kwargs: dict[str, Any], method: str) -> Any:
    if name.startswith("api:"):
        operation_method, _path = api_methods()[name.removeprefix("api:")]
        client = token_client(user)
        body = json.dumps(route.body) if route.body is not None else ""
        return client.generic(
            operation_method, reverse(name, kwargs=kwargs), body, content_type="application/json"
        )
    client = Client()
    client.force_login(user)
    url = reverse(name, kwargs=kwargs)
    return client.get(url) if method == "GET" else client.post(url, {})


def fingerprint(cast: Cast) -> tuple[int, ...]:
    """Counts that any write to alice's records or her firm's people would change."""
    return (
        Partner.history.filter(firm_id=cast.firm.pk).count(),  # type: ignore[attr-defined]
        Touch.objects.count(),
        Commitment.history.count(),  # type: ignore[attr-defined]
        Referral.history.filter(firm_id=cast.firm.pk).count(),  # type: ignore[attr-defined]
        ReferralLink.history.count(),  # type: ignore[attr-defined]
        ReferralDisclosure.history.count(),  # type: ignore[attr-defined]
        User.history.filter(firm_id=cast.firm.pk).count(),  # type: ignore[attr-defined]
        cast.north.history.count(),  # type: ignore[attr-defined]
        *(
            model.history.count()  # type: ignore[attr-defined]
            for model in (MeetingPlan, MeetingPlanItem, DiagnosticQuestion, Solution, Meeting)
        ),
        MessageCheck.objects.count(),
        WebhookEndpoint.history.count(),  # type: ignore[attr-defined]
        WebhookDelivery.objects.filter(status=DeliveryStatus.PENDING).count(),
    )


@pytest.mark.parametrize("name", routes_with_ids())
def test_others_get_404_for_the_records_of_a_route(cast: Cast, name: str) -> None:
    route = MATRIX[name]
    assert route.target is not None
    kwargs = route.target(cast)
    methods = ("API",) if name.startswith("api:") else route.methods
    before = fingerprint(cast)
    for who, user in outsiders(cast).items():
        if route.firm_wide and user.firm_id == cast.firm.pk:
            continue
        for method in methods:
            response = request(user, name, route, kwargs, method)
            assert response.status_code == 404, (name, who, method, response.status_code)
    assert fingerprint(cast) == before, f"{name}: a refused request changed something"


def readable_routes() -> list[str]:
    def reads(name: str) -> bool:
        if name.startswith("api:"):
            return api_methods()[name.removeprefix("api:")][0] == "GET"
        return "GET" in MATRIX[name].methods

    return [name for name in routes_with_ids() if reads(name)]


@pytest.mark.parametrize("name", readable_routes())
def test_the_owner_reaches_the_same_record(cast: Cast, name: str) -> None:
    """The control: the URLs above name a real record, which its owner can read."""
    route = MATRIX[name]
    assert route.target is not None
    response = request(getattr(cast, route.owner), name, route, route.target(cast), "GET")
    assert response.status_code == 200, (name, response.status_code)


# --- The admin site: staff only -----------------------------------------------------------------


def admin_example(route: str) -> str:
    """A concrete path for an admin route pattern."""
    path = route.replace("<path:object_id>", "1").replace("<int:content_type_id>", "1")
    path = path.replace("<path:url>", "x")
    if "(?P<app_label>" in path:
        path = path.split("^", 1)[0] + "accounts/"
    return "/" + path.replace("^", "").replace("$", "")


@pytest.mark.parametrize("name", sorted(name for name in all_routes() if name.startswith("admin:")))
def test_the_admin_site_turns_away_everyone_but_staff(cast: Cast, name: str) -> None:
    path = admin_example(all_routes()[name])
    client = Client()
    client.force_login(cast.ada)  # a firm admin is not an operator of the installation
    response = client.get(path)
    if name in ("admin:logout", "admin:login"):
        assert response.status_code in (200, 302, 405), (name, path)
        return
    assert response.status_code == 302, (name, path, response.status_code)
    assert response["Location"].startswith("/admin/login/"), (name, path)
