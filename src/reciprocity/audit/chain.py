"""The audit trail's hash chain: how an entry's content is written down and hashed, how links
hash, and how a purge's tombstone is signed.

An entry is one history row of an audited model. Its content is every column of the row, each
written as a plain JSON value (text, whole number, true/false, null, or JSON for a JSON column),
in a canonical JSON document (keys sorted, no spaces, UTF-8). Its hash is the SHA-256 of that
document. A link's hash is the SHA-256 of the canonical document of its firm, sequence number,
model, entry id, entry hash and the hash of the link before it (``GENESIS`` for the first). The
same rules are written out, standard library only, in ``verify_export.py`` for examiners.
"""

import datetime as dt
import hashlib
import hmac
import json
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.db import models
from django.utils import timezone
from django.utils.crypto import salted_hmac

GENESIS = "0" * 64
TOMBSTONE_SALT = "reciprocity.audit.tombstone"
# What a tombstone's signature covers (columns of an AuditPurge history row).
TOMBSTONE_FIELDS = ("firm_id", "by_id", "reason", "cutoff", "counts", "purged_links")


def canonical(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def sha256(value: Any) -> str:
    return hashlib.sha256(canonical(value)).hexdigest()


def plain(field: models.Field[Any, Any], value: Any) -> Any:
    """``value`` of ``field`` as written in an entry's content: the same whether it comes from
    the object just saved or from the row read back from either database."""
    if value is None:
        return None
    if isinstance(field, models.JSONField):
        return json.loads(json.dumps(value, cls=field.encoder))
    if isinstance(field, models.BooleanField):
        return bool(value)
    if isinstance(field, models.DecimalField):
        number = Decimal(value)
        if field.decimal_places is not None:
            number = number.quantize(Decimal(1).scaleb(-field.decimal_places))
        return str(number)
    if isinstance(field, models.DateTimeField):
        moment = field.to_python(value)
        assert isinstance(moment, dt.datetime)
        if timezone.is_naive(moment):
            moment = timezone.make_aware(moment)
        return moment.astimezone(dt.UTC).isoformat(timespec="microseconds")
    if isinstance(field, models.DateField | models.TimeField):
        return field.to_python(value).isoformat()
    if isinstance(field, models.FloatField):
        return repr(float(value))
    if isinstance(field, models.IntegerField | models.AutoField | models.ForeignKey):
        return int(value)
    if isinstance(field, models.UUIDField):
        return str(value if isinstance(value, uuid.UUID) else uuid.UUID(str(value)))
    if isinstance(field, models.BinaryField):
        return bytes(value).hex()
    if isinstance(field, models.FileField):
        return str(getattr(value, "name", value) or "")
    return str(value)


def entry_fields(historical: type[models.Model]) -> list[models.Field[Any, Any]]:
    """The columns of a history row that its content covers, by column name."""
    return sorted(historical._meta.concrete_fields, key=lambda field: field.attname)


def entry_content(
    historical: type[models.Model], values: Mapping[str, Any], names: Iterable[str] | None = None
) -> dict[str, Any]:
    """The content of a history row from its values by column name; ``names`` limits it to the
    columns hashed when the entry was linked (a column added later is not part of it). A column
    that is gone is a ``KeyError``."""
    fields = {field.attname: field for field in entry_fields(historical)}
    wanted = list(names) if names is not None else list(fields)
    return {name: plain(fields[name], values[name]) for name in wanted}


def link_hash(
    *, firm_id: int | None, seq: int, model: str, entry_id: int, entry_hash: str, prev_hash: str
) -> str:
    return sha256(
        {
            "firm": firm_id,
            "seq": seq,
            "model": model,
            "entry": entry_id,
            "entry_hash": entry_hash,
            "prev": prev_hash,
        }
    )


def firm_of(instance: models.Model, history: models.Model, path: str | None) -> int | None:
    """The firm a history row belongs to: its own column when the path is one, else following
    the saved object's relations (usually already loaded)."""
    if path is None:
        return None
    first, *rest = path.split("__")
    if not rest:
        value = getattr(history, first)
        return int(value) if value is not None else None
    target: Any = instance
    try:
        for part in [first, *rest[:-1]]:
            target = getattr(target, part)
            if target is None:
                return None
    except ObjectDoesNotExist:
        return None
    value = getattr(target, rest[-1])
    return int(value) if value is not None else None


# --- Tombstones ---------------------------------------------------------------------------------


def tombstone_signature(content: Mapping[str, Any]) -> str:
    """HMAC (the installation's secret key) of what a purge removed, by whom, when and why."""
    payload = {name: content.get(name) for name in TOMBSTONE_FIELDS}
    return salted_hmac(TOMBSTONE_SALT, canonical(payload), algorithm="sha256").hexdigest()


def tombstone_valid(content: Mapping[str, Any]) -> bool:
    signature = content.get("signature") or ""
    return hmac.compare_digest(str(signature), tombstone_signature(content))


@dataclass(frozen=True)
class Pending:
    """An entry about to be linked."""

    firm_id: int | None
    model: str
    entry_id: int
    at: dt.datetime
    fields: str  # the columns its content covers, comma-separated
    entry_hash: str
