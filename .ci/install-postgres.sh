#!/usr/bin/env bash
# Install the PostgreSQL 15 server binaries that the `postgres`-marked tests need.
#
# Idempotent: a no-op when /usr/lib/postgresql/15/bin/initdb already exists.
# The tests never use a system cluster; tests/pgserver.py runs initdb into a
# private throwaway directory and starts its own server on a free port.
#
# To keep the install quiet and fast we ask postgresql-common not to create
# (and start) the default `main` cluster. If the distribution creates one
# anyway, or fails to start it, that is harmless and does not fail this script.
set -euo pipefail

PG_MAJOR=15
PG_BIN="/usr/lib/postgresql/${PG_MAJOR}/bin"

log() { printf '[install-postgres] %s\n' "$*"; }

if [[ -x "${PG_BIN}/initdb" && -x "${PG_BIN}/pg_ctl" && -x "${PG_BIN}/postgres" ]]; then
    log "PostgreSQL ${PG_MAJOR} already installed at ${PG_BIN}; nothing to do."
    exit 0
fi

SUDO=()
if [[ "$(id -u)" -ne 0 ]]; then
    if command -v sudo >/dev/null 2>&1; then
        SUDO=(sudo)
    else
        log "ERROR: not root and sudo is unavailable; cannot install postgresql-${PG_MAJOR}." >&2
        exit 1
    fi
fi

export DEBIAN_FRONTEND=noninteractive
APT_OPTS=(
    -y --no-install-recommends
    -o Acquire::Retries=3
    -o Dpkg::Options::=--force-confdef
    -o Dpkg::Options::=--force-confold
)

log "PostgreSQL ${PG_MAJOR} not found at ${PG_BIN}; installing postgresql-${PG_MAJOR} via apt."
log "apt-get update"
"${SUDO[@]}" apt-get update -o Acquire::Retries=3

# Step 1: postgresql-common, so we can switch off the auto-created `main` cluster
# before the server package's postinst runs (same approach as the official
# postgres Docker image). Best effort: a failure here only means a `main`
# cluster may get created, which we tolerate.
log "apt-get install postgresql-common"
if "${SUDO[@]}" apt-get install "${APT_OPTS[@]}" postgresql-common; then
    conf=/etc/postgresql-common/createcluster.conf
    if [[ -f "$conf" ]]; then
        if grep -Eq '^[[:space:]]*create_main_cluster[[:space:]]*=' "$conf"; then
            "${SUDO[@]}" sed -ri 's/^[[:space:]]*create_main_cluster[[:space:]]*=.*/create_main_cluster = false/' "$conf"
        elif grep -Eq '^#[[:space:]]*create_main_cluster' "$conf"; then
            "${SUDO[@]}" sed -ri 's/^#[[:space:]]*create_main_cluster[[:space:]]*=.*/create_main_cluster = false/' "$conf"
        else
            echo 'create_main_cluster = false' | "${SUDO[@]}" tee -a "$conf" >/dev/null
        fi
        log "set create_main_cluster = false in $conf"
    fi
else
    log "WARNING: installing postgresql-common on its own failed; continuing." >&2
fi

# Step 2: the server. If a `main` cluster is still created and its start fails
# (no init system in a container, port 5432 taken, ...), the package may report
# a configure error; we only care that the binaries are on disk afterwards.
log "apt-get install postgresql-${PG_MAJOR}"
if ! "${SUDO[@]}" apt-get install "${APT_OPTS[@]}" "postgresql-${PG_MAJOR}"; then
    log "WARNING: apt-get install postgresql-${PG_MAJOR} reported an error; checking binaries." >&2
    # Finish configuring whatever can be configured; ignore failures of the
    # cluster start in postinst.
    "${SUDO[@]}" dpkg --configure -a || true
fi

if [[ ! -x "${PG_BIN}/initdb" || ! -x "${PG_BIN}/pg_ctl" || ! -x "${PG_BIN}/postgres" ]]; then
    log "ERROR: ${PG_BIN}/{initdb,pg_ctl,postgres} still missing after install." >&2
    exit 1
fi

if ! getent passwd postgres >/dev/null 2>&1; then
    # The Debian package creates it; tests/pgserver.py also creates it on demand.
    log "NOTE: system user 'postgres' does not exist; tests/pgserver.py will create it."
fi

log "installed: $("${PG_BIN}/postgres" --version)"
