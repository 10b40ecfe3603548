# shellcheck shell=bash
# pytest, pytest-cov and Django for the run-tests tests that run a real Python suite (directly
# and through the run-tests action under act; Django's `manage.py test`). Sourced by scripts/test.
if ! "$SLIPWAY_VALIDATORS/bin/python" -c 'import pytest, pytest_cov, django' 2>/dev/null; then
  echo "installing: pytest, pytest-cov, django (pip, into $SLIPWAY_VALIDATORS)" >&2
  "$SLIPWAY_VALIDATORS/bin/pip" install -q 'pytest==8.3.4' 'pytest-cov==6.0.0' 'django==5.2.8' >&2
fi
export SLIPWAY_PYTEST="$SLIPWAY_VALIDATORS/bin/python"
