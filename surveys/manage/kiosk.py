"""The office tablet: a manager registers the device in hand as the tablet for the open link, and revokes
tablets that are lost or no longer used (DESIGN.md §4)."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..auth import role_required
from ..services import kiosk
from . import bp
from .admin import local_day


def _kiosk_page(error: str | None = None, name: str = "", status: int = 200):
    this_device = request.cookies.get(kiosk.COOKIE)
    return render_template("manage/kiosk.html", devices=kiosk.devices(), error=error, name=name,
                           this_registered=kiosk.is_registered(this_device), local_day=local_day,
                           max_name=kiosk.NAME_LENGTH), status


@bp.route("/tablet", endpoint="kiosk")
@role_required("manager")
def kiosk_page():
    """The registered tablets, and the button that makes this device one."""
    return _kiosk_page()


@bp.route("/tablet/registreren", methods=["POST"])
@role_required("manager")
def register_kiosk():
    """Register the device this request comes from: it gets the long-lived device cookie."""
    name = request.form.get("name", "")
    try:
        token = kiosk.register_device(name, actor=current_user.email)
    except kiosk.DeviceError as error:
        return _kiosk_page(str(error), name, 400)
    flash("Dit apparaat is nu een tablet voor de vragenlijst. Log uit voordat u de tablet aan cliënten geeft.")
    reply = redirect(url_for("manage.kiosk"), code=303)
    kiosk.set_device_cookie(reply, token)
    return reply


@bp.route("/tablet/<int:device_id>/intrekken", methods=["POST"])
@role_required("manager")
def revoke_kiosk(device_id: int):
    """Revoke a tablet: its cookie no longer opens the open link."""
    device = kiosk.revoke_device(device_id, actor=current_user.email)
    if device is None:
        abort(404)
    flash(f"De tablet '{device.name}' is ingetrokken. De open link werkt daar niet meer.")
    return redirect(url_for("manage.kiosk"), code=303)
