"""The firm's protocol per profession: the steps a new referral to such a partner gets."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from reciprocity.accounts.audit import attribute
from reciprocity.accounts.models import Role, User
from reciprocity.choices import unknown_choice_message
from reciprocity.partners.models import Profession
from reciprocity.referrals.models import ProtocolTemplate, default_protocol

NOT_FIRM_ADMIN = "Only a firm admin can change the firm's referral protocols."
UNKNOWN_PROFESSION = unknown_choice_message("profession", Profession)


def ensure_can_edit_protocols(user: User) -> None:
    """Only a firm admin changes the firm's protocols; everyone else reads them."""
    if user.role != Role.FIRM_ADMIN or user.firm_id is None:
        raise PermissionDenied(NOT_FIRM_ADMIN)


def protocol_template_for(*, firm_id: int, profession: str) -> ProtocolTemplate:
    """The firm's template for a profession, created from the defaults on first use."""
    template, _ = ProtocolTemplate.objects.get_or_create(
        firm_id=firm_id, profession=profession, defaults={"steps": default_protocol(profession)}
    )
    return template


@transaction.atomic
def protocol_template_update(
    *, by: User, profession: str, steps: list[dict[str, str]]
) -> ProtocolTemplate:
    """Replace the firm's protocol for a profession: an ordered list of ``{slug, label}``."""
    ensure_can_edit_protocols(by)
    assert by.firm_id is not None
    if profession not in Profession.values:
        raise ValidationError({"profession": UNKNOWN_PROFESSION})
    template = protocol_template_for(firm_id=by.firm_id, profession=profession)
    template = ProtocolTemplate.objects.select_for_update().get(pk=template.pk)
    if isinstance(steps, list):
        steps = [
            {**step, "label": step["label"].strip()}
            if isinstance(step, dict) and isinstance(step.get("label"), str)
            else step
            for step in steps
        ]
    template.steps = steps
    template.full_clean(exclude=["firm"])
    attribute(template, by).save()
    return template


def protocol_template_reset(*, by: User, profession: str) -> ProtocolTemplate:
    """Back to the product's default steps for the profession."""
    return protocol_template_update(
        by=by, profession=profession, steps=default_protocol(profession)
    )
