# shellcheck shell=bash
# Local stand-ins of the package registries for `slipway release publish-registries`
# (tests/release_registries.rs): verdaccio (npm registry) from npm into a cache directory,
# pypiserver with build and twine (PyPI upload and JSON API) from PyPI into the validators venv.
# Pinned, installed once. Sourced by scripts/test.
SLIPWAY_VERDACCIO_DIR=${SLIPWAY_VERDACCIO_DIR:-$SLIPWAY_VALIDATORS/verdaccio}
verdaccio_pins='verdaccio@6.8.0'
if [ ! -f "$SLIPWAY_VERDACCIO_DIR/.installed" ] \
  || [ "$(cat "$SLIPWAY_VERDACCIO_DIR/.installed")" != "$verdaccio_pins" ]; then
  echo "installing: $verdaccio_pins (npm, into $SLIPWAY_VERDACCIO_DIR)" >&2
  command -v npm >/dev/null 2>&1 || apt_install nodejs npm
  mkdir -p "$SLIPWAY_VERDACCIO_DIR"
  [ -f "$SLIPWAY_VERDACCIO_DIR/package.json" ] \
    || echo '{"name": "slipway-verdaccio", "private": true}' > "$SLIPWAY_VERDACCIO_DIR/package.json"
  # shellcheck disable=SC2086 # the pins are separate words
  (cd "$SLIPWAY_VERDACCIO_DIR" && npm install --no-audit --no-fund --loglevel=error $verdaccio_pins >&2)
  echo "$verdaccio_pins" > "$SLIPWAY_VERDACCIO_DIR/.installed"
fi
export SLIPWAY_VERDACCIO="$SLIPWAY_VERDACCIO_DIR/node_modules/.bin/verdaccio"
if ! "$SLIPWAY_VALIDATORS/bin/python" -c 'import pypiserver, build, twine, setuptools' 2>/dev/null; then
  echo "installing: pypiserver, build, twine, setuptools (pip, into $SLIPWAY_VALIDATORS)" >&2
  "$SLIPWAY_VALIDATORS/bin/pip" install -q 'pypiserver==2.4.2' 'build==1.6.1' 'twine==7.0.0' 'setuptools' 'passlib' >&2
fi
export SLIPWAY_REGISTRY_PYTHON="$SLIPWAY_VALIDATORS/bin/python"
