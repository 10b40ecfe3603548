# tests/metrics.rs opens the HTML dashboard in headless Chromium; tests/notify.rs sends email
# to a local aiosmtpd over STARTTLS (certificate made with openssl).
apt_install chromium openssl
export SLIPWAY_CHROMIUM=${SLIPWAY_CHROMIUM:-$(command -v chromium)}
if ! "$SLIPWAY_VALIDATORS/bin/python" -c 'import aiosmtpd' 2>/dev/null; then
  echo "installing: aiosmtpd (pip, into $SLIPWAY_VALIDATORS)" >&2
  "$SLIPWAY_VALIDATORS/bin/pip" install -q 'aiosmtpd==1.4.6'
fi
export SLIPWAY_AIOSMTPD=${SLIPWAY_AIOSMTPD:-$SLIPWAY_VALIDATORS/bin/python}
