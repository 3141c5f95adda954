"""The response planner for a round (DESIGN.md §5): how many responses, and so invitations, a conclusive
verdict on the round's mean-grade KPI needs if the true mean lies 0.3, 0.5 or 1.0 from the norm."""

from dataclasses import dataclass

from .. import aggregates, scoring
from ..models import Round
from ..periods import parse_period
from ..questionnaires import Kpi
from ..scoring.planner import PlanRow, plan_table
from . import questionnaires as questionnaire_service
from .kpi_catalogue import catalogue
from .reports import reference_groups

DEFAULT_RESPONSE_RATE = 0.5  # when no earlier round of the questionnaire says otherwise


@dataclass(frozen=True)
class RoundPlan:
    kpi: Kpi
    sd: float  # the expected SD of the grades
    sd_from_history: bool  # False: the prior SD 2.0, for lack of published earlier half-years
    response_rate: float
    rate_source: str  # in words: where the expected response rate comes from
    population: int | None
    rows: list[PlanRow]


class PlanError(ValueError):
    """A round the planner cannot plan for; the message says why."""


def round_plan(round_: Round, response_rate: float | None = None) -> RoundPlan:
    """The plan for a round; ``response_rate`` overrides the previous period's rate (or 50 %)."""
    kpi = next((k for k in catalogue() if k.questionnaire == round_.questionnaire and k.statistic == "mean"), None)
    if kpi is None:
        raise PlanError(f"de vragenlijst {round_.questionnaire} heeft geen KPI met een gemiddeld cijfer")
    if response_rate is not None and not 0 < response_rate <= 1:
        raise PlanError("het verwachte responspercentage moet tussen 0 en 100 % liggen")
    questionnaire = questionnaire_service.current(round_.questionnaire)  # its min n, as published
    period = parse_period(round_.period)
    groups = reference_groups(kpi.item, period, questionnaire.min_n)
    pooled = scoring.pooled_sd(groups)
    sd = pooled if pooled is not None else scoring.PRIOR_SD
    reference = scoring.grade_reference_sd(groups, min_n=questionnaire.min_n)
    rate, source = response_rate, "opgegeven"
    if rate is None:
        rate, source = _previous_rate(round_.questionnaire, period)
    rows = plan_table(sd, response_rate=rate, population=round_.population, reference_sd=reference,
                      min_n=questionnaire.min_n)
    return RoundPlan(kpi, sd, pooled is not None, rate, source, round_.population, rows)


def _previous_rate(questionnaire: str, period) -> tuple[float, str]:
    previous = period.previous()
    population = aggregates.populations(questionnaire, [previous]).get(str(previous))
    responses = aggregates.response_counts(questionnaire, [previous]).get(str(previous), 0)
    if population and 0 < responses <= population:
        return responses / population, f"de respons in {previous}"
    return DEFAULT_RESPONSE_RATE, "aangenomen (geen eerdere respons bekend)"
