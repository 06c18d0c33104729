"""The peer's side: BottleCRM (PyPI ``django-crm``), run in its own virtual environment with its
own settings (``crm.settings``) and PostgreSQL database, by ``bench/peer.py``.

    python bench/peer/bottlecrm.py load      # one org, one user, the book (bulk inserts)
    python bench/peer/bottlecrm.py worker    # answer requests (bench/peer/protocol.py)

The book is the size of ours (the big book): 20,000 contacts in 5,000 companies (accounts) and
50,000 activities (interactions logged on a contact), 500 of them on one contact (the long
timeline). The user who reads is a plain member (role USER) who created every contact, as our
advisor owns every partner of theirs: they see the whole book through BottleCRM's own visibility
rule, not through an admin's short cut.
"""

import datetime as dt
import os
import random
import sys
import time
from pathlib import Path

import django

sys.path.insert(0, str(Path(__file__).resolve().parent))

CONTACTS = 20_000
COMPANIES = 5_000
ACTIVITIES = 50_000
LONG_TIMELINE = 500
BATCH = 5_000
EMAIL = "bench0@example.com"
KINDS = ["call", "meeting", "email", "sms"]
LAST_NAMES = ["Smith", "Jones", "Garcia", "Miller", "Davis", "Lopez", "Wilson", "Moore", "Lee"]
FIRST_NAMES = ["Ana", "Ben", "Cara", "Dan", "Eva", "Finn", "Gia", "Hal", "Ivy", "Jon", "Kim"]


def load(seed: int = 20) -> None:
    from accounts.models import Account
    from common.models import Org, Profile, User
    from contacts.models import Contact
    from django.db import connection, transaction
    from django.utils import timezone
    from interactions.models import Interaction

    rng = random.Random(seed)
    now = timezone.now()
    started = time.perf_counter()
    with transaction.atomic():
        user = User.objects.create(email=EMAIL, name="Advisor0")
        org = Org.objects.create(name="Bench Wealth")
        profile = Profile.objects.create(user=user, org=org, role="USER", is_active=True)
        Account.objects.bulk_create(
            [
                Account(org=org, name=f"{rng.choice(LAST_NAMES)} & Co {i}", created_by=user)
                for i in range(COMPANIES)
            ],
            batch_size=BATCH,
        )
        companies = list(Account.objects.filter(org=org).values_list("id", flat=True))
        contacts = []
        for n in range(CONTACTS):
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            contacts.append(
                Contact(
                    org=org,
                    first_name=first,
                    last_name=f"{last} {n}",
                    email=f"contact{n}@example.com",
                    organization=f"{last} & Co",
                    account_id=companies[n % COMPANIES],
                    created_by=user,
                )
            )
        Contact.objects.bulk_create(contacts, batch_size=BATCH)
        ids = list(
            Contact.objects.filter(org=org)
            .order_by("created_at", "id")
            .values_list("id", flat=True)
        )
        long_timeline = ids[0]
        rows = []
        for i in range(ACTIVITIES):
            contact = long_timeline if i < LONG_TIMELINE else ids[rng.randrange(len(ids))]
            rows.append(
                Interaction(
                    org=org,
                    kind=rng.choice(KINDS),
                    occurred_at=now
                    - dt.timedelta(days=rng.randint(0, 900), minutes=rng.randint(0, 1440)),
                    subject="Talked about clients",
                    logged_by=profile,
                    contact_id=contact,
                    home="contact",
                    created_by=user,
                )
            )
        Interaction.objects.bulk_create(rows, batch_size=BATCH)
    # As the generator leaves ours: statistics and visibility map, as autovacuum would.
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    print(
        f"loaded {COMPANIES} companies, {CONTACTS} contacts, {ACTIVITIES} activities "
        f"in {time.perf_counter() - started:.1f} s",
        flush=True,
    )


def worker() -> None:
    from common.models import Profile
    from common.serializer import OrgAwareRefreshToken
    from contacts.models import Contact
    from django.test import Client
    from interactions.models import Interaction
    from protocol import serve

    profile = Profile.objects.select_related("user", "org").get(user__email=EMAIL)
    token = OrgAwareRefreshToken.for_user_and_org(profile.user, profile.org, profile)
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token.access_token}"}
    long_timeline = (
        Interaction.objects.filter(home="contact")
        .values("contact_id")
        .order_by()
        .annotate(n=django.db.models.Count("id"))
        .order_by("-n")
        .values_list("contact_id", flat=True)
        .first()
    )
    version = "unknown"
    try:
        from importlib.metadata import version as package_version

        version = package_version("django-crm")
    except Exception:  # noqa: S110 (only a label)
        pass
    info = {
        "name": f"BottleCRM (django-crm {version})",
        "contacts": Contact.objects.count(),
        "long_timeline": str(long_timeline),
        "django": django.get_version(),
    }
    serve(Client(), headers, info)


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm.settings")
    django.setup()
    {"load": load, "worker": worker}[sys.argv[1]]()
