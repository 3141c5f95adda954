"""The respondent pages: a questionnaire behind a one-time code (/r/<code>) or an open link
(/q/<questionnaire>), the thank-you page and the accessibility statement.

The open link is the office tablet (DESIGN.md §4): it answers only a registered device (services.kiosk),
each form page carries a one-time token, and after each response the session is emptied (language and
CSRF token with it) and the next person starts on a page of their own."""

from datetime import date
from urllib.parse import unquote_to_bytes

from flask import (
    Blueprint,
    abort,
    current_app,
    g,
    make_response,
    redirect,
    render_template,
    request,
    send_from_directory,
    session,
    url_for,
)
from flask_babel import refresh as refresh_language
from flask_wtf.csrf import CSRFError
from markupsafe import Markup

from .. import monitoring
from ..answers import AnswerSheet
from ..extensions import csrf, limiter
from ..i18n import LANGUAGES, current_language
from ..periods import today  # the submission day; a response stores the day only, never the time
from ..security import CONTENT_SECURITY_POLICY
from ..services import kiosk, organisation
from ..services import questionnaires as questionnaire_service
from ..services.responses import CodeAlreadyUsed, NewResponse, OpenRound, store_response
from ..services.rounds import CODE_LENGTH, CodeStatus, look_up_code, normalise_code
from ..services.sql import ping

bp = Blueprint("respond", __name__)

# What a respondent sees for each code that cannot be used, with its HTTP status.
CODE_PAGES = {
    CodeStatus.UNKNOWN: (404, "unknown"),
    CodeStatus.UNKNOWN_OR_CLOSED: (404, "unknown_or_closed"),
    CodeStatus.USED: (410, "used"),
    CodeStatus.CLOSED: (410, "closed"),
    CodeStatus.NOT_YET_OPEN: (403, "not_yet_open"),
    "sent": (409, "sent"),  # a tablet's form page sent a second time (Back, or a replay)
}


# The app-wide CSRF check would parse the form before refuse_unreadable_posts sees the raw body (and the
# parser quietly turns invalid UTF-8 into U+FFFD); this blueprint runs the same check itself, afterwards.
csrf.exempt(bp)


@bp.before_request
def refuse_unreadable_posts():
    """Only a plain HTML form post in UTF-8 can hold honest answers; anything else is refused whole,
    before the form is parsed. Then the CSRF token, so a wrong encoding is named as such (415, 400)."""
    if request.method != "POST":
        return None
    if request.mimetype != "application/x-www-form-urlencoded":
        abort(415)
    # Cached, so the form parser later reads these same bytes; over MAX_CONTENT_LENGTH this raises 413.
    body = request.get_data(cache=True)
    try:
        # Every name and value decodes as UTF-8 exactly when the whole body does once unquoted: the '&'
        # and '=' between them are ASCII, which cannot sit inside a multi-byte character.
        unquote_to_bytes(body.decode("ascii")).decode("utf-8")
    except UnicodeDecodeError:
        abort(400, description="unreadable")
    if current_app.config["WTF_CSRF_ENABLED"]:
        try:
            csrf.protect()
        except CSRFError:
            if request.endpoint not in FORM_ENDPOINTS:
                raise
            # A questionnaire's answers without this session's token (the session cookie was lost, or the
            # post came from elsewhere): nothing is stored, and the answers are shown again to send once more.
            g.session_lost = True
    return None


# The pages that show posted answers again when the CSRF check fails, rather than an error page.
FORM_ENDPOINTS = ("respond.by_code", "respond.open_link")


def _code_limit() -> str:
    return current_app.config["CODE_LIMIT"]


def _open_link_limit() -> str:
    return current_app.config["OPEN_LINK_LIMIT"]


@bp.route("/r/<code>", methods=["GET", "POST"])
@limiter.limit(_code_limit)
def by_code(code: str):
    """The questionnaire of a personal invitation; the code works once."""
    lookup = look_up_code(code, today())
    if lookup.status is not CodeStatus.VALID:
        return _code_problem(lookup.status)
    version = questionnaire_service.served_version(lookup.round.questionnaire)
    return _answer(version, round_id=lookup.round.id, channel="code", code_id=lookup.code_id)


@bp.route("/q/<questionnaire>", methods=["GET", "POST"])
@limiter.limit(_open_link_limit, methods=["POST"])
def open_link(questionnaire: str):
    """The open link of a questionnaire that allows one: the cliënt tablet at the office, and only there."""
    _open_link_or_404(questionnaire)
    device = request.cookies.get(kiosk.COOKIE)
    if not kiosk.is_registered(device):
        return render_template("respond/not_a_tablet.html"), 403
    version = questionnaire_service.served_version(questionnaire)
    return _answer(version, round_id=OpenRound.ON_ITS_DAY, channel="open", tablet=device)


def _open_link_or_404(questionnaire: str) -> None:
    served = questionnaire_service.current(questionnaire)
    if served is None or not served.open_link:
        abort(404)


def _answer(version, *, round_id: int | OpenRound, channel: str, code_id: int | None = None,
            tablet: str | None = None):
    """The form, and storing its answers in round `round_id`. On the tablet (`tablet`: its device
    token) each form page can be sent once."""
    if version is None:
        abort(503, description="not_seeded")
    questionnaire = questionnaire_service.definition_of(version)
    # refuse_unreadable_posts has checked the CSRF token of a post; the page writes the token itself.
    form = AnswerSheet(questionnaire, request.form if request.method == "POST" else None)
    status, blank, stale = 200, None, False
    if request.method == "POST" and request.form.get("language") in LANGUAGES:
        _switch_language(request.form["language"])
        form.show_again()
    elif request.method == "POST" and g.get("session_lost"):
        status, stale = 400, "session"
        form.show_again()
    elif request.method == "POST":
        if form.validate():
            try:
                token_hash = kiosk.form_token_hash(request.form.get("form_token")) if tablet else None
                store_response(version, NewResponse(today(), form.answer_values(), round_id),
                               channel=channel, code_id=code_id, form_token_hash=token_hash)
            except CodeAlreadyUsed:
                return _code_problem(CodeStatus.USED)
            except kiosk.FormAlreadySent:
                return _code_problem("sent")
            except kiosk.FormTokenExpired:
                # The answers are shown again, on a page with a fresh token: nothing is lost or stored twice.
                status, stale = 400, True
            else:
                monitoring.response_stored(version.questionnaire, channel)
                return _after_response(version.questionnaire, tablet)
        else:
            status = 422
    else:
        # Nothing on an empty form needs the database, but its answers will: during an outage a
        # respondent gets the "not available" page now, not after filling in every question.
        ping()
        blank = _blank_questions(version.checksum, questionnaire)
    return render_template("respond/form.html", questionnaire=questionnaire, form=form, blank_questions=blank,
                           form_token=kiosk.new_form_token() if tablet else None, stale=stale), status


def _switch_language(language: str) -> None:
    """The language button of the form: the rest of the visit in `language`, this page included."""
    session["lang"] = language
    refresh_language()


def _after_response(questionnaire: str, tablet: str | None):
    """The personal thank-you page; on the tablet, the page for the next person, with nothing of this one
    left in the session (the language, the CSRF token of the pages they saw). The device cookie is
    renewed, so a tablet in use stays registered."""
    if tablet is None:
        return redirect(url_for("respond.thanks"), code=303)
    session.clear()
    reply = redirect(url_for("respond.next_person", questionnaire=questionnaire), code=303)
    kiosk.set_device_cookie(reply, tablet)
    return reply


@bp.route("/q/<questionnaire>/volgende")
def next_person(questionnaire: str):
    """The tablet's page after a response: thanks, and the start for the next person, in Dutch."""
    _open_link_or_404(questionnaire)
    return render_template("respond/next_person.html", questionnaire=questionnaire)


def _blank_questions(checksum: str, questionnaire) -> Markup:
    """The questions of an empty form in the page's language, rendered once per process: they are most of
    the page's rendering, and the same for every respondent until answers come back with errors."""
    cache: dict[tuple[str, str], Markup] = current_app.extensions.setdefault("surveys.blank_questions", {})
    key = (checksum, current_language())
    html = cache.get(key)
    if html is None:
        html = cache[key] = Markup(render_template("respond/_questions.html", questionnaire=questionnaire,
                                                   form=AnswerSheet(questionnaire)))
    return html


def _code_problem(status: CodeStatus | str):
    http_status, page = CODE_PAGES[status]
    return render_template("respond/code_problem.html", problem=page), http_status


@bp.route("/code", methods=["GET", "POST"])
@limiter.limit(_code_limit, methods=["POST"])
def type_code():
    """Type the code from a letter (any case, with or without dashes) instead of the whole link; on to the
    questionnaire at /r/<code>. A POST, so the code is in no address that a log or the history keeps."""
    if request.method == "POST":
        code = normalise_code(request.form.get("code", "")[:64])
        if len(code) == CODE_LENGTH:
            return redirect(url_for("respond.by_code", code=code), code=303)
        return render_template("respond/type_code.html", problem=True), 422
    return render_template("respond/type_code.html", problem=False)


@bp.route("/bedankt")
def thanks():
    """Shown after a response was stored."""
    return render_template("respond/thanks.html")


#: The day the accessibility statement was last checked against the pages (set again at each new check).
ACCESSIBILITY_CHECKED_ON = date(2026, 12, 2)


@bp.route("/toegankelijkheid")
def accessibility():
    """The accessibility statement (toegankelijkheidsverklaring), in the Dutch model format."""
    return render_template("respond/accessibility.html", checked_on=ACCESSIBILITY_CHECKED_ON)


@bp.route("/favicon.ico")
def favicon():
    """The small icon a browser asks for on every page (without it, an error in its console each time)."""
    reply = send_from_directory(current_app.static_folder, "favicon.ico", mimetype="image/vnd.microsoft.icon",
                                max_age=7 * 24 * 3600)
    return reply


#: A page names the logo with ?v= and the start of its hash, so a browser may keep that URL for a year.
LOGO_CACHE = "public, max-age=31536000, immutable"


@bp.route("/organisatie/logo")
def logo():
    """The organisation's logo, with its SHA-256 as ETag; 404 when there is none."""
    found = organisation.logo()
    if found is None:
        abort(404)
    content, media_type, digest = found
    response = make_response(content)
    response.content_type = media_type
    response.set_etag(digest)
    versioned = request.args.get("v")
    response.headers["Cache-Control"] = LOGO_CACHE if versioned and digest.startswith(versioned) else "no-cache"
    # An SVG opened on its own is a document: it may run nothing and fetch nothing.
    response.headers["Content-Security-Policy"] = f"{CONTENT_SECURITY_POLICY}; sandbox"
    return response.make_conditional(request)
