"""Our side of the peer comparison, run by ``bench/peer.py`` in our environment.

    python bench/peer/reciprocity_side.py load      # migrate, generate the big book
    python bench/peer/reciprocity_side.py worker    # answer requests (bench/peer/protocol.py)

The reader is ``bench0``, the advisor who owns the whole big book (20,000 partners, 50,000
touches), signed in with a session as on the web; one of their partners has 500 touches.
"""

import os
import sys
from pathlib import Path

import django

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent.parent)]


def load() -> None:
    from bench.generate import generate
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    print(f"generated {generate('bigbook')}", flush=True)


def worker() -> None:
    from django.core.management import call_command
    from django.db.models import Count
    from django.test import Client
    from protocol import serve

    from reciprocity.accounts.models import User
    from reciprocity.partners.models import Partner, Touch

    # The pages are served as in production: their static files' manifest must exist.
    call_command("collectstatic", verbosity=0, interactive=False)
    user = User.objects.get(username="bench0")
    client = Client()
    client.force_login(user)
    long_timeline = (
        Touch.objects.values("partner_id")
        .order_by()
        .annotate(n=Count("id"))
        .order_by("-n")
        .values_list("partner_id", flat=True)
        .first()
    )
    info = {
        "name": "Reciprocity",
        "contacts": Partner.objects.filter(owner=user).count(),
        "long_timeline": str(long_timeline),
        "django": django.get_version(),
    }
    serve(client, {}, info)


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "reciprocity.settings")
    django.setup()
    {"load": load, "worker": worker}[sys.argv[1]]()
