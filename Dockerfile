# syntax=docker/dockerfile:1
#
# One image for every Mobility process: the gateway and each service's API (`mobility serve <owner>`), their
# workers (`mobility worker <owner>`) and the one-shot jobs (`mobility keys`, `mobility migrate <owner>`,
# `mobility declare`, `mobility seed-demo`). docker-compose.yml and deploy/k8s/ choose the command.
#
#   docker build -t ghcr.io/example/mobility:0.1.0 .
#   docker run --rm ghcr.io/example/mobility:0.1.0 --help
#
# Build stage: wheels for every dependency, at the versions pyproject.toml pins. Runtime stage: those wheels
# installed, the source under /app (owned by root, read-only for the app user), run as UID 10001.

ARG PYTHON_IMAGE=python:3.11-slim

FROM ${PYTHON_IMAGE} AS build

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1

WORKDIR /src
COPY pyproject.toml README.md babel.cfg ./
COPY chassis ./chassis
COPY eventbus ./eventbus
COPY gateway ./gateway
COPY services ./services
COPY mobility ./mobility
COPY deploy ./deploy

# The project's own wheel is dropped: the runtime runs the source tree from /app (PYTHONPATH), so the code,
# its migrations, templates and translations exist once, where `mobility` finds deploy/gunicorn.conf.py.
RUN pip wheel --wheel-dir /wheels . \
 && rm -f /wheels/mobility-*.whl \
 && ls /wheels


FROM ${PYTHON_IMAGE} AS runtime

# XDG_RUNTIME_DIR: where gunicorn puts its control socket (else under $HOME, read-only here). /tmp is the
# one writable place besides the volumes: a tmpfs in compose, an emptyDir in Kubernetes.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONPATH=/app \
    MOBILITY_VAR_DIR=/var/lib/mobility \
    XDG_RUNTIME_DIR=/tmp

RUN groupadd --system --gid 10001 mobility \
 && useradd --system --uid 10001 --gid 10001 --home-dir /var/lib/mobility --no-create-home \
        --shell /usr/sbin/nologin mobility

# The CJK font the 任务批件 and 公示情况说明 PDFs embed (MOBILITY_PDF_FONT), so they print the same everywhere.
RUN apt-get update \
 && apt-get install -y --no-install-recommends fonts-wqy-microhei \
 && rm -rf /var/lib/apt/lists/*

# The dependency wheels only (bind-mounted from the build stage, so they take no room in a layer).
RUN --mount=type=bind,from=build,source=/wheels,target=/wheels \
    pip install --no-index --find-links=/wheels /wheels/*.whl

WORKDIR /app
COPY pyproject.toml README.md babel.cfg ./
COPY chassis ./chassis
COPY eventbus ./eventbus
COPY gateway ./gateway
COPY services ./services
COPY mobility ./mobility
COPY deploy ./deploy

# Bytecode compiled now, as root: the app user cannot write under /app. The var dir and the mount points
# below it (named volumes take their owner from the image on first use) belong to the app user:
#   keys/private  the gateway's signing key     keys/public  the public key every service verifies with
#   session       the gateway's session secret  documents    the applications API's uploaded files
RUN python -m compileall -q /app \
 && chmod -R u=rwX,go=rX /app \
 && install -d -o 10001 -g 10001 -m 0750 /var/lib/mobility /var/lib/mobility/keys \
        /var/lib/mobility/keys/private /var/lib/mobility/keys/public \
        /var/lib/mobility/session /var/lib/mobility/documents

USER 10001:10001

# The gateway's port; the services listen on 8001-8003 and workers serve /metrics on MOBILITY_METRICS_PORT.
EXPOSE 8000

ENTRYPOINT ["python", "-m", "mobility"]
CMD ["--help"]
