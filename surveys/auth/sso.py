"""Single sign-on with the organisation's own identity provider through OpenID Connect (Authlib): the
authorization code flow with PKCE (S256), state and nonce, the provider's endpoints and keys from its discovery
document (SURVEYS_OIDC_ISSUER). An account is matched on the e-mail claim and must exist already: the
provider says who someone is, a beheerder decides who may use this service. The provider's own multi-factor
login is the second factor; an account that logs in this way is not asked for this service's."""

import requests
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.flask_client import OAuth
from flask import Flask, abort, current_app, redirect, render_template, session, url_for
from joserfc.errors import JoseError

from ..services import users
from . import _log_in, bp

CALLBACK_PATH = "/beheer/inloggen/sso/terug"


def init_app(app: Flask) -> None:
    """Register the provider when SURVEYS_OIDC_ISSUER names one (one client per app, so tests can run apps
    with different providers side by side)."""
    issuer = app.config.get("OIDC_ISSUER")
    if not issuer:
        return
    oauth = OAuth(app)
    app.extensions["surveys.sso"] = oauth.register(
        "idp", server_metadata_url=f"{issuer.rstrip('/')}/.well-known/openid-configuration",
        client_id=app.config["OIDC_CLIENT_ID"], client_secret=app.config["OIDC_CLIENT_SECRET"],
        client_kwargs={"scope": app.config["OIDC_SCOPES"], "code_challenge_method": "S256"})


def enabled() -> bool:
    return "surveys.sso" in current_app.extensions


def _client():
    if not enabled():
        abort(404)
    return current_app.extensions["surveys.sso"]


@bp.route("/inloggen/sso")
def sso_login():
    """To the organisation's sign-in page; it sends the browser back to sso_callback."""
    client = _client()
    session.clear()
    return client.authorize_redirect(current_app.config["BASE_URL"].rstrip("/") + CALLBACK_PATH)


@bp.route("/inloggen/sso/terug")
def sso_callback():
    """Back from the provider: the state must be this browser's, the code is exchanged (with the PKCE
    verifier) for an ID token whose signature, issuer, audience and nonce Authlib checks; then the account."""
    client = _client()
    try:
        token = client.authorize_access_token()
        claims = dict(token.get("userinfo") or {})  # the ID token's claims, checked
        if current_app.config["OIDC_EMAIL_CLAIM"] not in claims:
            # Many providers put the e-mail address in the UserInfo answer only; it must be the same person.
            extra = client.userinfo(token=token)
            if extra.get("sub") != claims.get("sub"):
                raise AuthlibBaseError(error="userinfo_sub_mismatch")
            claims.update({key: value for key, value in extra.items() if key not in claims})
    except (AuthlibBaseError, JoseError, requests.RequestException) as error:  # JoseError: the ID token's checks
        current_app.logger.warning("single sign-on refused: %s", type(error).__name__)
        return _refused("De organisatie kon niet bevestigen wie u bent. Probeer het opnieuw via Inloggen.", 400)
    email = users.normalise_email(str(claims.get(current_app.config["OIDC_EMAIL_CLAIM"]) or ""))
    if not email or claims.get("email_verified") is False:
        return _refused("De organisatie gaf geen bevestigd e-mailadres door.", 403)
    role_claim = current_app.config.get("OIDC_ROLE_CLAIM")
    user = users.sso_account(email, claims.get(role_claim) if role_claim else None)
    if user is None:
        return _refused(f"Er is geen actief account voor {email} in deze dienst. Vraag een beheerder om er "
                        "een te maken.", 403)
    session.clear()
    _log_in(user)
    session["via_sso"] = True  # the provider's login counts as the second factor
    return redirect(url_for("manage.dashboard"), code=303)


def _refused(message: str, status: int):
    return render_template("error.html", status=status, title="Inloggen lukte niet", message=message), status
