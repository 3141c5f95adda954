"""Every error of /api/v1 as application/problem+json (RFC 9457): type, title, status, detail.

A problem that is only its HTTP status has the type about:blank and the status's own title, as RFC 9457
section 4.2.1 asks; a problem a client may want to act on by type (no open round, a reused Idempotency-Key,
a token without the scope) has a type of its own under PROBLEM_BASE."""

from http import HTTPStatus

from flask import jsonify

MEDIA_TYPE = "application/problem+json"
#: A URN, not a URL: the types are names for clients to compare, not pages to fetch.
PROBLEM_BASE = "urn:surveys:problem:"


def problem(status: int, detail: str, kind: str | None = None, title: str | None = None):
    """The response for one problem; `kind` names its type under PROBLEM_BASE (else about:blank)."""
    body = {"type": PROBLEM_BASE + kind if kind else "about:blank",
            "title": title or HTTPStatus(status).phrase, "status": status, "detail": detail}
    response = jsonify(body)
    response.status_code = status
    response.mimetype = MEDIA_TYPE
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="surveys"'
    return response
