# nginx for tests/deploy.rs (each test runs its own nginx on loopback ports under a temp
# prefix) and wrk for benches/deploy.sh. Sourced by scripts/test, which defines apt_install.
apt_install nginx-light wrk
SLIPWAY_NGINX=$(PATH="$PATH:/usr/sbin:/usr/local/sbin" command -v nginx || echo /usr/sbin/nginx)
export SLIPWAY_NGINX
