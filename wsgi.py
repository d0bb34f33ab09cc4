"""The WSGI entry point: ``gunicorn wsgi:app``.

One Flask app serves /healthz now; the admin panel (/admin) and the Slack
endpoint (/slack/events) mount here as they land.
"""
from adapters.web import create_app

app = create_app()
