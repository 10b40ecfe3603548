# shellcheck shell=bash
# jest, vitest (with its V8 coverage), mocha, ava, @playwright/test (its test runner; no
# browser is installed), node-tap, pnpm and yarn (classic, 1.x) for the run-tests tests that
# run real JavaScript suites, directly and through package scripts. Installed once into a cache
# directory beside the validators, pinned; the tests link its node_modules into their
# projects. Sourced by scripts/test.
SLIPWAY_NODE_RUNNERS=${SLIPWAY_NODE_RUNNERS:-$SLIPWAY_VALIDATORS/node-runners}
node_runners_pins='jest@29.7.0 jest-junit@16.0.0 vitest@3.2.4 @vitest/coverage-v8@3.2.4 mocha@12.0.3 ava@6.4.1 @playwright/test@1.65.2 tap@21.8.0 pnpm@10.34.8 yarn@1.22.22'
if [ ! -f "$SLIPWAY_NODE_RUNNERS/.installed" ] \
  || [ "$(cat "$SLIPWAY_NODE_RUNNERS/.installed")" != "$node_runners_pins" ]; then
  echo "installing: $node_runners_pins (npm, into $SLIPWAY_NODE_RUNNERS)" >&2
  command -v npm >/dev/null 2>&1 || apt_install nodejs npm
  mkdir -p "$SLIPWAY_NODE_RUNNERS"
  [ -f "$SLIPWAY_NODE_RUNNERS/package.json" ] \
    || echo '{"name": "slipway-node-runners", "private": true}' > "$SLIPWAY_NODE_RUNNERS/package.json"
  # No browser: the playwright tests use no page.
  # shellcheck disable=SC2086 # the pins are separate words
  (cd "$SLIPWAY_NODE_RUNNERS" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm install --no-audit --no-fund --loglevel=error $node_runners_pins >&2)
  echo "$node_runners_pins" > "$SLIPWAY_NODE_RUNNERS/.installed"
fi
export SLIPWAY_NODE_RUNNERS
