"""The management pages under /beheer: dashboard, KPI pages, rounds and invitations, downloads, admin.
Every view states the least role it needs with auth.role_required; a test walks the URL map."""

from flask import Blueprint
from flask_login import current_user

from ..auth import ROLE_RANK, enrolment_first

bp = Blueprint("manage", __name__, url_prefix="/beheer")
bp.before_request(enrolment_first)

#: (endpoint, menu label, least role) of each management area; the modules below add theirs.
MENU: list[tuple[str, str, str]] = [("manage.rounds", "Meetrondes", "manager"),
                                    ("manage.downloads", "Downloads", "manager"),
                                    ("manage.kiosk", "Tablet", "manager"),
                                    ("manage.users", "Gebruikers", "beheerder"),
                                    ("manage.organisation", "Organisatie", "beheerder"),
                                    ("manage.questionnaires", "Vragenlijsten", "beheerder"),
                                    ("manage.audit_log", "Logboek", "beheerder"),
                                    ("manage.retention", "Bewaartermijnen", "beheerder")]


@bp.app_context_processor
def management_menu():
    def manage_menu():
        if not current_user.is_authenticated:
            return []
        return [entry for entry in MENU if ROLE_RANK[current_user.role] >= ROLE_RANK[entry[2]]]
    return {"manage_menu": manage_menu}


from . import admin, dashboard, digest, downloads, kiosk, kpi, kpis, organisation, paper, questionnaires, rounds, tokens  # noqa: E402,F401  (views register themselves on bp)
