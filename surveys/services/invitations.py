"""Invitations for a round: the link of a code, the wording every letter and e-mail shares, erasing the
addresses once a round has closed, and the overview of rounds. Links as CSV and printable letters are
in letters.py, e-mail through SMTP with reminders in mail.py.

Plain codes are never stored (only their hashes, see rounds.py): whatever makes or rotates a code hands it
straight to what goes out, a file, a letter or an e-mail. Nothing logs a code or an address; the callers
audit counts only."""

from dataclasses import dataclass
from datetime import date

from sqlalchemy import case, func, select, update

from ..extensions import db
from ..models import InvitationCode, Response, Round
from . import organisation, transaction
from .rounds import RoundError


class RoundClosedError(RoundError):
    """New codes or mails for a round whose close date has passed: they could only show "closed"."""


def link(base_url: str, code: str) -> str:
    return f"{base_url.rstrip('/')}/r/{code}"


def check_open(round_: Round, today: date) -> None:
    if round_.closes_on < today:
        raise RoundClosedError(f"Deze meetronde is gesloten sinds {dutch_date(round_.closes_on)}. "
                               "Maak een nieuwe meetronde voor nieuwe uitnodigingen.", "round")


# --- wording: one text for letters and e-mails, plain Dutch at B1 level ---------------------------------

MONTHS = ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september",
          "oktober", "november", "december")


def dutch_date(day: date) -> str:
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


@dataclass(frozen=True)
class Audience:
    greeting: str
    subject: str
    why: str
    privacy: str


ANONYMOUS = "Uw antwoorden zijn anoniem. Wij weten niet wie welke antwoorden gaf."
# {name} is the organisation's full name, {short} its short name (the organisation profile).
AUDIENCES = {
    "client": Audience(
        "Beste inwoner,", "Wat vond u van de hulp van {short}?",
        "U kreeg hulp van {name}. Wij willen graag weten wat u van die hulp vond. "
        "Zo kunnen wij ons werk beter doen.", ANONYMOUS),
    "partner": Audience(
        "Beste samenwerkingspartner,", "Wat vindt u van de samenwerking met {short}?",
        "U werkt samen met {name}. Wij willen graag weten wat u vindt van die "
        "samenwerking in het afgelopen halfjaar. Zo kunnen wij samen beter werken.", ANONYMOUS),
    "gemeente": Audience(
        "Beste collega van de gemeente,", "Wat vindt u van de samenwerking met {short}?",
        "{name} wil graag weten wat u vindt van de samenwerking met de gemeente "
        "in het afgelopen halfjaar. Zo kunnen wij onze afspraken beter nakomen.",
        "Wij gaan vertrouwelijk om met uw antwoorden. Maar de groep is klein. Daarom zijn uw antwoorden "
        "niet helemaal anoniem."),
    "medewerker": Audience(
        "Beste collega,", "Huis op orde: wat vindt u van onze organisatie?",
        "{name} wil graag weten wat u vindt van hoe onze organisatie geregeld is. "
        "Zo kunnen wij samen verbeteren wat nodig is.",
        "Uw antwoorden zijn anoniem. Wij vragen niet naar uw team, functie of leeftijd."),
}
REMINDER = ("Een tijdje geleden kreeg u een e-mail met een vragenlijst van {short}. "
            "Hebt u die nog niet ingevuld? Dan vragen wij het u nog één keer.")
NEW_LINK = "Gebruik deze nieuwe link. De link uit de eerste e-mail werkt niet meer."
CONTACT = "Hebt u een vraag? Bel {phone} of mail {email}."


@dataclass(frozen=True)
class Wording:
    subject: str
    greeting: str
    before_link: tuple[str, ...]  # paragraphs above the link
    after_link: tuple[str, ...]
    closing: tuple[str, ...]  # "Met vriendelijke groet," and the organisation's name
    sender_name: str  # the organisation's full name: the letterhead, the e-mail's From name


def wording(round_: Round, today: date, *, channel: str, reminder: bool = False) -> Wording:
    """The invitation's text for a round's audience; `channel` is "letter" or "mail"."""
    audience = AUDIENCES[round_.questionnaire]
    profile = organisation.current()
    names = {"name": profile.name, "short": profile.short_name}
    when = f"tot en met {dutch_date(round_.closes_on)}"
    if round_.opens_on > today:
        when = f"van {dutch_date(round_.opens_on)} {when}"
    before = ((REMINDER if reminder else audience.why).format(**names),
              f"Het invullen duurt ongeveer 3 minuten. {audience.privacy}",
              NEW_LINK if reminder else ("Ga naar deze website:" if channel == "letter" else "Klik op deze link:"))
    after = (f"De link is alleen voor u en werkt één keer. U kunt de vragenlijst invullen {when}.",
             CONTACT.format(phone=profile.phone, email=profile.email))
    subject = f"Herinnering: {audience.subject}" if reminder else audience.subject
    return Wording(subject.format(**names), audience.greeting, before, after,
                   ("Met vriendelijke groet,", profile.short_name), profile.name)


# --- retention and overview -------------------------------------------------------------------------------

def erase_closed_round_contacts(today: date) -> int:
    """Forget the e-mail addresses of rounds that closed before today; returns how many were erased."""
    with transaction():
        erased = db.session.execute(
            update(InvitationCode)
            .where(InvitationCode.email.is_not(None),
                   InvitationCode.round_id.in_(select(Round.id).where(Round.closes_on < today)))
            .values(email=None)
            .execution_options(synchronize_session=False)
        ).rowcount
    return erased


@dataclass(frozen=True)
class RoundStats:
    round: Round
    codes: int
    used: int
    addresses: int
    responses: int

    @property
    def response_rate(self) -> float | None:
        population = self.round.population
        # More responses than the population is a data problem, never a rate above 100 %.
        return self.responses / population if population and self.responses <= population else None


def round_stats(round_id: int | None = None) -> list[RoundStats]:
    """Each round (or just one) with its codes made, used and with an address, and its responses;
    newest first. Counted by the database, two GROUP BYs joined to the rounds."""
    codes = (select(InvitationCode.round_id, func.count().label("codes"),
                    func.sum(case((InvitationCode.used, 1), else_=0)).label("used"),
                    func.count(InvitationCode.email).label("addresses"))
             .group_by(InvitationCode.round_id))
    responses = select(Response.round_id, func.count().label("responses")).group_by(Response.round_id)
    if round_id is not None:
        codes = codes.where(InvitationCode.round_id == round_id)
        responses = responses.where(Response.round_id == round_id)
    else:
        responses = responses.where(Response.round_id.is_not(None))
    codes, responses = codes.subquery(), responses.subquery()
    query = (select(Round, func.coalesce(codes.c.codes, 0), func.coalesce(codes.c.used, 0),
                    func.coalesce(codes.c.addresses, 0), func.coalesce(responses.c.responses, 0))
             .outerjoin(codes, codes.c.round_id == Round.id)
             .outerjoin(responses, responses.c.round_id == Round.id)
             .order_by(Round.id.desc()))
    if round_id is not None:
        query = query.where(Round.id == round_id)
    return [RoundStats(*row) for row in db.session.execute(query)]
