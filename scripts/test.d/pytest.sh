# shellcheck shell=bash
# pytest and pytest-cov for the run-tests tests that run a real Python suite (directly and
# through the run-tests action under act). Sourced by scripts/test.
if ! "$SLIPWAY_VALIDATORS/bin/python" -c 'import pytest, pytest_cov' 2>/dev/null; then
  "$SLIPWAY_VALIDATORS/bin/pip" install -q 'pytest==8.3.4' 'pytest-cov==6.0.0' >&2
fi
export SLIPWAY_PYTEST="$SLIPWAY_VALIDATORS/bin/python"
