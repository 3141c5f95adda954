"""A manager's own choice: the digest mail of `run-due` (weekly, and when a round closes), on or off."""

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..auth import role_required
from ..services import digest
from . import bp


@bp.route("/overzichtsmail", methods=["GET", "POST"], endpoint="digest")
@role_required("manager")
def digest_page():
    """What the digest holds, whether this account gets it, and the button that changes that."""
    if request.method == "POST":
        wanted = request.form.get("digest")
        if wanted not in ("0", "1"):
            return render_template("manage/digest.html", error="Kies aan of uit."), 400
        digest.choose(current_user._get_current_object(), wanted == "1")
        flash("U krijgt de overzichtsmail." if wanted == "1" else "U krijgt de overzichtsmail niet meer.")
        return redirect(url_for("manage.digest"), code=303)
    return render_template("manage/digest.html", error=None)
