# Local configuration for surveys. Copy to instance/config.py and adjust; `make run` writes one with a
# fresh secret key when none exists. Every key can also be set as an environment variable SURVEYS_<KEY>,
# which wins over this file.

# A long random string; sessions and CSRF tokens depend on it. Generate one with:
#   python -c "import secrets; print(secrets.token_hex(32))"
SECRET_KEY = "change-me"

# SQLAlchemy URL. Default: SQLite in the instance folder. Production: PostgreSQL, e.g.
# DATABASE_URL = "postgresql+psycopg://surveys@localhost/surveys"

# The address respondents see in invitation links and letters.
# BASE_URL = "https://waardering.example.nl"

# The organisation's time zone: it decides the day (and so the period) of every response.
# TIMEZONE = "Europe/Amsterdam"
