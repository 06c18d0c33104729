"""A partner's scores: each 0 to 100, the sum of its parts, every part listed.

Plain pydantic models, not ninja's ``Schema``: they are answered as dicts (``scores_json``),
which need none of its attribute lookups, and a list of 50 partners carries a thousand of them.
"""

from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, Field, create_model

from reciprocity.insights.scores import SCORES
from reciprocity.partners import models
from reciprocity.partners.scored import scores_of


class ScorePart(BaseModel):
    label: str = Field(description="What the part counts, and what it found.")
    points: int
    of: int = Field(description="The most points the part gives.")


class Score(BaseModel):
    score: int = Field(ge=0, le=100, description="The sum of the parts' points.")
    band: Literal["low", "medium", "high"] = Field(
        description="low under 40, medium 40 to 69, high 70 and over."
    )
    parts: list[ScorePart]


if TYPE_CHECKING:
    PartnerScores = BaseModel
else:
    # One field per score ("yield" is a keyword in Python, hence a model made from the names).
    PartnerScores = create_model(
        "PartnerScores",
        __base__=BaseModel,
        __doc__="The partner's scores on today's records (README, Scores).",
        **{slug: (Score, Field(description=f"The {slug} score.")) for slug in SCORES},
    )


def scores_json(partner: models.Partner) -> dict[str, Any]:
    return {
        score.slug: {
            "score": score.score,
            "band": score.band,
            "parts": [
                {"label": part.label, "points": part.points, "of": part.of} for part in score.parts
            ],
        }
        for score in scores_of(partner)
    }
