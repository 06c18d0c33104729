"""One class per diagnosis of a partner, and the registry that orders them.

A stall is named once: the kinds whose cause is on record (wrong firm, wrong professional,
wrong message) are judged first, and ``no_referral_yet`` stands only when none of them did.
"""

import datetime as dt
from typing import Any

from django.db.models import Q

from reciprocity.insights.diagnoses.base import (
    FALLBACK_CADENCE_MONTHS,
    WINDOW_MONTHS,
    ActionSlug,
    Cutoffs,
    Diagnosis,
    Judging,
    Kind,
    Thresholds,
    Verdict,
    day,
    months_between,
    months_later,
    plural,
    start_of,
    verdict_code,
)
from reciprocity.partners.models import CanDescribeValue, FailureReason, Propensity, Stage
from reciprocity.playbook.models import STRATEGY_RUNGS, Strategy
from reciprocity.playbook.models.cadences import INTERVAL_MIN_MONTHS
from reciprocity.playbook.selectors.cadences import add_months

# The stages in which the partnership should be written down.
AGREED_STAGES = (Stage.ACTIVE, Stage.CHAMPION)


class WrongFirm(Kind):
    """The partner's firm is not in growth mode and no referral came from it in the last 12
    months. A fact about fit, known as soon as it is on record: no patience window to wait out
    (seed 004: look for firms seeking new clients), but it is less pressing (medium) before
    the window ends. Answer: walk away."""

    slug = "wrong_firm"
    title = "Their firm is not meeting new clients"
    action = "walk_away"
    severity = "high"

    def candidates(self, *, today: dt.date, patient: Q, thresholds: Thresholds) -> Q:
        return Q(growth_mode=False, received_12m=0)

    def verdict(self, p: Any, judging: Judging) -> Verdict | None:
        if p.growth_mode is not False or p.received_12m:
            return None
        return ("high" if judging.patient_enough else "medium"), self.action

    def verdict_sql(self, cuts: Cutoffs) -> tuple[str, list[Any]]:
        return (
            "CASE WHEN growth_mode = %s AND received_12m = 0 THEN"
            " CASE WHEN met_at < %s THEN %s ELSE %s END END",
            [
                False,
                cuts.patient,
                verdict_code("high", self.action),
                verdict_code("medium", self.action),
            ],
        )

    def judge(self, p: Any, judging: Judging) -> Diagnosis | None:
        if self.verdict(p, judging) is None:
            return None
        last = p.last_received_at
        since = f"; the last came on {day(last)}" if last else ""
        evidence = [
            "Their firm is not in growth mode: it meets few new clients to refer",
            f"No referral received in the last {WINDOW_MONTHS} months{since}",
            f"{p.get_stage_display()} since {day(p.stage_changed_at)}",
        ]
        if judging.patient_enough:
            return self.diagnosis(p, evidence, reason=FailureReason.WRONG_FIRM)
        evidence.append(
            "Waiting longer will not help: time grows an alliance, not a firm's new clients; "
            "look for partners at firms that are seeking them"
        )
        return self.diagnosis(p, evidence, severity="medium", reason=FailureReason.WRONG_FIRM)


class WrongProfessional(Kind):
    """A low propensity to refer and no referral ever received, the patience window after the
    first meeting. Answer: walk away."""

    slug = "wrong_professional"
    title = "They do not refer"
    action = "walk_away"
    severity = "high"

    def candidates(self, *, today: dt.date, patient: Q, thresholds: Thresholds) -> Q:
        return Q(received_ever=0, propensity_to_refer=Propensity.LOW)

    def verdict(self, p: Any, judging: Judging) -> Verdict | None:
        if p.propensity_to_refer != Propensity.LOW or p.received_ever:
            return None
        if not judging.patient_enough:
            return None
        return self.severity, self.action

    def verdict_sql(self, cuts: Cutoffs) -> tuple[str, list[Any]]:
        return (
            "CASE WHEN propensity = %s AND received_ever = 0 AND met_at < %s THEN %s END",
            [Propensity.LOW, cuts.patient, verdict_code(self.severity, self.action)],
        )

    def judge(self, p: Any, judging: Judging) -> Diagnosis | None:
        if self.verdict(p, judging) is None:
            return None
        return self.diagnosis(
            p,
            [
                "Propensity to refer: low",
                f"No referral received in the {plural(judging.months, 'month')} since you "
                f"first met on {day(judging.met_on)}",
                f"{plural(p.touches_since_met, 'touch', 'touches')} in that time",
            ],
            reason=FailureReason.WRONG_PROFESSIONAL,
        )


class WrongMessage(Kind):
    """The partner cannot say whom the advisor helps and what is unique about them. Answer:
    change the message; the message is the partner owner's, so someone else reading it is
    sent to the partner's playbook, not to their own message."""

    slug = "wrong_message"
    title = "They cannot say what you do"
    action = "change_message"

    def candidates(self, *, today: dt.date, patient: Q, thresholds: Thresholds) -> Q:
        return Q(can_describe_value=CanDescribeValue.NO)

    def verdict(self, p: Any, judging: Judging) -> Verdict | None:
        if p.can_describe_value != CanDescribeValue.NO:
            return None
        return self.severity, self.action

    def verdict_sql(self, cuts: Cutoffs) -> tuple[str, list[Any]]:
        return (
            "CASE WHEN describes = %s THEN %s END",
            [CanDescribeValue.NO, verdict_code(self.severity, self.action)],
        )

    def judge(self, p: Any, judging: Judging) -> Diagnosis | None:
        if self.verdict(p, judging) is None:
            return None
        checked = p.check_at
        if p.check_result == CanDescribeValue.NO and checked is not None:
            heard = f": “{p.check_heard}”" if p.check_heard else ""
            evidence = [f"Could not say your message back on {day(checked)}{heard}"]
        else:
            evidence = ["Their profile says they cannot describe your value"]
        owners_message = p.owner_id != judging.advisor.pk
        if not p.owner_has_message:
            evidence.append(
                f"{p.owner.display_name}'s message (whom they help, what is unique) is not "
                "written down"
                if owners_message
                else "The message (whom you help, what is unique) is not written down"
            )
        evidence.append(
            f"{plural(p.received_ever, 'referral')} received from them so far"
            if p.received_ever
            else "No referral received from them yet"
        )
        return self.diagnosis(p, evidence, owners_message=owners_message)


class NoReferralYet(Kind):
    """Many touches since the first meeting, the patience window passed, and no referral ever
    received, with no cause on record. Answer: move up the influencer referral spectrum."""

    slug = "no_referral_yet"
    title = "No referral yet"
    action = "change_strategy"
    unless_found = ("wrong_firm", "wrong_professional", "wrong_message")

    def candidates(self, *, today: dt.date, patient: Q, thresholds: Thresholds) -> Q:
        return Q(received_ever=0, touches_since_met__gte=thresholds.many_touches)

    def verdict(self, p: Any, judging: Judging) -> Verdict | None:
        if judging.found_any(*self.unless_found):
            return None
        if p.received_ever or not judging.patient_enough:
            return None
        if p.touches_since_met < judging.thresholds.many_touches:
            return None
        return self.severity, self.action

    def verdict_sql(self, cuts: Cutoffs) -> tuple[str, list[Any]]:
        return (
            "CASE WHEN received_ever = 0 AND met_at < %s AND touches_since_met >= %s THEN %s END",
            [cuts.patient, cuts.thresholds.many_touches, verdict_code(self.severity, self.action)],
        )

    def judge(self, p: Any, judging: Judging) -> Diagnosis | None:
        touches = p.touches_since_met
        if self.verdict(p, judging) is None:
            return None
        strategy = Strategy(str(p.current_strategy))
        months = plural(judging.months, "month")
        return self.diagnosis(
            p,
            [
                f"{touches} touches since {day(judging.met_on)}, when you first met",
                f"No referral received in {months}",
                f"Strategy: {strategy.label} (rung {STRATEGY_RUNGS[strategy]} of {len(Strategy)})",
            ],
            title=f"No referral after {months}",
        )


class OneWay(Kind):
    """Several referrals sent in the last 12 months and none received. Answer: make the ask
    (or review the agreement in place); after the walk-away window with nothing back, walk
    away."""

    slug = "one_way"
    title = "Referrals go one way"
    action = "make_the_ask"

    def candidates(self, *, today: dt.date, patient: Q, thresholds: Thresholds) -> Q:
        return Q(sent_12m__gte=thresholds.one_way_min_sent, received_12m=0)

    def verdict(self, p: Any, judging: Judging) -> Verdict | None:
        if p.sent_12m < judging.thresholds.one_way_min_sent or p.received_12m:
            return None
        if self.nothing_back_since(p, judging):
            return "high", "walk_away"
        return self.severity, ("review_agreement" if p.has_agreement else "make_the_ask")

    def verdict_sql(self, cuts: Cutoffs) -> tuple[str, list[Any]]:
        # Nothing back since the later of the first referral sent and the last received.
        return (
            "CASE WHEN sent_12m >= %s AND received_12m = 0 THEN CASE"
            " WHEN first_sent_at IS NOT NULL AND received_24m = 0 AND (CASE"
            " WHEN last_received_at > first_sent_at THEN last_received_at ELSE first_sent_at"
            " END) < %s THEN %s WHEN has_agreement THEN %s ELSE %s END END",
            [
                cuts.thresholds.one_way_min_sent,
                cuts.walk_away,
                verdict_code("high", "walk_away"),
                verdict_code(self.severity, "review_agreement"),
                verdict_code(self.severity, "make_the_ask"),
            ],
        )

    def judge(self, p: Any, judging: Judging) -> Diagnosis | None:
        if self.verdict(p, judging) is None:
            return None
        evidence = [
            f"{p.sent_12m} referrals sent in the last {WINDOW_MONTHS} months; none received"
        ]
        nothing_back = self.nothing_back_since(p, judging)
        if nothing_back:
            evidence.append(nothing_back)
        evidence.append(
            "A written agreement is in place"
            if p.has_agreement
            else "Nothing written down: no agreement on what each side will do"
        )
        if nothing_back:
            return self.diagnosis(
                p,
                evidence,
                action="walk_away",
                severity="high",
                reason=FailureReason.WRONG_PROFESSIONAL,
            )
        ask: ActionSlug = "review_agreement" if p.has_agreement else "make_the_ask"
        return self.diagnosis(p, evidence, action=ask)

    @staticmethod
    def nothing_back_since(p: Any, judging: Judging) -> str:
        """Why a one-way alliance is over, or "" while it is not: nothing has come back for
        the walk-away window, counted from the later of the first referral sent and the last
        one received (whatever came back before the first referral sent does not answer it)."""
        first_sent = p.first_sent_at
        last_received = p.last_received_at
        if first_sent is None or p.received_24m:
            return ""
        since = max(first_sent, last_received) if last_received else first_sent
        today = judging.today
        if today < months_later(judging.local_day(since), judging.thresholds.walk_away_months):
            return ""
        months = months_between(judging.local_day(since), today)
        if last_received is None:
            return (
                f"Nothing back in the {months} months since your first referral to them "
                f"on {day(first_sent)}"
            )
        if last_received >= first_sent:
            return (
                f"Nothing back in {months} months: the last referral from them came on {day(since)}"
            )
        return (
            f"Nothing back in the {months} months since your first referral to them on "
            f"{day(first_sent)}; the last referral from them came before, on {day(last_received)}"
        )


class GoneCold(Kind):
    """A partner who referred, or was worked (a touch on record), with no touch for more than
    the gone-cold factor times the cadence window of their stage: the alliance is fading
    without a decision. Answer: reconnect with a concrete next touch, or move them to
    dormant."""

    slug = "gone_cold"
    title = "Gone cold"
    action = "reconnect"

    def candidates(self, *, today: dt.date, patient: Q, thresholds: Thresholds) -> Q:
        # No cadence window is shorter than a month.
        months = thresholds.gone_cold_factor * INTERVAL_MIN_MONTHS
        cutoff = add_months(today, -months)
        return Q(last_contact_at__lt=start_of(cutoff + dt.timedelta(days=1)))

    def verdict(self, p: Any, judging: Judging) -> Verdict | None:
        last_contact = p.last_contact_at
        if last_contact is None:  # never worked, never referred
            return None
        window = self.window_of(p)
        if window is None:
            return None
        factor = judging.thresholds.gone_cold_factor
        if judging.today <= months_later(judging.local_day(last_contact), factor * window):
            return None
        return self.severity, self.action

    def verdict_sql(self, cuts: Cutoffs) -> tuple[str, list[Any]]:
        # ``window_of`` (none when touching base is off), and the later of the last touch and
        # the last referral from them; a window outside the cadences' range names nobody.
        window = (
            "CASE WHEN cadence_enabled IS NOT NULL AND NOT cadence_enabled THEN NULL"
            " WHEN cadence_enabled IS NOT NULL AND cadence_months <> 0 THEN cadence_months"
            " ELSE COALESCE(NULLIF(stage_cadence_months, 0), %s) END"
        )
        last_contact = (
            "CASE WHEN last_touched_at IS NULL THEN last_received_at"
            " WHEN last_received_at IS NULL OR last_touched_at >= last_received_at"
            " THEN last_touched_at ELSE last_received_at END"
        )
        cutoffs = " ".join("WHEN %s THEN %s" for _ in cuts.gone_cold)
        return (
            f"CASE WHEN ({last_contact}) < (CASE ({window}) {cutoffs} END) THEN %s END",
            [
                FALLBACK_CADENCE_MONTHS,
                *(value for pair in cuts.gone_cold.items() for value in pair),
                verdict_code(self.severity, self.action),
            ],
        )

    @staticmethod
    def window_of(p: Any) -> int | None:
        """The touch-base window in months; None when touching base is off for this partner."""
        if p.cadence_enabled is not None:
            if not p.cadence_enabled:
                return None
            if p.cadence_months:
                return int(p.cadence_months)
        return int(p.stage_cadence_months or FALLBACK_CADENCE_MONTHS)

    @staticmethod
    def cadence_of(p: Any) -> tuple[int | None, str]:
        """The touch-base window in months and where it comes from; None when the advisor
        turned touching base off for this partner."""
        if p.cadence_enabled is not None:
            if not p.cadence_enabled:
                return None, ""
            if p.cadence_months:
                return p.cadence_months, "your cadence for them"
        if p.stage_cadence_months:
            return p.stage_cadence_months, f"the firm's cadence for {p.get_stage_display()}"
        return FALLBACK_CADENCE_MONTHS, "the usual cadence"

    def judge(self, p: Any, judging: Judging) -> Diagnosis | None:
        if self.verdict(p, judging) is None:
            return None
        window, source = self.cadence_of(p)
        assert window is not None  # the verdict named it: touching base is on
        factor = judging.thresholds.gone_cold_factor
        since = judging.local_day(p.last_contact_at)
        months = months_between(since, judging.today)
        last_touch = p.last_touched_at
        evidence = [f"Last touch on {day(last_touch)}" if last_touch else "No touch logged"]
        if p.last_received_at is not None:
            evidence.append(f"Last referral from them on {day(p.last_received_at)}")
        evidence.append(
            f"Touch base every {plural(window, 'month')} ({source}): nothing for more than "
            f"{factor} times that"
        )
        return self.diagnosis(p, evidence, title=f"Gone cold: {plural(months, 'month')} silent")


class NoAgreement(Kind):
    """An active partner or champion with no written agreement in force. Answer: make the
    partnership explicit (seed 002): what each side will do, how a referral is passed, how
    you keep in touch."""

    slug = "no_agreement"
    title = "Nothing written down"
    action = "make_it_explicit"

    def candidates(self, *, today: dt.date, patient: Q, thresholds: Thresholds) -> Q:
        return Q(stage__in=AGREED_STAGES, has_agreement=False)

    def verdict(self, p: Any, judging: Judging) -> Verdict | None:
        if p.stage not in AGREED_STAGES or p.has_agreement:
            return None
        return self.severity, self.action

    def verdict_sql(self, cuts: Cutoffs) -> tuple[str, list[Any]]:
        return (
            "CASE WHEN stage IN (%s, %s) AND NOT has_agreement THEN %s END",
            [*AGREED_STAGES, verdict_code(self.severity, self.action)],
        )

    def judge(self, p: Any, judging: Judging) -> Diagnosis | None:
        if self.verdict(p, judging) is None:
            return None
        return self.diagnosis(
            p,
            [
                f"{p.get_stage_display()} since {day(p.stage_changed_at)}",
                "No written agreement in force: what each side will do, how a referral is "
                "passed, how you keep in touch",
            ],
        )


class TooEarlyToJudge(Kind):
    """Under the patience window since the first meeting, and no referral yet: the expected
    state, not a failure. Shown only when nothing else is found (set aside or not): a
    reassurance beside a cause or a walk-away would contradict it. Answer: keep going."""

    slug = "too_early"
    title = "Too early to judge"
    action = "keep_going"
    severity = "info"
    reassurance = True

    def candidates(self, *, today: dt.date, patient: Q, thresholds: Thresholds) -> Q:
        return Q(received_ever=0) & ~patient

    def verdict(self, p: Any, judging: Judging) -> Verdict | None:
        if p.received_ever or judging.patient_enough or judging.found:
            return None
        return self.severity, self.action

    def verdict_sql(self, cuts: Cutoffs) -> tuple[str, list[Any]]:
        return (
            "CASE WHEN received_ever = 0 AND met_at >= %s THEN %s END",
            [cuts.patient, verdict_code(self.severity, self.action)],
        )

    def judge(self, p: Any, judging: Judging) -> Diagnosis | None:
        if self.verdict(p, judging) is None:
            return None
        months = judging.thresholds.patience_months
        return self.diagnosis(
            p,
            [
                f"First met on {day(judging.met_on)}; no referral yet",
                f"Many alliances take {plural(months, 'month')} or more to bring the first "
                "referral: keep to the cadence, keep helping them, move up the referral "
                "spectrum",
                f"Judge from {day(judging.judge_from)}",
            ],
        )


# The kinds of a partner's diagnosis, in the order they are judged.
PARTNER_KINDS: tuple[Kind, ...] = (
    WrongFirm(),
    WrongProfessional(),
    WrongMessage(),
    NoReferralYet(),
    OneWay(),
    GoneCold(),
    NoAgreement(),
    TooEarlyToJudge(),
)
