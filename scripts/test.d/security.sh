# tests/security.rs measures the peak memory of a large-file scan with GNU time.
apt_install time
