"""KPI results per period: aggregates from the database, statistics from scoring, suppression applied.

Every channel (report command, API, charts, exports, dashboard) takes its figures from here, so a
suppressed group is suppressed everywhere alike, and a period that is not published (publication.py)
carries no figure anywhere: only its response count and rate."""

from collections.abc import Iterable
from dataclasses import dataclass

from .. import aggregates, scoring
from ..extensions import db
from ..models import Answer, HiddenAnswer, QuestionnaireVersion
from ..periods import Period, half_year_of, parse_period, today
from ..questionnaires import Item, Kpi, Questionnaire
from ..scoring import MeanResult, ShareResult, TrendResult
from . import audit, publication, transaction
from .kpi_catalogue import catalogue
from .questionnaires import definition_of, in_force, in_force_one


class _Groups(dict):
    """Who answers each questionnaire, as the reports and the downloads page name them; a questionnaire made
    in the editor is named by its title."""

    def __missing__(self, key: str) -> str:
        questionnaire = in_force().get(key)
        return questionnaire.title.nl if questionnaire is not None else key


GROUPS = _Groups({"client": "Cliënten", "partner": "Partners", "gemeente": "Gemeente", "medewerker": "Medewerkers"})


class ReportError(ValueError):
    """A period or KPI the report cannot be made for; the message says why."""


@dataclass(frozen=True)
class KpiReport:
    """One KPI in one period: the result, the trend against the previous period and the response."""

    kpi: Kpi
    period: Period
    result: MeanResult | ShareResult
    trend: TrendResult | None
    responses: int
    population: int | None
    published: bool = True
    min_n: int = scoring.DEFAULT_MIN_N
    held_back: int = 0  # answers left out to keep nested figures apart (publication.included_quarters)

    @property
    def response_hidden(self) -> bool:
        """A published period with fewer responses than the minimum n shows neither its count nor its rate:
        "minder dan N". Before publication the count and rate are all a period shows (DESIGN.md §6)."""
        return self.published and 0 < self.responses < self.min_n

    @property
    def shown_responses(self) -> int | None:
        return None if self.response_hidden else self.responses

    @property
    def response_rate(self) -> float | None:
        """Responses / N; None without N, when there are more responses than N (a data problem), and when
        the count itself is hidden."""
        if not self.population or self.responses > self.population or self.response_hidden:
            return None
        return self.responses / self.population

    @property
    def data_problem(self) -> bool:
        """More responses than the population: the figures are shown, no verdict is given."""
        return "n_exceeds_population" in self.result.notes

    def to_dict(self) -> dict:
        """The fields of DESIGN.md section 7; a suppressed entry carries no mean, share or interval."""
        result = self.result
        entry = {
            "kpi": self.kpi.key, "label": self.kpi.label.nl, "questionnaire": self.kpi.questionnaire,
            "item": self.kpi.item, "period": str(self.period), "statistic": self.kpi.statistic,
            "n": None if result.suppressed else result.n, "norm": float(result.norm.exact),
            "operator": result.norm.operator,
        }
        if self.kpi.statistic == "mean":
            entry["mean"] = result.mean
        else:
            entry["share"] = result.share
        entry |= {
            "ci_low": result.ci_low, "ci_high": result.ci_high, "verdict": result.verdict,
            "side": result.side, "meets_norm": result.meets_norm, "suppressed": result.suppressed,
            "indicative": result.indicative, "method": result.method, "responses": self.shown_responses,
            "population": self.population, "response_rate": self.response_rate, "published": self.published,
            "held_back": self.held_back,
            "trend": self.trend.to_dict() if self.trend and not result.suppressed else None,
            "notes": list(result.notes),
        }
        return {key: scoring._json_value(value) for key, value in entry.items()}


def norm_of(kpi: Kpi, period: Period) -> scoring.Norm:
    """The norm the KPI is judged by in this period: the annual plan's norm of that half-year."""
    holding = kpi.norm_in(period)
    return scoring.Norm(holding.operator, float(holding.value))


def periods_for(kpi: Kpi, period: Period) -> bool:
    """Whether the KPI is reported in periods of this kind (quarters: cliënt KPIs only)."""
    kind = "half_year" if period.is_half_year else "quarter"
    return kind in in_force_one(kpi.questionnaire).reporting


def _reference_half_years(period: Period) -> list[Period]:
    """The half-years before the one the period lies in: a quarter's reference never includes its own
    half-year, so a closed quarter's interval does not change when the next quarter's answers arrive."""
    found = [(period if period.is_half_year else half_year_of(period.start)).previous()]
    while len(found) < scoring.REFERENCE_HALF_YEARS:
        found.append(found[-1].previous())
    return found


def select_kpis(keys: list[str] | None = None) -> tuple[Kpi, ...]:
    kpis = catalogue()
    if not keys:
        return kpis
    known = {kpi.key: kpi for kpi in kpis}
    unknown = [key for key in keys if key not in known]
    if unknown:
        raise ReportError(f"onbekende KPI {', '.join(unknown)}; bekend zijn: {', '.join(known)}")
    return tuple(known[key] for key in keys)


def kpi_results(period: Period | str, kpi_keys: list[str] | None = None) -> list[KpiReport]:
    """Every (or the named) KPI reported in this period, in catalogue order."""
    period = parse_period(period) if isinstance(period, str) else period
    kpis = [kpi for kpi in select_kpis(kpi_keys) if periods_for(kpi, period)]
    if not kpis:
        raise ReportError(f"geen KPI wordt per {'halfjaar' if period.is_half_year else 'kwartaal'} "
                          f"gerapporteerd voor {period}: kwartalen gelden alleen voor de cliënt-KPI's")
    return [kpi_report(kpi, period) for kpi in kpis]


def kpi_report(kpi: Kpi, period: Period) -> KpiReport:
    """One KPI in one period, with its trend against the previous period of the same kind; a period
    that is not published carries its response count and rate only."""
    questionnaire = in_force_one(kpi.questionnaire)
    previous = period.previous()
    shown = publication.published_periods(kpi.questionnaire, [period, previous])
    if str(period) not in shown:
        return _withheld_report(kpi, period, questionnaire)
    now, held_back, included = figure_counts(questionnaire, [kpi.item], period)[kpi.item]
    before, _, _ = figure_counts(questionnaire, [kpi.item], previous)[kpi.item]
    populations = aggregates.populations(kpi.questionnaire, [period, previous])
    responses = aggregates.response_counts(kpi.questionnaire, [period, previous])
    population, previous_population = populations.get(str(period)), populations.get(str(previous))
    answered = responses.get(str(period), 0)
    # A census is decided on the responses the figure is made of: not those of a held-back quarter.
    counted = sum(aggregates.response_counts(kpi.questionnaire, _parts(included)).values()) if held_back \
        else answered
    norm = norm_of(kpi, period)
    sizes = dict(min_n=questionnaire.min_n, population=population, responses=counted)
    if kpi.statistic == "share":
        result = scoring.share_result(now.share(kpi.share_codes), norm, **sizes)
        change = scoring.share_trend(now.share(kpi.share_codes), before.share(kpi.share_codes),
                                     current_population=population, previous_population=previous_population,
                                     min_n=questionnaire.min_n)
    else:
        earlier = reference_groups(kpi.item, period, questionnaire.min_n)
        result = scoring.grade_result(now.grade(), norm, previous=earlier, **sizes)
        change = scoring.trend(now.grade(), before.grade(), current_population=population,
                               previous_population=previous_population, min_n=questionnaire.min_n)
    if _data_problem(result) or _exceeds(responses.get(str(previous), 0), previous_population):
        change = None  # a period with more responses than its population supports no comparison
    if str(previous) not in shown:
        change = None  # a trend would show the unpublished period's mean
    return KpiReport(kpi, period, result, change, answered, population, min_n=questionnaire.min_n,
                     held_back=held_back)


def _parts(included: Iterable[str] | None) -> list[Period]:
    return [parse_period(part) for part in included or ()]


def nested(questionnaire: Questionnaire, period: Period) -> bool:
    """Whether the period's figures lie over published quarter figures: a half-year of a questionnaire
    reported per quarter (publication.included_quarters decides what it holds back)."""
    return period.is_half_year and publication.reported_in(questionnaire.key, publication.quarters_of(period)[0])


def figure_counts(questionnaire: Questionnaire, items: list[str],
                  period: Period) -> dict[str, tuple[aggregates.AnswerCounts, int, set[str] | None]]:
    """Per item: the answer counts its published figure is made of, the answers held back from it to keep
    nested figures apart (publication.included_quarters), and the quarters included (None: the period as
    a whole). From the tallies, one query."""
    if not nested(questionnaire, period):
        counts = aggregates.answer_counts(items, [period])
        return {item: (counts.get((item, str(period), aggregates.ALL), aggregates.AnswerCounts()), 0, None)
                for item in items}
    quarters = publication.quarters_of(period)
    counts = aggregates.answer_counts(items, quarters)
    shown = publication.published_periods(questionnaire.key, quarters)
    result = {}
    for item in items:
        parts = {str(q): counts.get((item, str(q), aggregates.ALL), aggregates.AnswerCounts()) for q in quarters}
        included, held = publication.included_quarters({q: c.substantive for q, c in parts.items()}, shown,
                                                       questionnaire.min_n)
        result[item] = (aggregates.AnswerCounts.combined(parts[q] for q in sorted(included)), held, included)
    return result


def _withheld_report(kpi: Kpi, period: Period, questionnaire: Questionnaire) -> KpiReport:
    """The report of a period that is not published: its responses and population, no figure at all."""
    population = aggregates.populations(kpi.questionnaire, [period]).get(str(period))
    answered = aggregates.response_counts(kpi.questionnaire, [period]).get(str(period), 0)
    norm = norm_of(kpi, period)
    kind = MeanResult if kpi.statistic == "mean" else ShareResult
    result = kind(n=0, norm=norm, verdict=publication.WITHHELD, suppressed=True, population=population)
    return KpiReport(kpi, period, result, None, answered, population, published=False,
                     min_n=questionnaire.min_n)


def _exceeds(responses: int, population: int | None) -> bool:
    return population is not None and responses > population


def _data_problem(result: MeanResult | ShareResult) -> bool:
    return "n_exceeds_population" in result.notes


def reference_groups(item: str, period: Period, min_n: int) -> list[scoring.GradeAggregate]:
    """The item's groups in the half-years before the period's own half-year, those that were published:
    the half-year is published and the group passes the minimum n."""
    key = _questionnaire_of_item(item)
    earlier = _reference_half_years(period)
    if key is None:
        counts = aggregates.answer_counts([item], earlier)
        return [c.grade() for c in counts.values() if c.grade().n >= min_n]
    questionnaire = in_force_one(key)
    shown = publication.published_periods(key, earlier)
    # Each half-year as it was published: without what it held back (the spread of a hidden quarter).
    groups = [figure_counts(questionnaire, [item], half_year)[item][0].grade()
              for half_year in earlier if str(half_year) in shown]
    return [group for group in groups if group.n >= min_n]


def _questionnaire_of_item(item: str) -> str | None:
    return next((kpi.questionnaire for kpi in catalogue() if kpi.item == item), None)


@dataclass(frozen=True)
class GroupResult:
    group: str  # the background answer code, or "" for not given
    result: MeanResult | ShareResult


def kpi_breakdown(kpi: Kpi, period: Period, by: str) -> list[GroupResult]:
    """The KPI per group of a background item, with small groups and their complement hidden. A half-year
    over published quarters is made of the quarters its KPI figure includes, and also hides every group a
    shown quarter hides (publication.hidden_by_quarters)."""
    questionnaire = in_force_one(kpi.questionnaire)
    if by not in {item.key for item in questionnaire.items if item.background}:
        raise ReportError(f"'{by}' is geen achtergrondvraag van de vragenlijst {questionnaire.key}")
    if not publication.is_published(kpi.questionnaire, period):
        return []
    forced: set[str] = set()
    if nested(questionnaire, period):
        _, _, included = figure_counts(questionnaire, [kpi.item], period)[kpi.item]
        quarters = [parse_period(q) for q in sorted(included)]
        counts = aggregates.answer_counts([kpi.item], quarters, by=by) if quarters else {}
        parts: dict[str, dict[str, int]] = {str(q): {} for q in quarters}
        merged: dict[str, list] = {}
        for (_, quarter, grp), c in counts.items():
            parts[quarter][grp] = _aggregate(kpi, c).n
            merged.setdefault(grp, []).append(c)
        groups = {grp: aggregates.AnswerCounts.combined(cs) for grp, cs in merged.items()}
        forced = publication.hidden_by_quarters(parts, publication.published_periods(kpi.questionnaire, quarters),
                                                questionnaire.min_n, scoring.suppress_breakdown)
    else:
        counts = aggregates.answer_counts([kpi.item], [period], by=by)
        groups = {grp: c for (_, _, grp), c in counts.items()}
    aggregated = {grp: _aggregate(kpi, c) for grp, c in groups.items()}
    hidden = scoring.suppress_breakdown({grp: agg.n for grp, agg in aggregated.items()}, questionnaire.min_n,
                                        frozenset(forced))
    norm = norm_of(kpi, period)
    # One query for all groups: the reference of the whole item in the half-years before.
    previous = reference_groups(kpi.item, period, questionnaire.min_n) if kpi.statistic == "mean" else []
    results = []
    for grp in sorted(aggregated):
        # A hidden group is scored with an impossible minimum, so it carries no figure at all.
        min_n = aggregated[grp].n + 1 if grp in hidden else questionnaire.min_n
        if kpi.statistic == "share":
            result = scoring.share_result(aggregated[grp], norm, min_n=min_n)
        else:
            result = scoring.grade_result(aggregated[grp], norm, previous=previous, min_n=min_n)
        results.append(GroupResult(grp, result))
    return results


def _aggregate(kpi: Kpi, counts: aggregates.AnswerCounts):
    return counts.share(kpi.share_codes) if kpi.statistic == "share" else counts.grade()


def item_summaries(questionnaire: Questionnaire, period: Period | str) -> dict[str, object]:
    """Per closed item: the distribution (grades), the share (helemaal) eens (agree items) or the
    counts per option (choices); all suppressed below the questionnaire's minimum n. Empty for a period
    that is not published. A half-year over published quarters holds back what figure_counts holds back,
    and a background item's counts hide every group a shown quarter hides."""
    period = parse_period(period) if isinstance(period, str) else period
    if not publication.is_published(questionnaire.key, period):
        return {}
    items = [item for item in questionnaire.items if item.type != "open"]
    counts = figure_counts(questionnaire, [item.key for item in items], period)
    summaries: dict[str, object] = {}
    for item in items:
        tally, _, included = counts[item.key]
        if item.type == "grade":
            summaries[item.key] = scoring.grade_distribution(tally.counts, min_n=questionnaire.min_n)
        elif item.type == "agree":
            summaries[item.key] = scoring.agree_summary(tally.counts, min_n=questionnaire.min_n)
        else:
            forced = _hidden_in_quarters(questionnaire, item, included) if included else set()
            summaries[item.key] = choice_summary(item, tally.counts, questionnaire.min_n, forced)
    return summaries


@dataclass(frozen=True)
class VersionResult:
    """One version's part of an item in a period whose responses answered more than one version."""

    version: int
    item: Item | None  # the item as this version words it; None: the version does not ask it
    n: int | None = None  # None when hidden (or not asked)
    summary: object | None = None  # as item_summaries gives it; None when hidden or not asked
    mean: float | None = None  # a grade item's mean
    hidden: str | None = None  # "minder dan N" (small) or "niet getoond" (its complement)

    @property
    def text(self) -> str | None:
        return self.item.text.nl if self.item is not None else None


def _wording(item) -> tuple[str, tuple[str, ...]]:
    """What the report shows of an item: its Dutch text and the labels of its answers."""
    return item.text.nl, tuple(option.label.nl for option in item.answer_options())


def _n(item, counts: aggregates.AnswerCounts) -> int:
    """The n of the item's summary: the answers on its scale (a choice: every answer it offers)."""
    if item.type == "choice":
        offered = {option.code for option in item.answer_options()}
        return sum(count for code, count in counts.counts.items() if code in offered)
    return counts.substantive


def _summary(item, counts: aggregates.AnswerCounts, min_n: int):
    if item.type == "grade":
        return scoring.grade_distribution(counts.counts, min_n=min_n)
    if item.type == "agree":
        return scoring.agree_summary(counts.counts, min_n=min_n)
    return choice_summary(item, counts.counts, min_n)


def version_summaries(questionnaire: Questionnaire, period: Period | str) -> dict[str, list[VersionResult]]:
    """The new version's results next to the old version's in the same period: per closed item whose wording
    differs between the versions answered in the period (or that one of them does not ask), the result of
    each version, oldest first; also for an item the current version no longer asks (the page has no summary
    of it otherwise). Empty when the period is not published or holds one version.

    A split by version is a breakdown: a version below the minimum n is hidden, and so is its complement
    (scoring.suppress_breakdown); a half-year over published quarters is made of the quarters its item figure
    includes, and hides every version a shown quarter hides. Background items are not split: their answers
    are groups themselves, and a table of groups per version would show groups below the minimum n."""
    period = parse_period(period) if isinstance(period, str) else period
    if not publication.is_published(questionnaire.key, period):
        return {}
    answered = aggregates.versions_answered(questionnaire.key, period)
    if len(answered) < 2:
        return {}
    versions = {version_id: db.session.get(QuestionnaireVersion, version_id) for version_id in answered}
    worded = {version_id: definition_of(version) for version_id, version in versions.items()}
    split = []
    for item in questionnaire.items:
        wordings = {version_id: (_wording(found) if (found := _item_in(worded[version_id], item.key)) else None)
                    for version_id in versions}
        if _split_by_version(item) and len(set(wordings.values())) > 1:
            split.append(item)
    # An item the current version no longer asks has no summary of its own: its versions' results are all.
    for version_id in sorted(versions, key=lambda v: versions[v].version):
        split += [item for item in worded[version_id].items if _split_by_version(item)
                  and _item_in(questionnaire, item.key) is None and item.key not in {i.key for i in split}]
    if not split:
        return {}
    figures = figure_counts(questionnaire, [item.key for item in split], period)
    quarters = [str(q) for q in publication.quarters_of(period)]
    counts = aggregates.version_counts(questionnaire.key, [item.key for item in split], quarters)
    min_n = questionnaire.min_n
    result = {}
    for item in split:
        _, _, included = figures[item.key]
        parts_in = sorted(included) if included is not None else quarters
        per_version: dict[int, aggregates.AnswerCounts] = {}
        parts: dict[str, dict[int, int]] = {}
        for version_id in versions:
            asked = _item_in(worded[version_id], item.key)
            if asked is None:
                continue
            pieces = {q: counts.get((item.key, q, version_id), aggregates.AnswerCounts()) for q in parts_in}
            per_version[version_id] = aggregates.AnswerCounts.combined(pieces.values())
            for q, piece in pieces.items():
                parts.setdefault(q, {})[version_id] = _n(asked, piece)
        sizes = {version_id: _n(_item_in(worded[version_id], item.key), tally)
                 for version_id, tally in per_version.items()}
        forced: set = set()
        if included is not None:
            shown = publication.published_periods(questionnaire.key, parts_in)
            forced = publication.hidden_by_quarters(parts, shown, min_n, scoring.suppress_breakdown)
        if _item_in(questionnaire, item.key) is None and not any(sizes.values()):
            continue  # no longer asked, and not answered in this period either
        hidden = scoring.suppress_breakdown(sizes, min_n, frozenset(forced))
        rows = []
        for version_id in sorted(versions, key=lambda v: versions[v].version):
            asked = _item_in(worded[version_id], item.key)
            number = versions[version_id].version
            if asked is None:
                rows.append(VersionResult(number, None))
            elif version_id in hidden:
                words = f"minder dan {min_n}" if sizes[version_id] < min_n else "niet getoond"
                rows.append(VersionResult(number, asked, hidden=words))
            else:
                tally = per_version[version_id]
                summary = _summary(asked, tally, min_n)
                grade = tally.grade()
                mean = grade.total / grade.n if item.type == "grade" and grade.n else None
                rows.append(VersionResult(number, asked, n=sizes[version_id],
                                          summary=None if summary.suppressed else summary, mean=mean))
        result[item.key] = rows
    return result


def _split_by_version(item: Item) -> bool:
    return item.type != "open" and not item.background


def _item_in(questionnaire: Questionnaire, key: str) -> Item | None:
    return next((item for item in questionnaire.items if item.key == key), None)


def _hidden_in_quarters(questionnaire: Questionnaire, item, included: set[str]) -> set[str]:
    """The options of a background item that a shown quarter of the half-year hides."""
    if not item.background:
        return set()
    quarters = [parse_period(q) for q in sorted(included)]
    counts = aggregates.answer_counts([item.key], quarters)
    codes = [option.code for option in item.answer_options()]
    parts = {str(q): {code: counts.get((item.key, str(q), aggregates.ALL), aggregates.AnswerCounts()).counts
                      .get(code, 0) for code in codes} for q in quarters}
    return publication.hidden_by_quarters(parts, publication.published_periods(questionnaire.key, quarters),
                                          questionnaire.min_n, scoring.suppress_breakdown)


@dataclass(frozen=True)
class ChoiceSummary(scoring._JsonResult):
    """Counts per option of a choice item. For a background item the counts are group sizes: those of
    groups hidden in a breakdown are None here too, with the words shown instead (``hidden``)."""

    n: int
    suppressed: bool
    distribution: dict | None = None
    hidden: dict | None = None  # option code → "minder dan N" (small) or "niet getoond" (its complement)


def choice_summary(item, tally: dict, min_n: int, forced=frozenset()) -> ChoiceSummary:
    codes = [option.code for option in item.answer_options()]
    n = sum(count for code, count in tally.items() if code in codes)
    if n < min_n:
        return ChoiceSummary(n=n, suppressed=True)
    distribution = {code: tally.get(code, 0) for code in codes}
    if not item.background:
        return ChoiceSummary(n=n, suppressed=False, distribution=distribution)
    # The same complementary suppression as a breakdown by this item: no group below min n can be read or
    # derived from the summary (n minus the shown counts).
    hidden = scoring.suppress_breakdown(distribution, min_n, frozenset(forced))
    words = {code: f"minder dan {min_n}" if distribution[code] < min_n else "niet getoond" for code in hidden}
    return ChoiceSummary(n=n, suppressed=False, hidden=words,
                         distribution={code: None if code in hidden else count for code, count in distribution.items()})


@dataclass(frozen=True)
class FreeTextView:
    """The free-text answers a manager may read in a period, after the page's search and grade filter."""

    entries: list[aggregates.FreeText]
    shown_quarters: set[str]  # the quarters a comment may be dated to (published, with at least min n)


def free_text_answers(questionnaire: Questionnaire, period: Period, *, search: str | None = None,
                      grade: int | None = None, quarter: str | None = None) -> FreeTextView | None:
    """The free-text answers of the open items, newest first, where they may be read: the period is published
    and has at least the minimum n of responses; None otherwise. Hidden answers are never in it.

    ``quarter`` narrows a half-year's answers to one of its quarters, which must be one they may be dated to
    (``datable_quarters``): the list is then the half-year's answers shown with that quarter, and tells no
    more than their dates. Any other quarter raises ReportError (a Dutch sentence), also for a period that
    may not be read, so the refusal does not say which is which."""
    datable = datable_quarters(questionnaire, period)
    if quarter is not None and quarter not in datable:
        raise ReportError(f"De open antwoorden van {quarter[:20]} kunt u niet apart bekijken. "
                          f"Kies het hele halfjaar of een kwartaal uit de lijst.")
    if not publication.is_published(questionnaire.key, period):
        return None
    responses = aggregates.response_counts(questionnaire.key, [period]).get(str(period), 0)
    if responses < questionnaire.min_n:
        return None
    quarters = included_response_quarters(questionnaire, period)
    if quarter is not None:  # within the half-year's own quarters: never an answer the half-year holds back
        quarters = [part for part in (quarters if quarters is not None else [quarter]) if part == quarter]
    grade_item = next((item.key for item in questionnaire.items if item.type == "grade"), None)
    entries = aggregates.free_text_entries([item.key for item in questionnaire.items if item.type == "open"],
                                           period, quarters, search=search, grade_item=grade_item, grade=grade)
    return FreeTextView(entries, datable)


def datable_quarters(questionnaire: Questionnaire, period: Period) -> set[str]:
    """The quarters of `period` a free-text answer may be dated to: published ones with at least the minimum
    n of responses (DESIGN.md §6: never a finer date, and never a period too small to show)."""
    if not period.is_half_year or not nested(questionnaire, period):
        return set()
    quarters = publication.quarters_of(period)
    sizes = aggregates.response_counts(questionnaire.key, quarters)
    published = publication.published_periods(questionnaire.key, quarters)
    return {str(q) for q in quarters if str(q) in published and sizes.get(str(q), 0) >= questionnaire.min_n}


def hide_free_text(questionnaire: Questionnaire, response_id: int, item: str, *, by: str) -> bool:
    """Hide one free-text answer of `questionnaire` for good (it names a person); False when there is no such
    answer. Audited without its text: the log must not keep what was hidden."""
    open_items = {entry.key for entry in questionnaire.items if entry.type == "open"}
    answer = db.session.get(Answer, (response_id, item)) if item in open_items else None
    if answer is None or answer.text is None or answer.response.questionnaire != questionnaire.key:
        return False
    with transaction():
        db.session.merge(HiddenAnswer(response_id=response_id, item=item))
        audit.record("free_text_hidden", actor=by, detail=f"{questionnaire.key} reactie {response_id} vraag {item}",
                     commit=False)
    return True


def included_response_quarters(questionnaire: Questionnaire, period: Period) -> list[str] | None:
    """For the channels that show responses themselves (free text, the raw export): the quarters of a
    half-year over published quarters whose responses it includes (publication.included_quarters on the
    response counts); None when the period is whole."""
    if not nested(questionnaire, period):
        return None
    quarters = publication.quarters_of(period)
    sizes = aggregates.response_counts(questionnaire.key, quarters)
    included, _ = publication.included_quarters({str(q): sizes.get(str(q), 0) for q in quarters},
                                                publication.published_periods(questionnaire.key, quarters),
                                                questionnaire.min_n)
    return sorted(included)


def kpi_history(kpi_key: str, *, until: Period | None = None, count: int = 6) -> list[KpiReport]:
    """One KPI over the last `count` half-years up to `until` (default: the current half-year),
    oldest first: the series a chart draws. Suppressed periods stay in the list, marked as such."""
    (kpi,) = select_kpis([kpi_key])
    until = until or half_year_of(today())
    periods = [until]
    while len(periods) < count:
        periods.insert(0, periods[0].previous())
    return [kpi_report(kpi, period) for period in periods]
