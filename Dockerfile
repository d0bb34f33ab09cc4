# chatops: one image for every process of the Procfile (web, worker, discord); see docs/operations.md.
#   docker build -t chatops .
#   docker run --rm -e CHATOPS_DATABASE_URL=postgresql://... chatops chatops db upgrade
#   docker run -p 8000:8000 -e CHATOPS_DATABASE_URL=... chatops            # the web process (the default command)
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
COPY pyproject.toml README.md wsgi.py ./
COPY chatops ./chatops
COPY adapters ./adapters
COPY admin ./admin
COPY deploy ./deploy
RUN pip install . \
    && useradd --create-home --uid 10001 --shell /usr/sbin/nologin chatops \
    && mkdir -p /data && chown chatops:chatops /data

USER chatops
# Inside a container the web process listens on every interface (publish the port you want); SQLite (one
# container only) lives in /data. With CHATOPS_METRICS=on this bind needs CHATOPS_METRICS_TOKEN.
ENV CHATOPS_WEB_BIND=0.0.0.0:8000 \
    CHATOPS_DATABASE_URL=sqlite:////data/chatops.db \
    CHATOPS_LOG_FORMAT=json
VOLUME ["/data"]
EXPOSE 8000

HEALTHCHECK --interval=15s --timeout=3s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2).status != 200)"]

# The Procfile's `web` (tests/ops_prod/test_topology.py keeps them the same).
CMD ["gunicorn", "-c", "deploy/gunicorn.conf.py", "wsgi:app"]
