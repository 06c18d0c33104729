"""One writer process of the concurrency test: logs touches and commitments on a shared partner
(completing every other one) and walks its own partner through the pipeline; given a referral's
step, skips (or completes) and reopens it each time (and may do nothing else), and completes it
at the end when told to; given another partner, merges it into the shared one halfway. Prints
the number of errors it met."""

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
    parser.add_argument("--complete-each", action="store_true")
    parser.add_argument("--steps-only", action="store_true")
    parser.add_argument("--merge", type=int)
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "reciprocity.settings")
    import django

    django.setup()
    from django.utils import timezone

    from reciprocity.accounts.models import User
    from reciprocity.partners import services
    from reciprocity.partners.merge import partner_merge
    from reciprocity.partners.models import PIPELINE_STAGES, Partner
    from reciprocity.referrals.models import ReferralStep
    from reciprocity.referrals.services import steps

    user = User.objects.get(pk=args.user)
    shared = Partner.objects.get(pk=args.shared)
    own = Partner.objects.get(pk=args.own)
    errors = 0
    for op in range(args.ops):
        try:
            if not args.steps_only:
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
                if args.complete_each:
                    steps.referral_step_complete(step=step, by=user)
                else:
                    steps.referral_step_skip(step=step, by=user)
                steps.referral_step_reopen(step=step, by=user)
            if args.merge and op == args.ops // 2:
                other = Partner.objects.get(pk=args.merge)
                partner_merge(user=user, keep=shared, other=other)
        except Exception as error:
            errors += 1
            print(f"error: {error!r}", file=sys.stderr)
    if args.step and args.finish:
        step = ReferralStep.objects.get(pk=args.step)
        steps.referral_step_complete(step=step, by=user)
    print(errors)


if __name__ == "__main__":
    main()
