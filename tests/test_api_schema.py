"""Schemathesis against the OpenAPI document: for generated requests to every operation, no
server error and no response that breaks the documented schema."""

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.core.parameters import ParameterLocation
from schemathesis.specs.openapi.checks import negative_data_rejection, positive_data_acceptance

from reciprocity.accounts.models import Role
from reciprocity.accounts.services import token_create
from reciprocity.playbook.services.firm import firm_defaults_install
from reciprocity.referrals.models import Direction
from reciprocity.referrals.services.ledger import referral_create
from reciprocity.wsgi import application
from tests.factories import CommitmentFactory, PartnerFactory, TouchFactory, UserFactory

# Slow: left out of the quick loop (-m "not slow"); make test runs it. Serial: schemathesis makes
# a test of each operation only in a single process.
pytestmark = [pytest.mark.slow, pytest.mark.serial]

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)


@pytest.fixture
def bearer(db: None) -> Iterator[dict[str, str]]:
    # A firm admin, so the writes to the firm's playbook are answered too, not only refused.
    user = UserFactory(role=Role.FIRM_ADMIN)
    firm_defaults_install(firm=user.firm)
    # A few real records, so generated ids sometimes hit something that exists.
    for _ in range(3):
        partner = PartnerFactory(owner=user)
        TouchFactory(partner=partner)
        CommitmentFactory(partner=partner)
        for direction in Direction.values:
            referral_create(by=user, partner=partner, direction=direction, need="Estate plan")
    _token, key = token_create(user=user)
    # The app is called in this thread inside the test's transaction; like Django's test client,
    # keep the request cycle from closing that connection.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield {"Authorization": f"Bearer {key}"}
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_the_api_keeps_its_documented_promises(case: Any, bearer: dict[str, str]) -> None:
    # Schema-valid is not business-valid (a blank name, a date in the future, another firm's
    # team): those are refused with 422 and a detail, which the other checks still verify.
    excluded = [positive_data_acceptance]
    if case.meta is not None and case.meta.is_negative_at(ParameterLocation.HEADER):
        # The invalid header generated is the Authorization one (the operations' own headers
        # are free text): the token sent replaces it, so the request is not invalid at all.
        excluded.append(negative_data_rejection)
    case.call_and_validate(headers=bearer, excluded_checks=excluded)
