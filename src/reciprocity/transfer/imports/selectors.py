"""Reads of imports: an advisor reads their own runs only (anyone else's is a 404)."""

from django.db.models import QuerySet

from reciprocity.accounts.models import User
from reciprocity.ids import get_visible_or_404
from reciprocity.transfer.imports.models import ImportRun

NOT_FOUND = "No import with that id."


def import_runs_of(*, user: User) -> QuerySet[ImportRun]:
    return ImportRun.objects.started_by(user).defer("data", "touches_data")


def import_run_get_for(*, user: User, pk: object) -> ImportRun:
    return get_visible_or_404(import_runs_of(user=user), pk, not_found=NOT_FOUND)
