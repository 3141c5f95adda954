"""Security headers on every reply, the client address behind a reverse proxy, and no version banner.

- Content-Security-Policy: scripts, styles, images and fonts only from this site, none inline (the
  templates have no <script>, <style> or style=""; tests/attack/test_headers.py checks both), no plugins,
  no <base>, forms post only here, and no other site may frame a page (clickjacking; X-Frame-Options says
  the same to older browsers).
- Referrer-Policy no-referrer: an invitation code is part of the path of /r/<code>; a link followed from
  that page must not carry it to another site.
- Staff pages and the API are not kept in any cache (free text, figures below the minimum n stay out of a
  shared computer's disk cache); HSTS when the request came over HTTPS.
- SURVEYS_TRUSTED_PROXIES: behind a reverse proxy every request comes from the proxy's address, so the
  rate limits (which count per client address) would count every respondent together. With the number of
  proxies set, the client address is read from X-Forwarded-For as that many proxies wrote it; with 0 (the
  default) the header is ignored, so a client cannot pick its own address to escape a limit.
- Input no view should ever see (found by tests/attack/test_hostile_input.py): a path id beyond any row id,
  and NUL characters on staff pages.
"""

from flask import Flask, abort, request
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.serving import WSGIRequestHandler

CONTENT_SECURITY_POLICY = ("default-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'; "
                           "object-src 'none'")
HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
}
NOT_CACHED = ("/beheer", "/api/")
# Respondent forms and the thank-you page are kept by no cache either: on a shared device (the office
# tablet) Back would otherwise show the previous person's answers.
RESPONDENT_PAGES = ("/r/", "/q/", "/code", "/bedankt")
HSTS = "max-age=31536000"


def add_headers(response):
    for name, value in HEADERS.items():
        response.headers[name] = value
    if request.path.startswith(NOT_CACHED + RESPONDENT_PAGES) and "Cache-Control" not in response.headers:
        response.headers["Cache-Control"] = "no-store"
    if request.is_secure:
        response.headers["Strict-Transport-Security"] = HSTS
    return response


#: The largest row id either database can hold (a signed 64-bit integer).
LARGEST_ID = 2**63 - 1


def refuse_impossible_ids(endpoint, values) -> None:
    """A number in the path (/beheer/rondes/<int:round_id>) larger than any row id is simply not found;
    handed to the database it would fail (SQLite: "Python int too large to convert to SQLite INTEGER")."""
    if values and any(isinstance(value, int) and value > LARGEST_ID for value in values.values()):
        abort(404)


NUL_MESSAGE = ("Wat u stuurde bevat een NUL-teken (\\x00), dat in geen tekst hoort en niet kan worden opgeslagen. "
               "Verwijder het en probeer het opnieuw.")


def refuse_nul_on_staff_pages() -> None:
    """PostgreSQL cannot store or even compare text holding a NUL character: a login or a new account with
    one in the e-mail address failed with a 500 there (SQLite took it). No staff form or query has any use
    for it, so it is refused before any view. Respondent forms name it next to the field themselves
    (answers.no_control_characters), as the paper import does."""
    if not request.path.startswith(NOT_CACHED):
        return
    values = [*request.args.items(multi=True), *(request.form.items(multi=True) if request.method == "POST" else ())]
    if any("\x00" in name or "\x00" in value for name, value in values):
        abort(400, NUL_MESSAGE)


def _send_response_without_server(self, code, message=None):
    """BaseHTTPRequestHandler.send_response without its "Server: Werkzeug/x Python/y" line."""
    self.log_request(code)
    self.send_response_only(code, message)
    self.send_header("Date", self.date_time_string())


def init_app(app: Flask) -> None:
    app.after_request(add_headers)
    app.url_value_preprocessor(refuse_impossible_ids)
    app.before_request(refuse_nul_on_staff_pages)
    proxies = int(app.config.get("TRUSTED_PROXIES") or 0)
    if proxies > 0:
        # X-Forwarded-Host is not trusted: links to respondents are built from BASE_URL, never the Host.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=0)
    # The development server (flask run) names itself and Python's version in every reply; gunicorn's banner
    # is removed in surveys/gunicorn_conf.py.
    WSGIRequestHandler.send_response = _send_response_without_server
