"""Which column of a file is which of Reciprocity's fields, and which of its words are which of
our slugs.

A header is guessed from synonyms (``E-mail Address`` is the email, ``Company`` the
organization); a preset names the columns of one vendor's export exactly; either can be
corrected on the mapping step or with a mapping file. Values map too: a ``Category`` saying
"Accountant" is the profession ``cpa``, a status "Prospect" the stage ``identified``.
"""

import json
import re
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError

from reciprocity.choices import use_one_of
from reciprocity.partners.models import (
    CanDescribeValue,
    ContactMethod,
    OrganizationSize,
    Profession,
    Propensity,
    ReferralProcess,
    Stage,
    TouchKind,
)

# User-facing messages; tests reuse them.
UNKNOWN_PRESET = "Unknown preset {name!r}. " + "{choices}"
BAD_MAPPING_FILE = (
    'The mapping file must be JSON: {{"columns": {{"Column": "field"}}, '
    '"values": {{"profession": {{"Accountant": "cpa"}}}}}} ({reason}).'
)
UNKNOWN_FIELD = "Column {column!r} is mapped to {field!r}, which is not a field. {choices}"
NO_VALUE_MAP = "Values of {field!r} cannot be mapped. {choices}"
BAD_SLUG = "{source!r} is mapped to {slug!r}, which is not one of the choices. {hint}"
UNKNOWN_COLUMN = "The mapping names column {column!r}, which the file does not have."
NO_NAME_COLUMN = "No column holds the name: map one to name, or to first name and last name."

# The fields a column can fill, with the words people call them, in the order the mapping step
# lists them. "Ignore" is the empty field.
FIELDS: dict[str, str] = {
    "external_id": "External id",
    "name": "Name",
    "first_name": "First name",
    "last_name": "Last name",
    "organization": "Organization",
    "profession": "Profession",
    "email": "Email",
    "phone": "Phone",
    "address": "Address",
    "website": "Website",
    "tags": "Tags",
    "notes": "Notes",
    "stage": "Stage",
    "stage_since": "In stage since",
    "owner": "Owner (username)",
    "profession_other": "Profession (other)",
    "organization_size": "Organization size",
    "specialties": "Specialties",
    "niche": "Clients served",
    "growth_mode": "Firm in growth mode",
    "propensity_to_refer": "Propensity to refer",
    "preferred_referral_process": "Preferred referral process",
    "preferred_contact_method": "Preferred contact method",
    "values": "What they value",
    "can_describe_value": "Can describe our value",
}
# Several columns may fill these; their values are joined (address lines, tag groups...).
JOINED = {"address": ", ", "tags": ", ", "notes": "\n\n", "name": " "}


def normal(text: str) -> str:
    """A header or value reduced to lower-case letters and digits, for comparison."""
    return re.sub(r"[^a-z0-9]+", " ", text.lower()).strip()


SYNONYMS: dict[str, list[str]] = {
    "external_id": ["id", "external id", "contact id", "record id", "uid", "rec id"],
    "name": ["name", "full name", "contact name", "display name", "partner", "partner name"],
    "first_name": ["first name", "first", "given name", "firstname", "fname"],
    "last_name": ["last name", "last", "family name", "surname", "lastname", "lname"],
    "organization": [
        "organization",
        "organisation",
        "company",
        "company name",
        "firm",
        "firm name",
        "employer",
        "business name",
        "organization name",
        "organization 1 name",
        "business",
    ],
    "profession": ["profession", "occupation", "category", "type", "contact type", "specialty"],
    "email": [
        "email",
        "e mail",
        "email address",
        "e mail address",
        "e mail 1 value",
        "primary email",
        "email 1",
        "work email",
        "business email",
    ],
    "phone": [
        "phone",
        "telephone",
        "phone number",
        "business phone",
        "mobile",
        "mobile phone",
        "phone 1 value",
        "primary phone",
        "work phone",
        "cell",
    ],
    "address": [
        "address",
        "street",
        "business street",
        "address 1 formatted",
        "mailing address",
        "street line 1",
        "business address",
        "city",
        "state",
        "zip",
        "postal code",
        "business city",
        "business state",
        "business postal code",
        "zip code",
    ],
    "website": ["website", "web site", "web page", "url", "website 1 value", "homepage"],
    "tags": ["tags", "tag", "labels", "categories", "group membership", "keywords", "tag groups"],
    "notes": ["notes", "note", "comments", "comment", "background", "background information"],
    "stage": ["stage", "pipeline stage", "status", "coi stage"],
    "stage_since": ["stage since", "in stage since", "since", "stage date"],
    "owner": ["owner", "advisor", "assigned to", "servicing advisor"],
    "profession_other": ["profession other"],
    "organization_size": ["organization size", "firm size", "company size"],
    "specialties": ["specialties", "specialities", "expertise"],
    "niche": ["niche", "clients served", "clientele"],
    "growth_mode": ["growth mode", "firm in growth mode"],
    "propensity_to_refer": ["propensity to refer", "propensity"],
    "preferred_referral_process": ["preferred referral process", "referral process"],
    "preferred_contact_method": ["preferred contact method", "contact method"],
    "values": ["values", "what they value"],
    "can_describe_value": ["can describe value", "can describe our value"],
}
# Every field is also known by its own label (the template's column, "Owner (username)").
_BY_SYNONYM = {synonym: field for field, words in SYNONYMS.items() for synonym in words} | {
    normal(label): field for field, label in FIELDS.items()
}


def guess_mapping(header: list[str]) -> dict[str, str]:
    """Column -> field for every column whose name is a known synonym. A field that fills from
    one column only takes the first column that names it."""
    mapping: dict[str, str] = {}
    taken: set[str] = set()
    for column in header:
        found = _BY_SYNONYM.get(normal(column))
        if found is None or (found in taken and found not in JOINED):
            continue
        mapping[column] = found
        taken.add(found)
    return mapping


# --- Values ---------------------------------------------------------------------------------

PROFESSION_WORDS: dict[str, list[str]] = {
    Profession.CPA: [
        "cpa",
        "accountant",
        "accounting",
        "certified public accountant",
        "tax",
        "tax advisor",
        "tax preparer",
        "enrolled agent",
        "ea",
        "bookkeeper",
    ],
    Profession.ATTORNEY: [
        "attorney",
        "lawyer",
        "estate attorney",
        "estate planning attorney",
        "law",
        "legal",
        "counsel",
        "esq",
        "solicitor",
        "estate planning",
        "law firm",
    ],
    Profession.INSURANCE_AGENT: [
        "insurance agent",
        "insurance",
        "insurance broker",
        "life insurance",
        "p c",
        "agent",
    ],
    Profession.BANKER: ["banker", "bank", "private banker", "lender", "mortgage", "loan officer"],
    Profession.BUSINESS_BROKER: ["business broker", "m a", "m a advisor", "business sales"],
    Profession.REALTOR: ["realtor", "real estate", "real estate agent", "realty", "broker"],
    Profession.OTHER: ["other", "coi", "center of influence"],
}
STAGE_WORDS: dict[str, list[str]] = {
    Stage.IDENTIFIED: ["lead", "prospect", "new", "suspect", "candidate"],
    Stage.QUALIFIED: ["qualified"],
    Stage.FIRST_MEETING: ["met", "first meeting", "introduced", "introductory meeting"],
    Stage.DUE_DILIGENCE: ["due diligence", "second meeting"],
    Stage.PROPOSED: ["proposed", "partnership proposed", "proposal"],
    Stage.ACTIVE: ["active", "active partner", "partner", "client"],
    Stage.CHAMPION: ["champion", "top referrer"],
    Stage.DORMANT: ["dormant", "inactive", "cold"],
    Stage.RETIRED: ["retired", "former", "past"],
}
TOUCH_WORDS: dict[str, list[str]] = {
    TouchKind.CALL: ["call", "phone call", "phone", "phone call out", "phone call in"],
    TouchKind.EMAIL: ["email", "e mail", "mail"],
    TouchKind.MEETING: ["meeting", "appointment", "lunch", "coffee", "visit"],
    TouchKind.NOTE: ["note", "notes", "activity", "task"],
    TouchKind.THANK_YOU: ["thank you", "thanks", "thank you note", "card"],
    TouchKind.NEWSLETTER: ["newsletter", "mailing"],
    TouchKind.EVENT: ["event", "seminar", "workshop", "conference"],
    TouchKind.GIFT: ["gift"],
}
YES = {"yes", "y", "true", "1", "x"}
NO = {"no", "n", "false", "0"}


@dataclass(frozen=True)
class Choice:
    """A field whose values are slugs: the slugs, and the words (and labels) for each."""

    slugs: list[str]
    words: dict[str, str] = field(default_factory=dict)

    def lookup(self, value: str, extra: dict[str, str]) -> str | None:
        key = normal(value)
        for source, slug in extra.items():
            if normal(source) == key:
                return slug
        return self.words.get(key)

    @property
    def hint(self) -> str:
        return use_one_of(self.slugs)


def _choice(choices: type, words: dict[str, list[str]] | None = None) -> Choice:
    table: dict[str, str] = {}
    for value, label in choices.choices:  # type: ignore[attr-defined]
        table[normal(value)] = value
        table[normal(label)] = value
    for slug, synonyms in (words or {}).items():
        for word in synonyms:
            table.setdefault(normal(word), slug)
    return Choice(slugs=list(choices.values), words=table)  # type: ignore[attr-defined]


CHOICES: dict[str, Choice] = {
    "profession": _choice(Profession, PROFESSION_WORDS),
    "stage": _choice(Stage, STAGE_WORDS),
    "organization_size": _choice(OrganizationSize),
    "propensity_to_refer": _choice(Propensity),
    "preferred_referral_process": _choice(ReferralProcess),
    "preferred_contact_method": _choice(ContactMethod),
    "can_describe_value": _choice(CanDescribeValue),
    "kind": _choice(TouchKind, TOUCH_WORDS),
}


# --- Presets --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Preset:
    """One vendor's export: its columns, each with the field it fills (None: not imported)."""

    slug: str
    title: str
    columns: dict[str, str | None]
    note: str = ""

    @property
    def mapping(self) -> dict[str, str]:
        return {column: found for column, found in self.columns.items() if found}

    def mapping_for(self, header: list[str]) -> dict[str, str]:
        """The preset's columns that the file has, and a guess for any other."""
        known = self.mapping
        guessed = guess_mapping([column for column in header if column not in self.columns])
        return {
            column: known.get(column) or guessed[column]
            for column in header
            if column in known or column in guessed
        }


PRESETS: dict[str, Preset] = {}


def register(preset: Preset) -> Preset:
    PRESETS[preset.slug] = preset
    return preset


RECIPROCITY = register(
    Preset(
        "reciprocity",
        "Reciprocity's template",
        {label: slug for slug, label in FIELDS.items() if slug not in ("first_name", "last_name")},
    )
)
register(
    Preset(
        "redtail",
        "Redtail CRM contact export",
        {
            "Contact ID": "external_id",
            "Type": None,
            "Salutation": None,
            "First Name": "first_name",
            "Middle Name": None,
            "Last Name": "last_name",
            "Company Name": "organization",
            "Job Title": None,
            "Category": "profession",
            "Status": None,
            "Source": None,
            "Servicing Advisor": None,
            "Email": "email",
            "Phone": "phone",
            "Address": "address",
            "City": "address",
            "State": "address",
            "Zip": "address",
            "Website": "website",
            "Tag Groups": "tags",
            "Notes": "notes",
        },
        note="Redtail's status is its client status (Active, Prospect...), not a pipeline stage.",
    )
)
register(
    Preset(
        "wealthbox",
        "Wealthbox contact export",
        {
            "ID": "external_id",
            "First Name": "first_name",
            "Last Name": "last_name",
            "Company Name": "organization",
            "Job Title": None,
            "Contact Type": "profession",
            "Status": None,
            "Email Address": "email",
            "Phone Number": "phone",
            "Street Line 1": "address",
            "City": "address",
            "State": "address",
            "Zip Code": "address",
            "Website": "website",
            "Tags": "tags",
            "Background Information": "notes",
            "Assigned To": None,
        },
    )
)
register(
    Preset(
        "outlook",
        "Outlook contacts (CSV)",
        {
            "First Name": "first_name",
            "Middle Name": None,
            "Last Name": "last_name",
            "Company": "organization",
            "Job Title": "profession",
            "Business Street": "address",
            "Business City": "address",
            "Business State": "address",
            "Business Postal Code": "address",
            "Business Phone": "phone",
            "Mobile Phone": None,
            "E-mail Address": "email",
            "Web Page": "website",
            "Categories": "tags",
            "Notes": "notes",
        },
    )
)
register(
    Preset(
        "google",
        "Google Contacts (Google CSV)",
        {
            "First Name": "first_name",
            "Middle Name": None,
            "Last Name": "last_name",
            "Organization Name": "organization",
            "Organization Title": "profession",
            "E-mail 1 - Value": "email",
            "Phone 1 - Value": "phone",
            "Address 1 - Formatted": "address",
            "Website 1 - Value": "website",
            "Labels": "tags",
            "Notes": "notes",
        },
    )
)


def preset_get(name: str) -> Preset:
    preset = PRESETS.get(name)
    if preset is None:
        raise ValidationError(
            {"preset": UNKNOWN_PRESET.format(name=name, choices=use_one_of(PRESETS))}
        )
    return preset


# --- Mapping ---------------------------------------------------------------------------------


@dataclass
class Mapping:
    """The columns (column -> field) and value maps (field -> {source value: slug})."""

    columns: dict[str, str]
    values: dict[str, dict[str, str]] = field(default_factory=dict)

    def check(self, header: list[str]) -> None:
        for column, found in self.columns.items():
            if found and found not in FIELDS:
                raise ValidationError(
                    {
                        "mapping": UNKNOWN_FIELD.format(
                            column=column, field=found, choices=use_one_of(FIELDS)
                        )
                    }
                )
            if column not in header:
                raise ValidationError({"mapping": UNKNOWN_COLUMN.format(column=column)})
        for field_name, pairs in self.values.items():
            choice = CHOICES.get(field_name)
            if choice is None or field_name == "kind":
                mapped = [name for name in CHOICES if name != "kind"]
                raise ValidationError(
                    {"values": NO_VALUE_MAP.format(field=field_name, choices=use_one_of(mapped))}
                )
            for source, slug in pairs.items():
                if slug not in choice.slugs:
                    raise ValidationError(
                        {"values": BAD_SLUG.format(source=source, slug=slug, hint=choice.hint)}
                    )
        named = set(self.columns.values())
        if "name" not in named and not {"first_name", "last_name"} & named:
            raise ValidationError({"mapping": NO_NAME_COLUMN})


def mapping_from_file(text: str) -> tuple[dict[str, str], dict[str, dict[str, str]]]:
    """Columns and value maps from a mapping file's JSON text."""
    try:
        loaded = json.loads(text)
        columns = loaded.get("columns", {})
        values = loaded.get("values", {})
        valid = (
            isinstance(columns, dict)
            and isinstance(values, dict)
            and all(isinstance(k, str) and isinstance(v, str) for k, v in columns.items())
            and all(isinstance(v, dict) for v in values.values())
        )
    except (ValueError, AttributeError) as error:
        raise ValidationError({"mapping": BAD_MAPPING_FILE.format(reason=error)}) from None
    if not valid:
        raise ValidationError({"mapping": BAD_MAPPING_FILE.format(reason="wrong shape")})
    return columns, {key: {str(a): str(b) for a, b in v.items()} for key, v in values.items()}


def mapping_for(
    header: list[str],
    *,
    preset: str = "",
    columns: dict[str, str] | None = None,
    values: dict[str, dict[str, str]] | None = None,
) -> Mapping:
    """The mapping of a file: the given columns, else the preset's, else guessed."""
    if columns:
        chosen = {column: found for column, found in columns.items() if found}
    elif preset:
        chosen = preset_get(preset).mapping_for(header)
    else:
        chosen = guess_mapping(header)
    mapping = Mapping(columns=chosen, values=values or {})
    mapping.check(header)
    return mapping
