"""Qualifying a partner against the three reasons alliances fail: a move to qualified asks do
they refer, can they say what you do, is their firm growing; records the answers on the profile;
and holds the move while an answer names a failure reason, unless the advisor qualifies anyway.
The board marks partners in the qualified column who fail or were never asked."""

import pytest
from django.core.exceptions import ValidationError

from reciprocity.partners import qualification, services
from reciprocity.partners.models import Partner, Propensity, Stage
from tests.api_client import refused, token_client
from tests.conftest import Cast, client_for
from tests.web import htmx, shows


def fails_message(partner: Partner, *failures: str) -> str:
    return services.QUALIFY_FAILS.format(partner=partner.name, failures="; ".join(failures))


REFERS = qualification.QUESTIONS[0].failure
GROWING = qualification.QUESTIONS[2].failure


def test_a_failing_answer_holds_the_move_and_changes_nothing(cast: Cast) -> None:
    partner = cast.alice_private
    with pytest.raises(ValidationError) as error:
        services.partner_change_stage(
            partner=partner,
            by=cast.alice,
            stage=Stage.QUALIFIED,
            answers={"propensity_to_refer": Propensity.LOW, "growth_mode": False},
        )
    assert error.value.message_dict == {"qualify_anyway": [fails_message(partner, REFERS, GROWING)]}
    partner.refresh_from_db()
    assert (partner.stage, partner.propensity_to_refer, partner.growth_mode) == (
        Stage.IDENTIFIED,
        None,
        None,
    )


def test_qualifying_anyway_moves_and_records_the_answers_in_the_profiles_history(
    cast: Cast,
) -> None:
    partner = cast.alice_private
    services.partner_change_stage(
        partner=partner,
        by=cast.alice,
        stage=Stage.QUALIFIED,
        answers={"growth_mode": False, "can_describe_value": "no"},
        qualify_anyway=True,
    )
    partner.refresh_from_db()
    assert (partner.stage, partner.growth_mode, partner.can_describe_value) == (
        Stage.QUALIFIED,
        False,
        "no",
    )
    latest = partner.history.latest()
    assert latest.history_user == cast.alice
    assert latest.growth_mode is False


def test_passing_answers_qualify_without_a_warning(cast: Cast) -> None:
    partner = cast.alice_private
    services.partner_change_stage(
        partner=partner,
        by=cast.alice,
        stage=Stage.QUALIFIED,
        answers={"propensity_to_refer": "high", "can_describe_value": "no", "growth_mode": True},
    )
    partner.refresh_from_db()
    assert partner.stage == Stage.QUALIFIED
    assert qualification.shortfall(partner) == ""


def test_a_failing_profile_holds_a_move_to_qualified_even_without_answers(cast: Cast) -> None:
    partner = cast.alice_private
    Partner.objects.filter(pk=partner.pk).update(propensity_to_refer=Propensity.LOW)
    partner.refresh_from_db()
    with pytest.raises(ValidationError):
        services.partner_change_stage(partner=partner, by=cast.alice, stage=Stage.QUALIFIED)
    # Other moves ask nothing.
    services.partner_change_stage(partner=partner, by=cast.alice, stage=Stage.FIRST_MEETING)


def test_an_answer_that_is_no_question_or_no_choice_is_refused(cast: Cast) -> None:
    partner = cast.alice_private
    with pytest.raises(ValidationError) as error:
        services.partner_change_stage(
            partner=partner, by=cast.alice, stage=Stage.QUALIFIED, answers={"name": "X"}
        )
    assert "answers" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        services.partner_change_stage(
            partner=partner,
            by=cast.alice,
            stage=Stage.QUALIFIED,
            answers={"propensity_to_refer": "eager"},
        )
    assert "propensity_to_refer" in error.value.message_dict


def test_the_move_form_asks_the_questions_prefilled_and_explains_a_failure(cast: Cast) -> None:
    partner = cast.alice_private
    Partner.objects.filter(pk=partner.pk).update(growth_mode=False)
    client = client_for(cast.alice)
    page = client.get(f"/partners/{partner.pk}/stage/").content.decode()
    for question in qualification.QUESTIONS:
        assert question.text in page
    assert '<option value="no" selected>No</option>' in page
    refused_move = client.post(
        f"/partners/{partner.pk}/stage/",
        {"stage": "qualified", "propensity_to_refer": "high", "growth_mode": "no"},
    )
    assert shows(refused_move, fails_message(partner, GROWING))
    partner.refresh_from_db()
    assert partner.stage == Stage.IDENTIFIED
    client.post(
        f"/partners/{partner.pk}/stage/",
        {
            "stage": "qualified",
            "propensity_to_refer": "high",
            "can_describe_value": "yes",
            "growth_mode": "no",
            "qualify_anyway": "on",
        },
    )
    partner.refresh_from_db()
    assert (partner.stage, partner.propensity_to_refer, partner.can_describe_value) == (
        Stage.QUALIFIED,
        "high",
        "yes",
    )


def test_a_card_dropped_on_qualified_leaves_the_profile_as_it_was(cast: Cast) -> None:
    partner = cast.alice_private
    Partner.objects.filter(pk=partner.pk).update(propensity_to_refer="high", growth_mode=True)
    client_for(cast.alice).post(
        f"/partners/{partner.pk}/stage/", {"stage": "qualified"}, headers=htmx("board")
    )
    partner.refresh_from_db()
    assert (partner.stage, partner.propensity_to_refer, partner.growth_mode) == (
        Stage.QUALIFIED,
        "high",
        True,
    )


def test_the_board_marks_partners_in_the_qualified_column_who_fail_or_were_never_asked(
    cast: Cast,
) -> None:
    failing, unasked = cast.alice_private, cast.alice_shared
    services.partner_change_stage(
        partner=failing,
        by=cast.alice,
        stage=Stage.QUALIFIED,
        answers={"propensity_to_refer": "low"},
        qualify_anyway=True,
    )
    services.partner_change_stage(partner=unasked, by=cast.alice, stage=Stage.QUALIFIED)
    board = client_for(cast.alice).get("/pipeline/").content.decode()
    assert f"Fails qualification: {REFERS}" in board
    assert "Not qualified yet: 3 of 3 questions unanswered" in board


def test_the_api_refuses_a_failing_qualification_until_told_to_qualify_anyway(
    cast: Cast,
) -> None:
    partner = cast.alice_private
    api = token_client(cast.alice)
    body = {"stage": "qualified", "answers": {"growth_mode": False}}
    response = api.call("POST", f"partners/{partner.pk}/stage", body)
    refused(response, "qualify_anyway", fails_message(partner, GROWING))
    moved = api.call("POST", f"partners/{partner.pk}/stage", {**body, "qualify_anyway": True})
    assert moved.status_code == 201, moved.json()
    partner.refresh_from_db()
    assert (partner.stage, partner.growth_mode) == (Stage.QUALIFIED, False)
