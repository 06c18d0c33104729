"""One writer process of the concurrency test: logs touches and commitments on a shared partner
(completing every other one) and walks its own partner through the pipeline. Prints the number
of errors it met."""

import argparse
import datetime as dt
import os
import sys


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--user", type=int, required=True)
    parser.add_argument("--shared", type=int, required=True)
    parser.add_argument("--own", type=int, required=True)
    parser.add_argument("--ops", type=int, required=True)
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "reciprocity.settings")
    import django

    django.setup()
    from django.utils import timezone

    from reciprocity.accounts.models import User
    from reciprocity.partners import services
    from reciprocity.partners.models import PIPELINE_STAGES, Partner

    user = User.objects.get(pk=args.user)
    shared = Partner.objects.get(pk=args.shared)
    own = Partner.objects.get(pk=args.own)
    errors = 0
    for op in range(args.ops):
        try:
            services.touch_log(partner=shared, by=user, kind="call", summary=f"call {op}")
            due = timezone.localdate() + dt.timedelta(days=(args.own * 7 + op * 3) % 40)
            promise = services.commitment_create(
                partner=shared, by=user, what=f"promise {op}", owner="advisor", due=due
            )
            if op % 2:
                services.commitment_complete(commitment=promise, by=user)
            stage = PIPELINE_STAGES[(op + 1) % len(PIPELINE_STAGES)]
            services.partner_change_stage(partner=own, by=user, stage=stage)
        except Exception as error:
            errors += 1
            print(f"error: {error!r}", file=sys.stderr)
    print(errors)


if __name__ == "__main__":
    main()
