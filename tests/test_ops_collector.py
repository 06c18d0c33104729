"""A serving process leaves what it keeps out of the garbage collector's walks once warm."""

import gc
from collections.abc import Iterator

import pytest
from django.core.signals import request_finished
from django.test import Client

from reciprocity.ops.collector import DISPATCH_UID, freeze_once_warm


@pytest.fixture
def thawed() -> Iterator[None]:
    request_finished.disconnect(dispatch_uid=DISPATCH_UID)
    gc.unfreeze()
    yield
    request_finished.disconnect(dispatch_uid=DISPATCH_UID)
    gc.unfreeze()


@pytest.mark.django_db
def test_what_the_process_holds_is_frozen_after_the_requests_named_only(thawed: None) -> None:
    freeze_once_warm(after=(2,))
    client = Client()

    client.get("/health/")
    assert gc.get_freeze_count() == 0
    client.get("/health/")
    frozen = gc.get_freeze_count()
    assert frozen > 0
    client.get("/health/")
    # No other freeze (frozen objects freed since leave the count).
    assert gc.get_freeze_count() <= frozen


@pytest.mark.django_db
def test_connecting_twice_counts_each_request_once(thawed: None) -> None:
    freeze_once_warm(after=(2,))
    freeze_once_warm(after=(2,))

    Client().get("/health/")

    assert gc.get_freeze_count() == 0
