# shellcheck shell=bash
# The Go toolchain for the run-tests tests that run a real Go module (go test -json,
# -coverprofile, sharding by package). Sourced by scripts/test.
command -v go >/dev/null 2>&1 || apt_install golang-go
SLIPWAY_GO=$(command -v go)
export SLIPWAY_GO
