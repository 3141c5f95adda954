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
"""

from flask import Flask, request
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
HSTS = "max-age=31536000"


def add_headers(response):
    for name, value in HEADERS.items():
        response.headers[name] = value
    if request.path.startswith(NOT_CACHED) and "Cache-Control" not in response.headers:
        response.headers["Cache-Control"] = "no-store"
    if request.is_secure:
        response.headers["Strict-Transport-Security"] = HSTS
    return response


def _send_response_without_server(self, code, message=None):
    """BaseHTTPRequestHandler.send_response without its "Server: Werkzeug/x Python/y" line."""
    self.log_request(code)
    self.send_response_only(code, message)
    self.send_header("Date", self.date_time_string())


def init_app(app: Flask) -> None:
    app.after_request(add_headers)
    proxies = int(app.config.get("TRUSTED_PROXIES") or 0)
    if proxies > 0:
        # X-Forwarded-Host is not trusted: links to respondents are built from BASE_URL, never the Host.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=0)
    # The development server (flask run) names itself and Python's version in every reply; gunicorn's banner
    # is removed in gunicorn.conf.py.
    WSGIRequestHandler.send_response = _send_response_without_server
