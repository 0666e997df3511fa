# deploytool as a container: the nightly audit as a Cloud Run Job, the drift gate in Cloud Build,
# or an engineer's `docker run`. See docs/container-image.md and docs/cloud-run-job.md.
#
#   docker build -t deploytool .                       # from the repository root
#   docker run --rm deploytool --help
#
# Pin the base by digest in production (python:3.11-slim@sha256:...) so rebuilds are repeatable.
ARG PYTHON_IMAGE=python:3.11-slim

# ---- build: install deploytool and its dependencies into a virtualenv ---------------------------
FROM ${PYTHON_IMAGE} AS build

ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PYTHONDONTWRITEBYTECODE=1

RUN python -m venv /opt/deploytool

WORKDIR /src
# Only what the package build reads: pyproject.toml names README.md as the long description.
COPY pyproject.toml README.md ./
COPY deploytool ./deploytool
RUN /opt/deploytool/bin/pip install --no-cache-dir . \
    && /opt/deploytool/bin/deploytool --version

# ---- runtime: the virtualenv, the manifests, a non-root user ------------------------------------
FROM ${PYTHON_IMAGE}

# A fixed numeric uid so runtimes that check runAsNonRoot can verify it; no login shell.
RUN useradd --system --uid 10001 --user-group --create-home --home-dir /home/deploytool \
        --shell /usr/sbin/nologin deploytool

COPY --from=build /opt/deploytool /opt/deploytool

WORKDIR /app
# The manifests this image was built with; mount another directory over /app/configs (or pass
# --config-dir) to check the manifests under review instead.
COPY configs ./configs
# The only writable place under /app: `apply` keeps its audit trail in ./.deploytool/ by default.
# Mount a volume here to keep the trail beyond the container's life.
RUN mkdir .deploytool && chown deploytool:deploytool .deploytool

# Logs go to stdout/stderr unbuffered (Cloud Run and Cloud Build collect them from there).
ENV PATH=/opt/deploytool/bin:$PATH \
    DEPLOYTOOL_CONFIG_DIR=/app/configs \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1

USER 10001:10001

# The exit code is deploytool's: 0 in sync, 3 drift, 4 leakage, 5 unreadable (docs/exit-codes.md).
# A Cloud Run Job's task fails exactly when it is not 0. With --tasks N, `audit` takes its shard
# from CLOUD_RUN_TASK_INDEX/CLOUD_RUN_TASK_COUNT by itself.
# The default prints the audit's JSON document on one line (--output json-line): Cloud Logging
# makes one entry of it, parsed as jsonPayload, filed under its top-level "severity" (INFO in
# sync, WARNING drift, ERROR unreadable, ALERT leakage). --output json would be pretty-printed
# over many lines, which Cloud Logging splits into one entry per line.
ENTRYPOINT ["deploytool"]
CMD ["audit", "--output", "json-line"]
