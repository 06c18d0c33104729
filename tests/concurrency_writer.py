"""One writer process of the concurrency test: logs touches and commitments on a shared partner
(completing every other one) and walks its own partner through the pipeline; given a referral's
step, skips and reopens it each time, and completes it at the end when told to. Prints the
number of errors it met."""

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
    parser.add_argument("--step", type=int)
    parser.add_argument("--finish", action="store_true")
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "reciprocity.settings")
    import django

    django.setup()
    from django.utils import timezone

    from reciprocity.accounts.models import User
    from reciprocity.partners import services
    from reciprocity.partners.models import PIPELINE_STAGES, Partner
    from reciprocity.referrals.models import ReferralStep
    from reciprocity.referrals.services import steps

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
            if args.step:
                step = ReferralStep.objects.get(pk=args.step)
                steps.referral_step_skip(step=step, by=user)
                steps.referral_step_reopen(step=step, by=user)
        except Exception as error:
            errors += 1
            print(f"error: {error!r}", file=sys.stderr)
    if args.step and args.finish:
        step = ReferralStep.objects.get(pk=args.step)
        steps.referral_step_complete(step=step, by=user)
    print(errors)


if __name__ == "__main__":
    main()
