"""Login and logout for the management pages, and the role check every management view uses."""

import time
from functools import wraps

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import EqualTo, InputRequired, Length, ValidationError

from ..extensions import limiter, login_manager
from ..services import password_links, users
from ..services import second_factor as second_factors
from ..services.mail import MailError
from ..urls import local_target

bp = Blueprint("auth", __name__, url_prefix="/beheer")

# What each role may do; a role includes the rights of those after it.
ROLE_RANK = {"lezer": 1, "manager": 2, "beheerder": 3}


@login_manager.user_loader
def load_user(session_id: str):
    """The account of a session cookie, checked against the database on every request: a cookie whose
    sessions were ended (logout, role change, deactivation) is worth nothing, wherever it was copied to.
    However busy, a session lasts at most SESSION_MAX_HOURS from its login (the idle limit is
    SESSION_MINUTES, the cookie's own lifetime)."""
    logged_in_at = session.get("login_at")
    if not isinstance(logged_in_at, int) or time.time() - logged_in_at > current_app.config["SESSION_MAX_HOURS"] * 3600:
        return None
    return users.user_of_session(session_id)


def role_required(role: str):
    """Allow the view to accounts of at least this role; others get 403, anonymous users the login page."""
    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if ROLE_RANK[current_user.role] < ROLE_RANK[role]:
                abort(403)
            return view(*args, **kwargs)
        wrapped.required_role = role
        return wrapped
    return decorator


class PasswordForm(FlaskForm):
    current = PasswordField("Huidig wachtwoord", validators=[InputRequired("Vul uw huidige wachtwoord in."),
                                                             Length(max=1000)])
    new = PasswordField("Nieuw wachtwoord", validators=[InputRequired("Vul een nieuw wachtwoord in."),
                                                        Length(max=1000)])
    repeat = PasswordField("Nieuw wachtwoord nog een keer", validators=[
        InputRequired("Vul het nieuwe wachtwoord nog een keer in."),
        EqualTo("new", "De twee nieuwe wachtwoorden zijn niet gelijk.")])


class LoginForm(FlaskForm):
    email = EmailField("E-mailadres", validators=[InputRequired("Vul uw e-mailadres in."), Length(max=254)])
    password = PasswordField("Wachtwoord", validators=[InputRequired("Vul uw wachtwoord in."), Length(max=1000)])


def _login_limit() -> str:
    return current_app.config["LOGIN_LIMIT"]


def _account_limit() -> str:
    return current_app.config["LOGIN_ACCOUNT_LIMIT"]


def _account_key() -> str:
    """Failed logins count per account *and* client address: a guesser is held up on the accounts they try,
    but nobody can lock a colleague out by failing on purpose, because the owner logs in from another
    address with a count of their own. What bounds a guesser with many addresses is the limit per address
    (LOGIN_LIMIT) and passwords of at least 12 characters."""
    return f"login:{users.normalise_email(request.form.get('email', ''))[:254]}:{get_remote_address()}"


@bp.route("/inloggen", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
@limiter.limit(_account_limit, key_func=_account_key, methods=["POST"],
               deduct_when=lambda response: response.status_code != 303)
def login():
    """The login page; a wrong e-mail or password gets one message for both, so accounts cannot be probed."""
    form = LoginForm()
    status = 200
    if request.method == "POST" and not current_app.config["PASSWORD_LOGIN"]:
        abort(403, "Inloggen met een wachtwoord staat uit; log in via uw organisatie.")
    if form.validate_on_submit():
        user = users.authenticate(form.email.data, form.password.data)
        if user:
            session.clear()
            target = _safe_next(request.args.get("next"))
            if user.totp_secret:  # the password was right; now the code from the app
                session["pending_login"] = {"account": user.get_id(), "at": int(time.time()), "next": target}
                return redirect(url_for("auth.second_factor"), code=303)
            _log_in(user)
            return redirect(target, code=303)
        form.password.errors = ["Het e-mailadres of het wachtwoord klopt niet."]
        status = 401
    elif request.method == "POST":
        status = 400
    return render_template("auth/login.html", form=form, sso=sso.enabled(),
                           password_login=current_app.config["PASSWORD_LOGIN"]), status


def _log_in(user) -> None:
    session.permanent = True  # expires after SESSION_MINUTES without a request
    session["login_at"] = int(time.time())  # and SESSION_MAX_HOURS after this, whatever happens
    login_user(user)


#: How long the code page waits after the right password: enough to open the app, too short to come back
#: to an unlocked browser later.
PENDING_SECONDS = 300


def _pending_login():
    """The account whose password was right and whose second factor is awaited, with where to go after;
    None when there is none, it is older than PENDING_SECONDS, or the account changed meanwhile."""
    pending = session.get("pending_login")
    if not isinstance(pending, dict) or time.time() - pending.get("at", 0) > PENDING_SECONDS:
        return None
    user = users.user_of_session(pending.get("account", ""))
    if user is None or not user.totp_secret:
        return None
    return user, local_target(pending.get("next"), under="/beheer") or url_for("manage.dashboard")


def _pending_key() -> str:
    pending = session.get("pending_login")
    account = pending.get("account", "") if isinstance(pending, dict) else ""
    return f"second-factor:{account.partition('.')[0]}:{get_remote_address()}"


class CodeForm(FlaskForm):
    code = StringField("Code", validators=[InputRequired("Vul de code uit uw app in."), Length(max=40)])


@bp.route("/inloggen/code", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
@limiter.limit(_account_limit, key_func=_pending_key, methods=["POST"],
               deduct_when=lambda response: response.status_code != 303)
def second_factor():
    """The second step of a password login: the six-digit code from the authenticator app, or a
    recovery code. Only right after the right password (see PENDING_SECONDS)."""
    pending = _pending_login()
    if pending is None:
        session.pop("pending_login", None)
        return redirect(url_for("auth.login"))
    user, target = pending
    form = CodeForm()
    status = 200
    if form.validate_on_submit():
        try:
            second_factors.verify(user, form.code.data)
        except second_factors.SecondFactorError as error:
            form.code.errors = [f"{str(error).capitalize()}."]
            status = 401
        else:
            session.clear()
            _log_in(user)
            return redirect(target, code=303)
    elif request.method == "POST":
        status = 400
    return render_template("auth/second_factor.html", form=form), status


def _safe_next(target: str | None) -> str:
    """Only a management page of this site may follow the login, never another host."""
    return local_target(target, under="/beheer") or url_for("manage.dashboard")


@bp.route("/uitloggen", methods=["POST"])
@login_required
def logout():
    """End every session of this account (this browser's and any other holding one of its cookies)."""
    users.end_sessions(current_user, actor=current_user.email)
    logout_user()
    session.clear()
    return redirect(url_for("auth.login"), code=303)


def _own_account_key() -> str:
    return f"password:{current_user.get_id()}"


@bp.route("/wachtwoord", methods=["GET", "POST"])
@role_required("lezer")
@limiter.limit(_account_limit, key_func=_own_account_key, methods=["POST"],
               deduct_when=lambda response: response.status_code != 303)
def change_password():
    """Change one's own password. Every other session of the account ends; this browser stays logged in."""
    form = PasswordForm()
    status = 200
    if form.validate_on_submit():
        user = current_user._get_current_object()
        try:
            users.change_password(user, form.current.data, form.new.data)
        except users.UserError as error:
            field = form.current if "huidige" in str(error) else form.new
            field.errors = [f"{str(error).capitalize()}."]
            return render_template("auth/password.html", form=form), 400
        login_user(user)  # the new session version
        flash("Uw wachtwoord is gewijzigd. Op andere apparaten bent u uitgelogd.")
        return redirect(url_for("auth.change_password"), code=303)
    if request.method == "POST":
        status = 400
    return render_template("auth/password.html", form=form), status


def _an_address(form, field) -> None:
    try:
        users.valid_email(field.data)
    except users.UserError:
        raise ValidationError("Vul een geldig e-mailadres in, zoals naam@example.nl.") from None


class ForgotForm(FlaskForm):
    email = EmailField("E-mailadres", validators=[InputRequired("Vul uw e-mailadres in."), Length(max=254),
                                                  _an_address])


class NewPasswordForm(FlaskForm):
    new = PasswordField("Nieuw wachtwoord", validators=[InputRequired("Vul een nieuw wachtwoord in."),
                                                        Length(max=1000)])
    repeat = PasswordField("Nieuw wachtwoord nog een keer", validators=[
        InputRequired("Vul het nieuwe wachtwoord nog een keer in."),
        EqualTo("new", "De twee nieuwe wachtwoorden zijn niet gelijk.")])


def _password_login_only() -> None:
    if not current_app.config["PASSWORD_LOGIN"]:
        abort(404)


@bp.route("/wachtwoord-vergeten", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def forgot_password():
    """Ask for a link to choose a new password. The answer is the same whether or not the address has an
    account (and when the mail server fails), so the page tells nobody who works here."""
    _password_login_only()
    form = ForgotForm()
    if form.validate_on_submit():
        user = password_links.active_account(form.email.data)
        if user is not None:
            try:
                password_links.mail_link(user, "reset", current_app.config["BASE_URL"])
            except MailError as error:
                current_app.logger.warning("password link not mailed: %s", error)
        return render_template("auth/forgot.html", form=form, sent=True, address=users.normalise_email(form.email.data),
                               hours=password_links.HOURS["reset"])
    return render_template("auth/forgot.html", form=form, sent=False), 400 if request.method == "POST" else 200


@bp.route("/wachtwoord-instellen/<token>", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def set_password(token: str):
    """Choose a password through a one-time link (a new account, or a forgotten password). Afterwards every
    session of the account has ended and its owner logs in with the new password."""
    _password_login_only()
    try:
        user, purpose = password_links.account_of(token)
    except password_links.LinkError as error:
        return render_template("auth/link_problem.html", problem=f"{str(error).capitalize()}."), 410
    form = NewPasswordForm()
    status = 200
    if form.validate_on_submit():
        try:
            password_links.set_password(token, form.new.data)
        except password_links.LinkError as error:
            return render_template("auth/link_problem.html", problem=f"{str(error).capitalize()}."), 410
        except users.UserError as error:
            form.new.errors = [f"{str(error).capitalize()}."]
            status = 400
        else:
            session.clear()
            flash("Uw wachtwoord is ingesteld. U kunt nu inloggen.")
            return redirect(url_for("auth.login"), code=303)
    elif request.method == "POST":
        status = 400
    return render_template("auth/set_password.html", form=form, email=user.email, new=purpose == "set"), status


class EnrolForm(FlaskForm):
    code = StringField("Code uit de app", validators=[InputRequired("Vul de code uit uw app in."), Length(max=20)])


@bp.route("/tweede-factor", methods=["GET", "POST"])
@role_required("lezer")
def enrol():
    """Switch on the second factor: scan the QR code with an authenticator app, type its code; the ten
    recovery codes are shown once. Doing it again links a new app (the old one stops working)."""
    form = EnrolForm()
    status = 200
    secret = session.get("enrol_secret")
    if form.validate_on_submit() and secret:
        user = current_user._get_current_object()
        try:
            codes = second_factors.enrol(user, secret, form.code.data)
        except second_factors.SecondFactorError as error:
            form.code.errors = [f"{str(error).capitalize()}."]
            status = 400
        else:
            session.pop("enrol_secret", None)
            return render_template("auth/enrolled.html", codes=codes)
    elif request.method == "POST":
        status = 400
    if not secret or status == 200:
        secret = session["enrol_secret"] = second_factors.new_secret()
    uri = second_factors.provisioning_uri(current_user.email, secret)
    return render_template("auth/enrol.html", form=form, secret=secret, qr=second_factors.qr_code(uri),
                           enrolled=bool(current_user.totp_secret),
                           required=second_factors.required()), status


#: What an account without the second factor may still open while the beheerder requires it.
ENROLMENT_OPEN = ("auth.enrol", "auth.logout", "auth.change_password")


def enrolment_first():
    """While the second factor is required, an account without it is sent to enrol before anything else."""
    if (current_user.is_authenticated and not current_user.totp_secret and not session.get("via_sso")
            and request.endpoint not in ENROLMENT_OPEN and second_factors.required()):
        return redirect(url_for("auth.enrol"))
    return None


from . import sso  # noqa: E402  (its views register on bp, and use _log_in above)
