"""Database tables. Privacy is part of the schema: a response holds no code, address, user agent or
time of day, and nothing links an invitation code to the response it produced."""

from datetime import UTC, date, datetime

from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy import true as sa_true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .extensions import db

CHANNELS = ("code", "open", "paper")


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class QuestionnaireVersion(db.Model):
    """One wording of a questionnaire. Responses point at the version they answered."""

    __tablename__ = "questionnaire_version"
    __table_args__ = (
        UniqueConstraint("questionnaire", "version"),
        UniqueConstraint("questionnaire", "checksum", name="uq_questionnaire_version_checksum"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    questionnaire: Mapped[str] = mapped_column(String(20))
    version: Mapped[int]
    checksum: Mapped[str] = mapped_column(String(64))
    definition: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class KnownQuestionnaire(db.Model):
    """A questionnaire this installation knows: the version respondents get now, and the beheerder's draft
    of the next one. The stored versions are the truth; the package's files are only what `seed` stores
    when a questionnaire is absent (and a shipped file's new wording, unless a beheerder published since)."""

    __tablename__ = "known_questionnaire"

    key: Mapped[str] = mapped_column(String(20), primary_key=True)
    current_version_id: Mapped[int | None] = mapped_column(ForeignKey("questionnaire_version.id"))
    # None (SQL NULL, not JSON null): no changes since the current version
    draft: Mapped[dict | None] = mapped_column(JSON(none_as_null=True))
    seeded_checksum: Mapped[str | None] = mapped_column(String(64))  # the shipped file's wording `seed` stored last
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    current_version: Mapped[QuestionnaireVersion | None] = relationship()


class Round(db.Model):
    """A meetronde: one questionnaire asked in one period, with the population it was sent to."""

    __tablename__ = "round"
    __table_args__ = (
        CheckConstraint("closes_on >= opens_on", name="dates_in_order"),
        CheckConstraint("population IS NULL OR population > 0", name="population_positive"),
        # One round per questionnaire and period. A unique index rather than a constraint: adding it needs no
        # table rebuild on SQLite, which would cascade-delete the rounds' codes.
        Index("uq_round_questionnaire_period", "questionnaire", "period", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    questionnaire: Mapped[str] = mapped_column(String(20), index=True)
    period: Mapped[str] = mapped_column(String(7))
    opens_on: Mapped[date] = mapped_column(Date)
    closes_on: Mapped[date] = mapped_column(Date)
    population: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    codes: Mapped[list["InvitationCode"]] = relationship(back_populates="round", passive_deletes=True)

    def is_open_on(self, day: date) -> bool:
        return self.opens_on <= day <= self.closes_on


class InvitationCode(db.Model):
    """A one-time code, stored only as its SHA-256 hash. `used` is set by a conditional update in the
    same transaction that stores the response, so a code can never yield two responses."""

    __tablename__ = "invitation_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("round.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    used: Mapped[bool] = mapped_column(default=False)
    # Only for invitations sent by e-mail, so reminders can reach unused codes; erased when the round closes.
    email: Mapped[str | None] = mapped_column(String(254))
    reminders_sent: Mapped[int] = mapped_column(default=0, server_default="0")
    # The day the invitation and the last reminder were mailed: `run-due` reminds a code N days after the
    # later of the two (the questionnaire's reminder_days). Days only, never a time.
    invited_on: Mapped[date | None] = mapped_column(Date)
    reminded_on: Mapped[date | None] = mapped_column(Date)

    round: Mapped[Round] = relationship(back_populates="codes")


class Response(db.Model):
    """One submitted questionnaire: version, period, day, channel. Nothing that points at a person."""

    __tablename__ = "response"
    __table_args__ = (CheckConstraint(f"channel IN {CHANNELS}", name="channel_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    questionnaire_version_id: Mapped[int] = mapped_column(ForeignKey("questionnaire_version.id"), index=True)
    questionnaire: Mapped[str] = mapped_column(String(20))
    round_id: Mapped[int | None] = mapped_column(ForeignKey("round.id", ondelete="SET NULL"), index=True)
    submitted_on: Mapped[date] = mapped_column(Date)
    half_year: Mapped[str] = mapped_column(String(7))
    quarter: Mapped[str] = mapped_column(String(7))
    channel: Mapped[str] = mapped_column(String(10))

    answers: Mapped[list["Answer"]] = relationship(back_populates="response", passive_deletes=True)
    version: Mapped[QuestionnaireVersion] = relationship()


# A breakdown, free text or the raw export reads one questionnaire's responses in one period.
Index("ix_response_questionnaire_half_year", Response.questionnaire, Response.half_year)
Index("ix_response_questionnaire_quarter", Response.questionnaire, Response.quarter)


class Answer(db.Model):
    """One answer of a response: a number (grade 1-10, agree 1-5), a code (weet_niet, nvt, a choice)
    or a free text. Item keys are unique across questionnaires.

    Nothing but the primary key: KPI figures come from the tallies, and whatever reads answers (a
    breakdown, free text, the raw export) finds them by response. On SQLite the table is WITHOUT ROWID,
    so the answers of one response lie together in the primary key's own B-tree: a stored answer is one
    B-tree entry, and reading a response's answers is one range."""

    __tablename__ = "answer"
    __table_args__ = (
        CheckConstraint(
            "(CASE WHEN value IS NULL THEN 0 ELSE 1 END) + (CASE WHEN code IS NULL THEN 0 ELSE 1 END)"
            " + (CASE WHEN text IS NULL THEN 0 ELSE 1 END) = 1",
            name="one_kind_of_answer",
        ),
        CheckConstraint("value IS NULL OR value BETWEEN 1 AND 10", name="value_in_range"),
        {"sqlite_with_rowid": False},
    )

    response_id: Mapped[int] = mapped_column(ForeignKey("response.id", ondelete="CASCADE"), primary_key=True)
    item: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[int | None]
    code: Mapped[str | None] = mapped_column(String(32))
    text: Mapped[str | None] = mapped_column(Text)

    response: Mapped[Response] = relationship(back_populates="answers")


class HiddenAnswer(db.Model):
    """A free-text answer a manager hid because it names a person: no channel shows its text again. Its own
    table, so the hot answer table keeps its shape; the answer goes when its response does."""

    __tablename__ = "hidden_answer"

    response_id: Mapped[int] = mapped_column(ForeignKey("response.id", ondelete="CASCADE"), primary_key=True)
    item: Mapped[str] = mapped_column(String(40), primary_key=True)
    hidden_at: Mapped[datetime] = mapped_column(default=utcnow)


class AnswerTally(db.Model):
    """How often each answer was given to an item in a quarter: kept up to date in the transaction that
    stores the answers, so a report reads a few hundred rows at any number of responses. Half-years
    are the sums of their two quarters. Free text is not counted."""

    __tablename__ = "answer_tally"

    item: Mapped[str] = mapped_column(String(40), primary_key=True)
    quarter: Mapped[str] = mapped_column(String(7), primary_key=True)
    answer: Mapped[str] = mapped_column(String(32), primary_key=True)  # "1".."10", or the code
    count: Mapped[int]


class ResponseTally(db.Model):
    """Responses per questionnaire and quarter: the numerator of the response rate."""

    __tablename__ = "response_tally"

    questionnaire: Mapped[str] = mapped_column(String(20), primary_key=True)
    quarter: Mapped[str] = mapped_column(String(7), primary_key=True)
    count: Mapped[int]


class PublishedPeriod(db.Model):
    """A period whose figures a channel may show for one questionnaire (services/publication.py decides).
    Once here, the period's responses are final: late ones are refused, so the figures never change."""

    __tablename__ = "published_period"

    questionnaire: Mapped[str] = mapped_column(String(20), primary_key=True)
    period: Mapped[str] = mapped_column(String(7), primary_key=True)
    published_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_by: Mapped[str] = mapped_column(String(254))  # an account's e-mail, or "run-due"/"demo"/"cli"


class ApiToken(db.Model):
    """A named key for /api/v1. Only its SHA-256 hash is stored; the token is shown once at creation."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_on: Mapped[date | None] = mapped_column(Date)
    revoked: Mapped[bool] = mapped_column(default=False)
    # What the token may do: "read" (GET /api/v1/kpis) or "invite" (POST /api/v1/invitations), never both,
    # so a leaked dashboard token cannot make codes and a registration system cannot read results.
    scope: Mapped[str] = mapped_column(String(10), default="read", server_default="read")
    # Who made it: a staff account's e-mail, or "cli" for `flask --app surveys api-token create`.
    owner: Mapped[str] = mapped_column(String(254), default="cli", server_default="cli")

    __table_args__ = (CheckConstraint("scope IN ('read', 'invite')", name="scope"),)


class IdempotencyKey(db.Model):
    """One POST /api/v1/invitations per token and Idempotency-Key: the unique constraint makes a retried or
    concurrent call with the same key find the first call's code instead of making a second. The key and the
    request body are kept only as hashes; the plain code only sealed (see services/api_invitations.py), so
    the database alone never yields a working link. Goes with its code when the code is purged."""

    __tablename__ = "idempotency_key"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_id: Mapped[int] = mapped_column(ForeignKey("api_token.id", ondelete="CASCADE"))
    key_hash: Mapped[str] = mapped_column(String(64))
    request_hash: Mapped[str] = mapped_column(String(64))
    code_id: Mapped[int] = mapped_column(ForeignKey("invitation_code.id", ondelete="CASCADE"), index=True)
    sealed_code: Mapped[str] = mapped_column(String(64))
    delivery: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (UniqueConstraint("token_id", "key_hash"),)


ROLES = ("beheerder", "manager", "lezer")


class User(db.Model):
    """A staff account for /beheer. Roles: beheerder (everything), manager (rounds, invitations,
    dashboard, exports, free text), lezer (dashboard only)."""

    __tablename__ = "account"
    __table_args__ = (CheckConstraint(f"role IN {ROLES}", name="role_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Part of every session's account id (get_id): raising it ends every session of the account at once,
    # whichever browser holds the cookie (logout, a role change, deactivation).
    session_version: Mapped[int] = mapped_column(default=0, server_default="0")
    # The second factor (TOTP, RFC 6238): the shared secret once enrolled, and the last 30-second step a
    # code was accepted for, so a code seen over a shoulder cannot be used a second time.
    totp_secret: Mapped[str | None] = mapped_column(String(32))
    totp_last_step: Mapped[int | None]
    # Managers (and beheerders) get the digest mail of `run-due` unless they switch it off.
    digest: Mapped[bool] = mapped_column(default=True, server_default=sa_true())

    # Flask-Login's user interface
    def get_id(self) -> str:
        return f"{self.id}.{self.session_version}"

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_anonymous(self) -> bool:
        return False


class RecoveryCode(db.Model):
    """One of an account's one-time recovery codes for a lost authenticator app, stored as a hash; used
    means deleted."""

    __tablename__ = "recovery_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)


class Setting(db.Model):
    """A setting a beheerder changes in the browser (not in the environment), as text."""

    __tablename__ = "setting"

    key: Mapped[str] = mapped_column(String(60), primary_key=True)
    value: Mapped[str] = mapped_column(String(500))


class ScheduledRun(db.Model):
    """The lease that lets one `run-due` work at a time, whichever machine starts it (a row lock taken by a
    conditional UPDATE, so it holds across processes and servers), and what the last run did."""

    __tablename__ = "scheduled_run"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    leased_until: Mapped[datetime | None]
    last_started_at: Mapped[datetime | None]
    last_finished_at: Mapped[datetime | None]
    last_summary: Mapped[str | None] = mapped_column(String(2000))


class DoneJob(db.Model):
    """A job of `run-due` that must happen once (a digest for a week, the mail after a round closed): its
    row is inserted before the job, so a second run, even at the same moment, finds it and skips."""

    __tablename__ = "done_job"

    job: Mapped[str] = mapped_column(String(40), primary_key=True)
    key: Mapped[str] = mapped_column(String(60), primary_key=True)
    done_at: Mapped[datetime] = mapped_column(default=utcnow)


class Organisation(db.Model):
    """The organisation's profile: the one row (id 1) that every page, letter, e-mail and report reads for
    the name and contact details. A table of its own rather than `setting`: typed columns with their own
    lengths, and a logo of up to 200 kB that a 500-character text value cannot hold."""

    __tablename__ = "organisation"
    __table_args__ = (CheckConstraint("id = 1", name="one_row"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    short_name: Mapped[str] = mapped_column(String(80))
    phone: Mapped[str] = mapped_column(String(40))
    email: Mapped[str] = mapped_column(String(254))
    address: Mapped[str] = mapped_column(String(300), default="", server_default="")
    website: Mapped[str] = mapped_column(String(300))
    privacy_url: Mapped[str] = mapped_column(String(300))
    sender: Mapped[str] = mapped_column(String(254), default="", server_default="")  # empty: the e-mail address
    # Read only to serve the logo itself (deferred): every page reads the rest of the row.
    logo: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    logo_type: Mapped[str | None] = mapped_column(String(20))  # image/png or image/svg+xml
    logo_hash: Mapped[str | None] = mapped_column(String(64))  # SHA-256 of the logo: its ETag and URL version
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class KpiCatalogue(db.Model):
    """A version of the KPI catalogue (KPIs and their norms over time), as imported or edited; the newest is
    the one in force. Without any row, the catalogue shipped with the package holds."""

    __tablename__ = "kpi_catalogue"

    id: Mapped[int] = mapped_column(primary_key=True)
    definition: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(254))


class AuditEvent(db.Model):
    """Who did what, when: logins (also failed), exports, free-text views, user changes, purges.
    Never answers or codes."""

    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor: Mapped[str | None] = mapped_column(String(254))  # the account's e-mail, or the e-mail tried
    action: Mapped[str] = mapped_column(String(40), index=True)
    detail: Mapped[str | None] = mapped_column(String(500))


class KioskDevice(db.Model):
    """A tablet a manager registered for the open link (DESIGN.md §4). The device holds a random token in a
    long-lived cookie; only its SHA-256 hash is stored. A revoked device keeps its row, for the list."""

    __tablename__ = "kiosk_device"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    registered_by: Mapped[str] = mapped_column(String(254))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked: Mapped[bool] = mapped_column(default=False)


class UsedFormToken(db.Model):
    """The one-time token of a form page on the open link, once its answers were stored: its hash (the
    primary key, so a second insert fails in the database, whichever worker tries) and the day after which
    the token is too old to be accepted anyway, so the row can go. Nothing else: no time, no response."""

    __tablename__ = "used_form_token"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_on: Mapped[date] = mapped_column(Date, index=True)


class WaitingLetter(db.Model):
    """A cliënt letter made but not downloaded yet (manage/rounds.py), for LETTER_MINUTES at most: its code's
    link sealed (Fernet) with a key that only the manager's session cookie holds, keyed by the hash of the
    letter's random id. Neither the cookie nor this row alone holds the plain code. The download deletes the
    row; an expired one goes with the next letter, its download, or the purge."""

    __tablename__ = "waiting_letter"

    letter_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("round.id", ondelete="CASCADE"))
    sealed_link: Mapped[bytes] = mapped_column(LargeBinary)
    expires_at: Mapped[datetime] = mapped_column(index=True)
