# syntax=docker/dockerfile:1
# Croupier's production image: `croupier serve` (and, with another command, `croupier db upgrade`,
# `croupier jobs worker`...) as an unprivileged user, from dependencies pinned by hash.
#
#   docker build -t croupier:$(git rev-parse --short HEAD) .
#
# The base image is pinned to a patch release; Renovate (renovate.json) proposes the next one.
ARG PYTHON_IMAGE=python:3.11.14-slim-bookworm

FROM ${PYTHON_IMAGE} AS builder
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1
WORKDIR /build
# Dependencies first, from the lock alone, so that a change to Croupier's code reuses this layer.
# --require-hashes: a file whose hash is not in the lock is refused, whatever the index serves.
COPY requirements.lock deploy/requirements-build.lock ./
RUN python -m venv /opt/croupier \
    && /opt/croupier/bin/pip install --require-hashes --no-deps -r requirements.lock \
    && python -m venv /opt/build \
    && /opt/build/bin/pip install --require-hashes --no-deps -r requirements-build.lock
COPY pyproject.toml README.md ./
COPY src ./src
# The wheel is built without build isolation so that the hashed hatchling above builds it, and is
# installed without dependencies: everything it needs came from the lock.
RUN /opt/build/bin/pip wheel --no-deps --no-build-isolation --wheel-dir /dist . \
    && /opt/croupier/bin/pip install --no-deps /dist/croupier-*.whl \
    && /opt/croupier/bin/pip uninstall --yes pip setuptools

FROM ${PYTHON_IMAGE}
# No compiler, no pip and no package manager cache: the final image only runs Croupier.
RUN python -m pip uninstall --yes pip setuptools wheel \
    && groupadd --system --gid 10001 croupier \
    && useradd --system --uid 10001 --gid croupier --home-dir /var/lib/croupier --no-create-home \
        --shell /usr/sbin/nologin croupier \
    && install -d -o croupier -g croupier -m 0700 /var/lib/croupier
COPY --from=builder /opt/croupier /opt/croupier
COPY --chmod=0755 deploy/docker/entrypoint.sh /usr/local/bin/croupier-entrypoint
ENV PATH=/opt/croupier/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    CROUPIER_ENVIRONMENT=production \
    CROUPIER_DATA_DIR=/var/lib/croupier \
    CROUPIER_HOST=0.0.0.0 \
    CROUPIER_PORT=8000 \
    CROUPIER_METRICS_HOST=0.0.0.0 \
    CROUPIER_METRICS_PORT=9000
WORKDIR /var/lib/croupier
USER 10001:10001
# The API, and Prometheus metrics on a listener of their own (CROUPIER_METRICS_PORT).
EXPOSE 8000 9000
# /healthz answers while the process is up; readiness (/readyz, the database) is the load
# balancer's and Kubernetes' concern. Python's urllib: the image carries no curl.
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, sys, urllib.request; port = os.environ.get('CROUPIER_PORT', '8000'); sys.exit(urllib.request.urlopen(f'http://127.0.0.1:{port}/healthz', timeout=2).status != 200)"]
# `croupier serve`; PGPASSWORD_FILE, when set, supplies the database password (the script says how).
ENTRYPOINT ["croupier-entrypoint"]
CMD ["serve"]
