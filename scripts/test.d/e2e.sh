# shellcheck shell=bash
# tests/e2e.rs runs the generated pipelines of the fixture repositories under act in host mode
# (scripts/try-pipeline). Their jobs use what a hosted ubuntu runner has, from Debian's
# packages: jq and pipx; the toolchains the fixtures ask for (Go, Ruby with the Rails gems the
# rails-pg fixture locks, Maven with the plugins the maven-multi fixture's build binds, since
# Maven Central is out of reach and Debian's Maven repository stands in for it); and the service
# containers, here local PostgreSQL and Redis servers that try-pipeline starts. CPythons come
# from pyenv and Node.js and the JDKs as the machine has them. Sourced by scripts/test.
apt_install jq pipx git postgresql redis-server golang-go \
  ruby ruby-rails ruby-pg bundler \
  maven junit4 libmaven-enforcer-plugin-java libmaven-compiler-plugin-java \
  libmaven-resources-plugin-java libmaven-jar-plugin-java libmaven-install-plugin-java \
  libmaven-clean-plugin-java libsurefire-java
# Downloads (pip, uv, npm, Go) shared by the fixtures' runs, kept between test runs.
export SLIPWAY_E2E_CACHE=${SLIPWAY_E2E_CACHE:-$SLIPWAY_VALIDATORS/e2e-cache}
