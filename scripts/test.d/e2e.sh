# shellcheck shell=bash
# tests/e2e.rs runs the generated pipelines of the fixture repositories under act in host mode
# (scripts/try-pipeline). The jobs use what a hosted ubuntu runner has: jq and pipx, the
# toolchains the fixtures ask for (Debian's Go, Ruby, PHP, Maven; pyenv's Pythons and the
# machine's Node.js and JDKs as they are), and service containers, here local PostgreSQL and
# Redis servers that try-pipeline starts. Sourced by scripts/test.
apt_install jq pipx git postgresql redis-server golang-go
export SLIPWAY_E2E=1
