"""Texts Reciprocity drafts for the advisor to send: the hypothetical referral memo and the email
of the protocol's email step. Nothing here sends anything; the advisor copies the text or opens it
in their mail client through the ``mailto:`` link.
"""

import re
from dataclasses import dataclass
from urllib.parse import quote, urlencode

from reciprocity.accounts.models import User
from reciprocity.referrals.models import Answer, Referral, StepSlug

STAND_IN = "the client"
MEMO_TITLE = "Hypothetical referral (no client identified)"
MEMO_CONSENT_LINE = (
    "If this looks like a fit for you, I will ask the client's permission before sharing their "
    "name and contact details."
)
# Contact details that identify a person wherever they appear in free text.
EMAIL_PATTERN = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
PHONE_PATTERN = re.compile(r"\+?\d[\d\s().-]{5,}\d")
NAME_PART_MIN_LENGTH = 2
HONORIFICS = r"(?:mr|mrs|ms|miss|mx|dr)"


def _scrub(text: str, referral: Referral) -> str:
    """Text with the client's name and any contact details replaced."""
    text = EMAIL_PATTERN.sub("[email removed]", text)
    text = PHONE_PATTERN.sub("[phone removed]", text)
    identifiers = [referral.client_contact.strip(), referral.client_name.strip()]
    # Each part of the name too, so "Mrs Lee" is caught when the name is "Ann Lee".
    identifiers += [
        part
        for part in re.split(r"[\s,]+", referral.client_name)
        if len(part.strip(".")) >= NAME_PART_MIN_LENGTH
    ]
    for identifier in sorted({i for i in identifiers if i}, key=len, reverse=True):
        pattern = rf"(?<!\w)(?:{HONORIFICS}\.?\s+)?{re.escape(identifier)}(?!\w)"
        text = re.sub(pattern, STAND_IN, text, flags=re.I)
    text = text.strip()
    return text[:1].upper() + text[1:]


def referral_memo(referral: Referral) -> str:
    """The situation described from the need, the notes and the pre-send answers, naming no one."""
    profession = referral.partner.profession_label
    if not profession.isupper():  # "CPA" stays, "Attorney" reads "attorney"
        profession = profession.lower()
    article = "an" if profession[:1].lower() in "aeiou" else "a"
    lines = [MEMO_TITLE, "", f"Situation: {_scrub(referral.need, referral)}"]
    if referral.notes.strip():
        lines += ["", "Details:", _scrub(referral.notes, referral)]
    lines.append("")
    if referral.client_has_professional == Answer.YES:
        relationship = _scrub(referral.existing_relationship, referral)
        line = f"The client already works with {article} {profession}."
        lines.append(f"{line} About that relationship: {relationship}" if relationship else line)
    elif referral.client_has_professional == Answer.NO:
        lines.append(f"The client does not have {article} {profession} today.")
    if referral.consultation_fee == Answer.YES:
        note = _scrub(referral.consultation_fee_note, referral)
        lines.append(f"Initial consultation: with a fee{f' ({note})' if note else ''}.")
    elif referral.consultation_fee == Answer.NO:
        lines.append("Initial consultation: without a fee.")
    else:
        lines.append("Is there a fee for an initial consultation, and if so how much?")
    lines += ["", MEMO_CONSENT_LINE]
    return "\n".join(lines)


NEXT_STEPS = "Next steps: I will let the client know to expect your call."
NEXT_STEPS_ESCORT = (
    "Next steps: I will let the client know to expect your call, and I would be glad to bring "
    "them to the first meeting."
)
NEXT_STEPS_CONFERENCE = (
    "Next steps: I will set up a short conference call with the client and you, then step back "
    "so the two of you can talk in confidence."
)


def _next_steps(referral: Referral) -> str:
    """Follows the referral's own protocol: an attorney's has a conference call, not an escort."""
    open_slugs = set(referral.steps.filter(skipped_at__isnull=True).values_list("slug", flat=True))
    if StepSlug.ESCORT in open_slugs:
        return NEXT_STEPS_ESCORT
    if StepSlug.CONFERENCE_CALL in open_slugs:
        return NEXT_STEPS_CONFERENCE
    return NEXT_STEPS


@dataclass(frozen=True)
class EmailDraft:
    to: str
    subject: str
    body: str

    @property
    def mailto(self) -> str:
        """A ``mailto:`` URL that opens the draft in the advisor's mail client."""
        query = urlencode(
            {"subject": self.subject, "body": self.body.replace("\n", "\r\n")}, quote_via=quote
        )
        return f"mailto:{quote(self.to, safe='@')}?{query}"


def referral_email_draft(referral: Referral, *, sender: User | None = None) -> EmailDraft:
    """The email step: notes and next steps for the partner.

    With the client's consent it names the client; without it, the body is the hypothetical memo.
    """
    partner = referral.partner
    signature = (sender or referral.by).display_name
    if referral.may_identify_client and referral.client_name:
        subject = f"Referral: {referral.client_name}, {referral.need}"
        body_lines = [
            f"Hello {partner.name},",
            "",
            f"Thank you for taking my call about {referral.client_name}. Here are my notes.",
            "",
            f"Need: {referral.need}",
        ]
        if referral.notes.strip():
            body_lines += ["", referral.notes.strip()]
        if referral.client_contact:
            body_lines += ["", f"Contact details: {referral.client_contact}"]
        body_lines += ["", _next_steps(referral)]
    else:
        subject = f"Hypothetical referral: {_scrub(referral.need, referral)}"
        body_lines = [f"Hello {partner.name},", "", referral_memo(referral)]
    body_lines += ["", "Best regards,", signature]
    return EmailDraft(to=partner.email, subject=subject, body="\n".join(body_lines))


LINK_SUBJECTS = {
    "receipt": "Did my referral reach you?",
    "outcome": "How did the referral go?",
}
LINK_ASKS = {
    "receipt": "Could you confirm that you received the referral I sent you? One click does it:",
    "outcome": (
        "Could you tell me how the referral I sent you went (you met, they engaged you, or it "
        "was not a fit)? It takes a few seconds:"
    ),
}


def link_email_draft(
    referral: Referral, *, purpose: str, url: str, sender: User, expires: str
) -> EmailDraft:
    """The email that carries a confirmation link to the partner. It names no client: the page
    behind the link shows what the partner may see."""
    body = "\n".join(
        [
            f"Hello {referral.partner.name},",
            "",
            LINK_ASKS[purpose],
            url,
            "",
            f"The link works once, until {expires}; no account is needed.",
            "",
            "Best regards,",
            sender.display_name,
        ]
    )
    return EmailDraft(to=referral.partner.email, subject=LINK_SUBJECTS[purpose], body=body)
