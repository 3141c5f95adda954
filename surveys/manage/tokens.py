"""The beheerder's page of API tokens: every token with its scope, owner and last use; make one (the token
is shown once, on the page the form leads to, never in a flash message, which would put it in the session
cookie) and revoke one. Both are audited with the beheerder's address."""

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import AnyOf, InputRequired, Length

from ..auth import role_required
from ..extensions import db
from ..models import ApiToken
from ..services import tokens
from . import MENU, bp

MENU.append(("manage.api_tokens", "API-sleutels", "beheerder"))
SCOPE_MESSAGE = "Kies wat de sleutel mag: read of invite."


class NewTokenForm(FlaskForm):
    name = StringField("Naam", validators=[
        InputRequired("Vul een naam in, bijvoorbeeld het systeem dat de sleutel gebruikt."),
        Length(max=80, message="Een naam is hoogstens 80 tekens lang.")])
    scope = StringField("Mag", validators=[InputRequired(SCOPE_MESSAGE), AnyOf(tuple(tokens.SCOPES), SCOPE_MESSAGE)])


def _page(form: NewTokenForm | None = None, new_token: str | None = None, status: int = 200):
    return render_template("manage/admin_tokens.html", tokens=tokens.all_tokens(), scopes=tokens.SCOPES,
                           form=form or NewTokenForm(formdata=None), new_token=new_token,
                           cli_owner=tokens.CLI_OWNER), status


@bp.route("/api-sleutels", endpoint="api_tokens")
@role_required("beheerder")
def tokens_page():
    """Every API token: name, what it may do, who made it, the last day it was used."""
    return _page()


@bp.route("/api-sleutels/nieuw", methods=["POST"])
@role_required("beheerder")
def create_token():
    """Make a token and show it this once."""
    form = NewTokenForm()
    if not form.validate():
        return _page(form, status=400)
    try:
        token = tokens.create_token(form.name.data, form.scope.data, owner=current_user.email)
    except tokens.TokenError as error:
        form.name.errors = [str(error)]
        return _page(form, status=409)
    return _page(new_token=token)


@bp.route("/api-sleutels/<int:token_id>/intrekken", methods=["POST"])
@role_required("beheerder")
def revoke_token(token_id: int):
    """Stop a token from working, for good."""
    token = db.session.get(ApiToken, token_id)
    if token is None:
        abort(404)
    if not token.revoked:
        tokens.revoke(token, current_user.email)
        flash(f"De sleutel {token.name} is ingetrokken. Hij werkt niet meer.")
    return redirect(url_for("manage.api_tokens"), code=303)
