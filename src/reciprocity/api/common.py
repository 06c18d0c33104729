"""What the API's operations share: writing to one record the caller sees, or adding one to a
partner, and answering with the record as it then stands."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from django.db.models import Model
from django.http import HttpRequest
from ninja import Router, Status
from ninja.pagination import paginate

from reciprocity.accounts.models import User
from reciprocity.api.auth import current_user
from reciprocity.api.conditional import guarded
from reciprocity.api.errors import responses
from reciprocity.api.pagination import Pagination
from reciprocity.partners.selectors import partner_get_for


class Getter[R](Protocol):
    """A selector that reads one record the advisor may see, or raises Http404."""

    def __call__(self, *, advisor: User, pk: Any) -> R: ...


def changed[R: Model](
    request: HttpRequest,
    pk: int,
    *,
    get: Getter[R],
    change: Callable[..., object],
    record: str,
    **fields: Any,
) -> R:
    """Run the service ``change`` on the record ``pk`` read through ``get`` (passed to the
    service as its ``record`` keyword, with ``by`` and ``fields``), then answer that record read
    again, as it now stands. An If-Match is compared with the record in the same transaction."""
    user = current_user(request)
    instance = get(advisor=user, pk=pk)
    with guarded(request, instance):
        change(**{record: instance}, by=user, **fields)
    return get(advisor=user, pk=pk)


def created_for_partner[M: Model](
    request: HttpRequest,
    pk: int,
    create: Callable[..., M],
    *,
    answer: Getter[M] | None = None,
    **fields: Any,
) -> Status[M]:
    """Run the service ``create`` for the partner ``pk`` the caller sees (with ``by`` and
    ``fields``); answer 201 with the new record, read again through ``answer`` when given. An
    If-Match is compared with the partner, in the same transaction as the addition."""
    user = current_user(request)
    partner = partner_get_for(advisor=user, pk=pk)
    with guarded(request, partner):
        new = create(partner=partner, by=user, **fields)
    return Status(201, answer(advisor=user, pk=new.pk) if answer is not None else new)


@dataclass(frozen=True)
class RecordOperations[R: Model]:
    """The operations on one kind of record, at ``path`` under ``router``: each answers the
    record in ``schema``, read through ``get``; a change runs a service that takes it as its
    ``record`` keyword (see ``changed``)."""

    router: Router
    schema: Any
    get: Getter[R]
    record: str
    path: str = "/{id}"  # the record's own, under the router: "/solutions/{id}"

    def read(self, summary: str) -> Callable[[Callable[..., R]], Callable[..., R]]:
        return self.router.get(self.path, response=responses({200: self.schema}), summary=summary)

    def update(self, summary: str) -> Callable[[Callable[..., R]], Callable[..., R]]:
        return self.router.patch(self.path, response=responses({200: self.schema}), summary=summary)

    def action(self, verb: str, summary: str) -> Callable[[Callable[..., R]], Callable[..., R]]:
        """A POST to the record's path and ``verb`` (``/archive``...)."""
        ok = responses({200: self.schema})
        return self.router.post(self.path + verb, response=ok, summary=summary)

    def changed(
        self, request: HttpRequest, pk: int, change: Callable[..., object], **fields: Any
    ) -> R:
        return changed(request, pk, get=self.get, change=change, record=self.record, **fields)


@dataclass(frozen=True)
class ListOperations:
    """Records of one kind listed at ``path`` under ``router`` (a partner's: ``/{id}/meetings``;
    the firm's: ``/solutions``): the paged list of them and the operation that adds one, both
    in ``schema``. ``not_found``: the path names a record (a partner) that may not be found."""

    router: Router
    path: str
    schema: Any
    not_found: bool = True

    def listing[F: Callable[..., Any]](self, summary: str) -> Callable[[F], F]:
        answers = responses(
            {200: list[self.schema]},  # type: ignore[name-defined]
            not_found=self.not_found,
        )
        route = self.router.get(self.path, response=answers, summary=summary)
        return lambda view: route(paginate(Pagination)(view))

    def adding[F: Callable[..., Any]](self, summary: str) -> Callable[[F], F]:
        answers = responses({201: self.schema}, not_found=self.not_found)
        return self.router.post(self.path, response=answers, summary=summary)
