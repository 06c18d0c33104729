"""No input makes the server fail: every API operation and every web route, given values at the
edges (far and offset datetimes, NULs and lone surrogates, huge and negative numbers, very long
text, wrong types), answers what is wrong and never a 5xx.

Hypothesis draws the requests from the OpenAPI document (bodies and query strings) and from the
fields of every form of the product (web posts); the routes and the records they name come from
the access matrix, so a new route is fuzzed as soon as it is in the matrix. Bounded in examples,
so it runs in ``make test`` on SQLite and PostgreSQL alike.
"""

import json
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from django import forms
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.module_loading import autodiscover_modules
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import tests.test_access_matrix as matrix
from reciprocity.api.api import api
from tests.api_client import token_client
from tests.conftest import Cast

pytestmark = [pytest.mark.slow, pytest.mark.django_db]

EXAMPLES = 8
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

TEXTS = ["", " ", "x", "\x00", "a\x00b", "\ud800", "\udfff x", "é" * 3, "x" * 20_000, "=1+1", "-1"]
MOMENTS = [
    "0001-01-01T00:00:00+14:00",
    "9999-12-31T23:59:59-14:00",
    "0001-01-01T00:00:00Z",
    "9999-12-31T00:00:00Z",
    "1899-12-31T23:59:59Z",
    "2026-02-30T00:00:00Z",
    "2024-01-01T12:00:00+05:30",
]
DAYS = ["0001-01-01", "9999-12-31", "1899-12-31", "1900-01-01", "2026-02-30", "20260101"]
NUMBERS = [0, -1, 1, 2, 3, 2**31, 2**63, -(2**63) - 1, 10**30]
FLOATS = [0.5, -1.5, 1e308, -1e308]
WRONG = st.sampled_from([None, True, 1, "x", [], {}, [None]])


def today_and_now() -> list[str]:
    return [timezone.localdate().isoformat(), timezone.now().isoformat()]


# --- The API ------------------------------------------------------------------------------------


@cache
def openapi() -> dict[str, Any]:
    return api.get_openapi_schema()


def resolved(schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = openapi()["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    if "allOf" in schema and len(schema["allOf"]) == 1:
        return resolved({**schema["allOf"][0], **{k: v for k, v in schema.items() if k != "allOf"}})
    return schema


def values(schema: dict[str, Any], depth: int = 0) -> st.SearchStrategy[Any]:
    """Edge values for a JSON schema, with a well-formed one often enough to get further."""
    schema = resolved(schema)
    if depth > 4:
        return st.none()
    for combined in ("anyOf", "oneOf"):
        if combined in schema:
            return st.one_of([values(s, depth + 1) for s in schema[combined]])
    if "enum" in schema:
        return st.one_of(st.sampled_from(schema["enum"]), st.sampled_from(TEXTS))
    kind, fmt = schema.get("type"), schema.get("format")
    if kind == "string" and fmt == "date-time":
        return st.sampled_from([*MOMENTS, *today_and_now(), *TEXTS[:3]])
    if kind == "string" and fmt == "date":
        return st.sampled_from([*DAYS, *today_and_now(), *TEXTS[:3]])
    if kind == "string":
        return st.sampled_from(TEXTS)
    if kind == "integer":
        bounds = [schema[k] + d for k in ("minimum", "maximum") if k in schema for d in (-1, 0, 1)]
        return st.one_of(st.sampled_from(NUMBERS + bounds), WRONG)
    if kind == "number":
        return st.sampled_from(FLOATS + NUMBERS)
    if kind == "boolean":
        return st.one_of(st.booleans(), WRONG)
    if kind == "null":
        return st.none()
    if kind == "array":
        return st.one_of(st.lists(values(schema.get("items", {}), depth + 1), max_size=3), WRONG)
    if kind == "object" or "properties" in schema:
        properties = schema.get("properties", {})
        required = set(schema.get("required", ()))
        return st.one_of(
            st.fixed_dictionaries(
                {k: values(v, depth + 1) for k, v in properties.items() if k in required},
                optional={
                    k: values(v, depth + 1) for k, v in properties.items() if k not in required
                },
            ),
            WRONG,
        )
    return st.one_of(st.sampled_from(TEXTS), st.sampled_from(NUMBERS), WRONG)


@cache
def operations() -> dict[str, tuple[str, str, dict[str, Any]]]:
    """Operation id → (method, path template, operation)."""
    return {
        operation["operationId"]: (method.upper(), path, operation)
        for path, by_method in openapi()["paths"].items()
        for method, operation in by_method.items()
    }


def query_text(value: Any) -> bytes:
    # A URL carries bytes: a lone surrogate arrives as the bytes a careless client would send.
    text = value if isinstance(value, str) else json.dumps(value)
    return text.encode("utf-8", "surrogatepass")


@st.composite
def api_request(draw: st.DrawFn, operation: dict[str, Any], path_args: dict[str, Any]) -> Any:
    """The path with its record (or, now and then, an edge id), the query and the body."""
    path = {}
    for name, value in path_args.items():
        path[name] = draw(st.one_of(st.just(str(value)), st.sampled_from(["0", "-1", "9" * 30])))
    query = {}
    for parameter in operation.get("parameters", []):
        if parameter["in"] == "query" and draw(st.booleans()):
            query[parameter["name"]] = query_text(draw(values(parameter["schema"])))
    body: Any = None
    content = operation.get("requestBody", {}).get("content", {})
    if "application/json" in content:
        body = draw(values(content["application/json"]["schema"]))
    elif "multipart/form-data" in content:
        body = draw(multipart_form(content["multipart/form-data"]["schema"]))
    return path, query, body


class Form(dict[str, Any]):
    """A body sent as multipart/form-data rather than JSON."""


UPLOADS = [b"", b"\x00\xff" * 50, b'name\r\n"unclosed', b"PK\x03\x04" + b"\x00" * 40]


@st.composite
def multipart_form(draw: st.DrawFn, schema: dict[str, Any]) -> Form:
    """A multipart form: edge bytes for each file, edge text for each other field."""
    fields = {}
    for name, prop in resolved(schema)["properties"].items():
        if prop.get("format") == "binary":
            fields[name] = draw(st.sampled_from(UPLOADS))
        else:
            fields[name] = query_text(draw(values(prop))).decode("utf-8", "replace")
    return Form(fields)


def path_of(template: str, path: dict[str, str]) -> str:
    for name, value in path.items():
        template = template.replace("{" + name + "}", quote(query_text(value), safe=""))
    return template


def api_operations() -> list[str]:
    return sorted(operations())


def answered_without_failing(response: Any, what: str) -> None:
    assert response.status_code < 500, (what, response.status_code, response.content[:500])


@contextmanager
def rolled_back() -> Iterator[None]:
    """Each example starts from the same records: what one example wrote is undone."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


@pytest.mark.parametrize("operation_id", api_operations())
@FUZZ
@given(data=st.data())
def test_no_api_operation_fails_on_any_input(
    playbook_cast: Cast, operation_id: str, data: st.DataObject
) -> None:
    with rolled_back():
        api_example(playbook_cast, operation_id, data)


def api_example(playbook_cast: Cast, operation_id: str, data: st.DataObject) -> None:
    method, template, operation = operations()[operation_id]
    route = matrix.MATRIX[f"api:{operation_id}"]
    path_args = route.target(playbook_cast) if route.target else {}
    path, query, body = data.draw(api_request(operation, path_args))
    client = token_client(getattr(playbook_cast, route.owner))
    url = path_of(template, path) + ("?" + urlencode(query) if query else "")

    if isinstance(body, Form):
        files = {
            k: SimpleUploadedFile(f"{k}.csv", v) if isinstance(v, bytes) else v
            for k, v in body.items()
        }
        response = client.post(url, files)
    else:
        response = client.generic(
            method,
            url,
            json.dumps(body) if body is not None else "",
            content_type="application/json",
        )

    answered_without_failing(response, f"{method} {url} {str(body)[:300]}")
    if response.status_code >= 400:
        assert "detail" in response.json(), response.content[:300]


def test_a_body_over_the_limit_is_a_413_with_a_detail(playbook_cast: Cast, settings: Any) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = json.dumps({"name": "x" * 2000, "profession": "cpa"})

    response = token_client(playbook_cast.alice).generic(
        "POST", "/api/v1/partners", body, content_type="application/json"
    )

    assert response.status_code == 413
    assert response.json() == {"detail": "The request body is over the limit of 1,000 bytes."}


def test_a_lone_surrogate_is_a_422_naming_the_field(playbook_cast: Cast) -> None:
    response = token_client(playbook_cast.alice).generic(
        "POST",
        "/api/v1/partners",
        '{"name": "\\ud800", "profession": "cpa"}',
        content_type="application/json",
    )

    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["name"]


# --- The web forms ------------------------------------------------------------------------------


def form_classes() -> Iterator[type[forms.BaseForm]]:
    autodiscover_modules("forms")
    seen: set[type[forms.BaseForm]] = set()
    pending: list[type[forms.BaseForm]] = [forms.BaseForm]
    while pending:
        cls = pending.pop()
        for sub in cls.__subclasses__():
            if sub not in seen:
                seen.add(sub)
                pending.append(sub)
                if sub.__module__.startswith("reciprocity."):
                    yield sub


@cache
def form_fields() -> dict[str, list[str]]:
    """Every field name of the product's forms, with the choices any form offers for it."""
    fields: dict[str, set[str]] = {}
    for cls in form_classes():
        for name, field in cls.base_fields.items():
            choices = getattr(field, "choices", None)
            offered = fields.setdefault(name, set())
            if choices is not None and not isinstance(field, forms.ModelChoiceField):
                offered.update(
                    str(value) for value, _label in choices if not isinstance(_label, list | tuple)
                )
    return {name: sorted(offered) for name, offered in sorted(fields.items())}


WEB_EDGES = [
    "",
    "0001-01-01",
    "9999-12-31",
    "0001-01-01T00:00",
    "9999-12-31T23:59",
    "-1",
    "0",
    "1",
    "9" * 30,
    "\x00",
    "x" * 20_000,
    "on",
    "key:1:2",
    "cadence:1:touch_base:9999-99-99",
]


def web_routes() -> list[str]:
    return sorted(
        name
        for name in matrix.product_routes()
        if not name.startswith("api") and name in matrix.MATRIX and name != "logout"
    )


@pytest.mark.parametrize("name", web_routes())
@FUZZ
@given(data=st.data())
def test_no_web_form_fails_on_any_input(
    playbook_cast: Cast, name: str, data: st.DataObject
) -> None:
    with rolled_back():
        web_example(playbook_cast, name, data)


def web_example(playbook_cast: Cast, name: str, data: st.DataObject) -> None:
    route = matrix.MATRIX[name]
    try:
        url = reverse(name, kwargs=route.target(playbook_cast) if route.target else None)
    except NoReverseMatch:
        pytest.skip(f"{name} takes arguments that are not a record")
    fields = form_fields()
    chosen = data.draw(st.sets(st.sampled_from(sorted(fields)), max_size=12))
    post = {
        field: data.draw(st.sampled_from([*WEB_EDGES, *fields[field]])) for field in sorted(chosen)
    }
    client = Client()
    client.force_login(getattr(playbook_cast, route.owner))

    response = client.post(url, post)

    answered_without_failing(response, f"POST {url} {str(post)[:300]}")


def test_the_forms_are_found() -> None:
    assert {"occurred_at", "due", "scheduled_for", "name", "key"} <= set(form_fields())
