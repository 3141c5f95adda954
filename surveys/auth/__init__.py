"""Login and logout for the management pages, and the role check every management view uses."""

from functools import wraps

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField
from wtforms.validators import EqualTo, InputRequired, Length

from ..extensions import limiter, login_manager
from ..services import users
from ..urls import local_target

bp = Blueprint("auth", __name__, url_prefix="/beheer")

# What each role may do; a role includes the rights of those after it.
ROLE_RANK = {"lezer": 1, "manager": 2, "beheerder": 3}


@login_manager.user_loader
def load_user(session_id: str):
    """The account of a session cookie, checked against the database on every request: a cookie whose
    sessions were ended (logout, role change, deactivation) is worth nothing, wherever it was copied to."""
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
    if form.validate_on_submit():
        user = users.authenticate(form.email.data, form.password.data)
        if user:
            session.clear()
            session.permanent = True  # expires after SESSION_MINUTES without a request
            login_user(user)
            return redirect(_safe_next(request.args.get("next")), code=303)
        form.password.errors = ["Het e-mailadres of het wachtwoord klopt niet."]
        status = 401
    elif request.method == "POST":
        status = 400
    return render_template("auth/login.html", form=form), status


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
