"""Runs the pipeline `slipway gen-workflows` writes for a repository, under act, on this machine.

Usage: scripts/try-pipeline [options] REPOSITORY   (see `scripts/try-pipeline --help`)

What it does:
1. copies the repository (a checkout, a bare mirror, or a plain directory) into a fresh
   temporary directory and makes sure it is a git repository with one branch checked out;
2. runs `slipway gen-workflows` there (exit 2 from it ends the run) and commits the result, so
   the pushed commit carries the workflows, as on a first push;
3. optionally applies a deliberate breakage (`--break FILE FIND REPLACE`) in its own commit;
4. starts the service containers the jobs ask for as local servers (PostgreSQL, MySQL/MariaDB,
   Redis from the machine's packages), with the users, passwords and databases the job's
   `services:` name: act runs jobs on the host and would ignore `services:`;
5. runs each workflow with `act` in host mode: slipway's own actions resolve to this checkout,
   third-party actions to the stand-ins in tests/e2e/stand-ins (they do what the real action
   does as far as this machine allows and fail where the real one would fail);
6. prints one line per job (green, red, skipped, or n/a with the reason) and, with --json, a
   machine-readable report. Exit 0 when every job that ran is green, 1 otherwise, 2 when the
   pipeline could not be generated or run.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
from pathlib import Path

from ruamel.yaml import YAML

HERE = Path(__file__).resolve().parent
CHECKOUT = HERE.parent
STAND_INS = CHECKOUT / "tests" / "e2e" / "stand-ins"
PINS = CHECKOUT / "templates" / "action-pins.toml"

# Third-party action repositories and the stand-in directory that replaces each. An action
# that is pinned but has no stand-in here makes the jobs that use it n/a, never green.
STAND_IN_FOR = {
    "actions/cache": "actions-cache",
    "actions/upload-artifact": "actions-upload-artifact",
    "actions/download-artifact": "actions-download-artifact",
    "actions/setup-node": "actions-setup-node",
    "actions/setup-python": "actions-setup-python",
    "actions/setup-go": "actions-setup-go",
    "actions/setup-java": "actions-setup-java",
    "actions/setup-dotnet": "actions-setup-dotnet",
    "ruby/setup-ruby": "ruby-setup-ruby",
    "shivammathur/setup-php": "shivammathur-setup-php",
    "github/codeql-action": "github-codeql-action",
    "docker/setup-buildx-action": "no-engine",
    "docker/login-action": "no-engine",
    "docker/build-push-action": "no-engine",
    "docker/metadata-action": "no-engine",
    "aquasecurity/trivy-action": "no-engine",
}
# Actions whose jobs cannot run on a machine without a Docker engine or the network: such a
# job is reported n/a with this reason instead of red.
CANNOT_RUN_HERE = {
    "docker/setup-buildx-action": "needs a Docker engine",
    "docker/login-action": "needs a Docker engine",
    "docker/build-push-action": "needs a Docker engine",
    "docker/metadata-action": "needs a Docker engine",
    "aquasecurity/trivy-action": "needs a Docker engine and the Trivy database download",
    "SonarSource/sonarqube-scan-action": "needs a SonarQube server",
}
# The event each workflow is tried with, first one the workflow has.
EVENTS = ("push", "workflow_dispatch", "pull_request", "schedule")
OWN_ACTIONS = ("setup-environment", "run-tests", "security-scan", "deploy")
SERVICE_IMAGES = {"postgres": "postgres", "mysql": "mysql", "mariadb": "mysql", "redis": "redis", "valkey": "redis"}

yaml = YAML(typ="safe")


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def run(cmd: list[str], cwd: Path | None = None, env: dict | None = None, check: bool = True) -> subprocess.CompletedProcess:
    p = subprocess.run(cmd, cwd=cwd, env=env, text=True, capture_output=True)
    if check and p.returncode != 0:
        raise SystemExit(f"try-pipeline: `{' '.join(cmd)}` failed ({p.returncode}):\n{p.stdout}{p.stderr}")
    return p


def git(repo: Path, *args: str, check: bool = True) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "try-pipeline", "GIT_AUTHOR_EMAIL": "ci@example.com",
           "GIT_COMMITTER_NAME": "try-pipeline", "GIT_COMMITTER_EMAIL": "ci@example.com"}
    return run(["git", *args], cwd=repo, env=env, check=check).stdout.strip()


def copy_repository(src: Path, dest: Path, branch: str | None) -> str:
    """A fresh git repository at `dest` with `src`'s files; returns the checked-out branch."""
    top = run(["git", "rev-parse", "--show-toplevel"], cwd=src, check=False).stdout.strip() if src.is_dir() else ""
    bare = run(["git", "rev-parse", "--is-bare-repository"], cwd=src, check=False).stdout.strip() == "true"
    if bare or (top and Path(top).resolve() == src.resolve()):
        args = ["git", "clone", "--quiet", "--no-hardlinks"]
        if branch:
            args += ["--branch", branch]
        run(args + [str(src), str(dest)])
        # The clone's origin is the source: what `origin/HEAD` says is what the source said.
        return git(dest, "rev-parse", "--abbrev-ref", "HEAD")
    shutil.copytree(src, dest, symlinks=True, ignore=shutil.ignore_patterns(".git"))
    git(dest, "init", "-q", "-b", branch or "main")
    git(dest, "add", "-A")
    git(dest, "commit", "-qm", "the repository as it was")
    return branch or "main"


def pins() -> dict[str, str]:
    table = tomllib.loads(PINS.read_text())
    return {name: entry["sha"] for name, entry in table.items()}


def stage_stand_ins(work: Path, used: set[str]) -> tuple[list[str], dict[str, str]]:
    """--local-repository arguments for every pinned third-party action, and the actions used
    that have no stand-in (name -> reason)."""
    args: list[str] = []
    missing: dict[str, str] = {}
    table = pins()
    staged = work / "stand-ins"
    # Actions used inside slipway's own composite actions are not in the workflows: every
    # pinned action with a stand-in is mapped.
    used = set(used) | {f"{name}@{sha}" for name, sha in table.items()}
    for uses in sorted(used):
        name, _, ref = uses.partition("@")
        repo = "/".join(name.split("/")[:2])
        if name.split("/")[0] == "." or any(name.endswith(f"/actions/{a}") for a in OWN_ACTIONS):
            continue
        if repo == "actions/checkout":
            continue  # act checks out the local repository itself (its own copy of the tree)
        if repo in CANNOT_RUN_HERE:
            missing[uses] = CANNOT_RUN_HERE[repo]
        if repo not in STAND_IN_FOR:
            missing.setdefault(uses, "no stand-in for this action")
            continue
        if table.get(name) != ref and table.get(repo) != ref:
            missing.setdefault(uses, "not the pinned commit of the action")
            continue
        dest = staged / repo.replace("/", "-")
        if not dest.exists():
            shutil.copytree(STAND_INS / STAND_IN_FOR[repo], dest)
            for lib in ("lib.js", "tools.js"):
                shutil.copy(STAND_INS / lib, dest / lib)
            args += ["--local-repository", f"{repo}@{ref}={dest}"]
    return args, missing


def own_actions(work: Path, used: set[str]) -> list[str]:
    """slipway's own actions at the commit the workflows name resolve to this checkout's
    actions/ and scripts/ (a copy, so act does not copy the whole tree per job)."""
    dest = work / "slipway-actions"
    if not dest.exists():
        for sub in ("actions", "scripts"):
            shutil.copytree(CHECKOUT / sub, dest / sub, ignore=shutil.ignore_patterns("__pycache__"))
    args = []
    for uses in sorted(used):
        name, _, ref = uses.partition("@")
        for a in OWN_ACTIONS:
            if name.endswith(f"/actions/{a}"):
                repo = name[: -len(f"/actions/{a}")]
                arg = f"{repo}@{ref}={dest}"
                if arg not in args:
                    args += ["--local-repository", arg]
    return args


def all_uses(doc: dict) -> dict[str, set[str]]:
    """Per job id, the `uses:` of its steps."""
    out: dict[str, set[str]] = {}
    for job_id, job in (doc.get("jobs") or {}).items():
        out[job_id] = {s["uses"] for s in job.get("steps") or [] if isinstance(s, dict) and "uses" in s}
    return out


# ---- services -------------------------------------------------------------------------------


def ensure_services(docs: dict[str, dict]) -> dict[str, str]:
    """Starts the services the jobs ask for; returns job ids whose services cannot be provided
    (`workflow/job` -> reason)."""
    unavailable: dict[str, str] = {}
    for wf, doc in docs.items():
        for job_id, job in (doc.get("jobs") or {}).items():
            for name, svc in (job.get("services") or {}).items():
                image = str((svc or {}).get("image", ""))
                kind = SERVICE_IMAGES.get(image.split("/")[-1].split(":")[0].split("@")[0])
                env = {k: str(v) for k, v in ((svc or {}).get("env") or {}).items()}
                if kind is None:
                    unavailable[f"{wf}/{job_id}"] = f"service `{name}` ({image}) is not available here"
                    continue
                reason = {"postgres": start_postgres, "mysql": start_mysql, "redis": start_redis}[kind](env)
                if reason:
                    unavailable[f"{wf}/{job_id}"] = reason
    return unavailable


def start_postgres(env: dict[str, str]) -> str | None:
    if not shutil.which("pg_ctlcluster") or not list(Path("/usr/lib/postgresql").glob("*/bin/postgres")):
        return "PostgreSQL server is not installed here (apt-get install postgresql)"
    if run(["pg_isready", "-q", "-h", "localhost"], check=False).returncode != 0:
        for cluster in Path("/etc/postgresql").glob("*/*"):
            run(["pg_ctlcluster", cluster.parent.name, cluster.name, "start"], check=False)
        for _ in range(50):
            if run(["pg_isready", "-q", "-h", "localhost"], check=False).returncode == 0:
                break
            time.sleep(0.2)
        else:
            return "PostgreSQL did not start"
    user = env.get("POSTGRES_USER", "postgres")
    password = env.get("POSTGRES_PASSWORD", "")
    db = env.get("POSTGRES_DB", user)
    psql = ["runuser", "-u", "postgres", "--", "psql", "-q", "-v", "ON_ERROR_STOP=1", "-c"]
    quoted_user = '"' + user.replace('"', '""') + '"'
    exists = run(["runuser", "-u", "postgres", "--", "psql", "-tAc", f"SELECT 1 FROM pg_roles WHERE rolname = '{user.replace(chr(39), chr(39) * 2)}'"], check=False).stdout.strip()
    verb = "ALTER" if exists == "1" else "CREATE"
    run(psql + [f"{verb} ROLE {quoted_user} WITH LOGIN SUPERUSER PASSWORD '{password.replace(chr(39), chr(39) * 2)}'"])
    has_db = run(["runuser", "-u", "postgres", "--", "psql", "-tAc", f"SELECT 1 FROM pg_database WHERE datname = '{db.replace(chr(39), chr(39) * 2)}'"], check=False).stdout.strip()
    if has_db != "1":
        run(psql + [f'CREATE DATABASE "{db.replace(chr(34), chr(34) * 2)}" OWNER {quoted_user}'])
    return None


def start_redis(env: dict[str, str]) -> str | None:
    if not shutil.which("redis-server"):
        return "Redis is not installed here (apt-get install redis-server)"
    if run(["redis-cli", "ping"], check=False).stdout.strip() != "PONG":
        run(["redis-server", "--daemonize", "yes", "--save", "", "--appendonly", "no"], check=False)
        for _ in range(50):
            if run(["redis-cli", "ping"], check=False).stdout.strip() == "PONG":
                break
            time.sleep(0.1)
        else:
            return "Redis did not start"
    return None


def start_mysql(env: dict[str, str]) -> str | None:
    if not shutil.which("mariadbd") and not shutil.which("mysqld"):
        return "MySQL/MariaDB is not installed here (apt-get install mariadb-server)"
    if run(["mysqladmin", "ping", "--silent"], check=False).returncode != 0:
        run(["service", "mariadb", "start"], check=False)
        if run(["mysqladmin", "ping", "--silent"], check=False).returncode != 0:
            return "MySQL/MariaDB did not start"
    password = env.get("MYSQL_ROOT_PASSWORD", env.get("MARIADB_ROOT_PASSWORD", ""))
    db = env.get("MYSQL_DATABASE", env.get("MARIADB_DATABASE", ""))
    user = env.get("MYSQL_USER", env.get("MARIADB_USER", ""))
    upw = env.get("MYSQL_PASSWORD", env.get("MARIADB_PASSWORD", ""))
    q = lambda s: s.replace("\\", "\\\\").replace("'", "\\'")  # noqa: E731
    sql = [f"ALTER USER 'root'@'localhost' IDENTIFIED BY '{q(password)}'",
           f"CREATE USER IF NOT EXISTS 'root'@'127.0.0.1' IDENTIFIED BY '{q(password)}'",
           "GRANT ALL ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION"]
    if db:
        sql.append(f"CREATE DATABASE IF NOT EXISTS `{db.replace('`', '``')}`")
    if user:
        for host in ("localhost", "127.0.0.1"):
            sql.append(f"CREATE USER IF NOT EXISTS '{q(user)}'@'{host}' IDENTIFIED BY '{q(upw)}'")
            sql.append(f"GRANT ALL ON *.* TO '{q(user)}'@'{host}'")
    run(["mysql", "-uroot", "-e", "; ".join(sql)], check=False)
    return None


# ---- act ------------------------------------------------------------------------------------


def rustup_home(work: Path, real: Path) -> Path:
    """A RUSTUP_HOME of the run's own: the machine's toolchains (linked, so nothing is copied or
    downloaded twice) with a settings file of its own, so `rustup default` in a job changes
    this run only, as it changes only its own runner on GitHub."""
    home = work / "rustup"
    if not home.exists() and real.is_dir():
        home.mkdir()
        for entry in real.iterdir():
            if entry.name == "settings.toml":
                shutil.copy(entry, home / entry.name)
            else:
                (home / entry.name).symlink_to(entry)
    return home


def event_of(doc: dict) -> str | None:
    on = doc.get("on", doc.get(True))  # YAML 1.1 reads `on` as true
    keys = [on] if isinstance(on, str) else list(on or [])
    for e in EVENTS:
        if e in keys:
            return e
    return None


def act_run(act: Path, repo: Path, work: Path, workflow: str, event: str, branch: str,
            extra: list[str], jobs: list[str], env_path: str) -> tuple[int, list[dict], str]:
    head = git(repo, "rev-parse", "HEAD")
    payload = {"ref": f"refs/heads/{branch}", "before": "0" * 40, "after": head,
               "repository": {"default_branch": branch, "full_name": "owner/repo", "name": "repo",
                              "owner": {"login": "owner"}, "private": False, "visibility": "public"},
               "head_commit": {"id": head, "message": git(repo, "log", "-1", "--format=%B")}}
    if event == "workflow_dispatch":
        payload = {"ref": f"refs/heads/{branch}", "inputs": {},
                   "repository": payload["repository"]}
    event_file = work / f"event-{workflow}.json"
    event_file.write_text(json.dumps(payload))
    home = work / "home"
    if not home.exists():
        home.mkdir()
        # Download caches (pip, uv, poetry, go's build and module caches, npm) shared between
        # runs when SLIPWAY_E2E_CACHE names a directory: what a hosted runner restores from the
        # dependency cache, without downloading it again for every fixture. Only these: act
        # keeps its per-job directories under ~/.cache/act, which must stay per run.
        # Maven Central is out of reach on a machine without the network: Debian's Maven
        # repository (its maven packages) stands in for it, as a company mirror would.
        if Path("/usr/share/maven-repo").is_dir():
            (home / ".m2").mkdir()
            (home / ".m2" / "settings.xml").write_text(
                "<settings><mirrors><mirror><id>local</id><mirrorOf>*</mirrorOf>"
                "<url>file:///usr/share/maven-repo</url></mirror></mirrors></settings>\n")
        shared = os.environ.get("SLIPWAY_E2E_CACHE")
        if shared:
            for sub in (".cache/pip", ".cache/uv", ".cache/pypoetry", ".cache/go-build", ".npm", "go/pkg/mod"):
                target = Path(shared) / sub
                target.mkdir(parents=True, exist_ok=True)
                (home / sub).parent.mkdir(parents=True, exist_ok=True)
                (home / sub).symlink_to(target)
    real_home = Path(os.path.expanduser("~"))
    env = {**os.environ, "PATH": env_path, "HOME": str(home),
           "RUSTUP_HOME": str(rustup_home(work, Path(os.environ.get("RUSTUP_HOME", real_home / ".rustup")))),
           "CARGO_HOME": os.environ.get("CARGO_HOME", str(real_home / ".cargo"))}
    # A hosted runner's jobs start without the caller's developer settings: a backtrace or
    # toolchain override here would change what the repository's own tests see.
    for var in ("GITHUB_ACTIONS", "GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY", "GITHUB_ENV", "GITHUB_PATH",
                "CARGO_TARGET_DIR", "CI", "RUST_BACKTRACE", "RUST_LOG", "RUSTUP_TOOLCHAIN", "RUSTFLAGS",
                "RUSTDOCFLAGS", "CARGO_BUILD_JOBS", "NODE_OPTIONS", "PYTHONPATH", "VIRTUAL_ENV"):
        env.pop(var, None)
    cmd = [str(act), event, "-W", f".github/workflows/{workflow}.yml", "-e", str(event_file),
           "-P", "ubuntu-24.04=-self-hosted", "-P", "ubuntu-latest=-self-hosted",
           "--action-offline-mode", "--json", "--no-cache-server",
           "--env", f"SLIPWAY_E2E_STATE={work / 'state' / workflow}",
           # Java reads ~ from the password database, not $HOME: point Maven at this run's.
           *(["--env", f"MAVEN_OPTS=-Duser.home={home}"] if (home / ".m2").is_dir() else []),
           "--actor", "try-pipeline", "--defaultbranch", branch, *extra]
    for j in jobs:
        cmd += ["-j", j]
    started = time.monotonic()
    p = subprocess.run(cmd, cwd=repo, env=env, text=True, capture_output=True)
    records = []
    text_log = []
    for line in p.stdout.splitlines() + p.stderr.splitlines():
        try:
            r = json.loads(line)
        except json.JSONDecodeError:
            text_log.append(line)
            continue
        records.append(r)
        prefix = f"[{r.get('job', workflow)}] " if r.get("job") else ""
        text_log.append(prefix + str(r.get("msg", "")).rstrip("\n"))
    log_file = work / "logs" / f"{workflow}.log"
    log_file.parent.mkdir(exist_ok=True)
    log_file.write_text("\n".join(text_log) + "\n")
    log(f"  act {event} {workflow}.yml: exit {p.returncode} in {time.monotonic() - started:.0f} s (log: {log_file})")
    return p.returncode, records, str(log_file)


def job_results(doc: dict, records: list[dict], na: dict[str, str], wf: str) -> list[dict]:
    """One row per job run (matrix entries apart), in the workflow's order."""
    rows: dict[tuple, dict] = {}
    names = {}
    for r in records:
        jid = r.get("jobID")
        if not jid:
            continue
        key = (jid, json.dumps(r.get("matrix") or {}, sort_keys=True))
        row = rows.setdefault(key, {"workflow": wf, "job": jid, "name": str(r.get("job", jid)).split("/", 1)[-1],
                                    "matrix": r.get("matrix") or {}, "result": "not run",
                                    "errors": [], "seconds": 0.0, "_t": []})
        row["_t"].append(r.get("time", ""))
        if r.get("jobResult"):
            row["result"] = {"success": "green", "failure": "red"}.get(r["jobResult"], r["jobResult"])
        if r.get("level") == "error" or r.get("command") == "error":
            msg = str(r.get("arg") or r.get("msg", "")).strip()
            if msg:
                row["errors"].append(msg[:2000])
        names[jid] = r.get("job", jid)
    for jid in (doc.get("jobs") or {}):
        if not any(k[0] == jid for k in rows):
            rows[(jid, "{}")] = {"workflow": wf, "job": jid, "name": jid, "matrix": {}, "result": "skipped",
                                 "errors": [], "seconds": 0.0, "_t": []}
    out = []
    for (jid, _), row in rows.items():
        ts = sorted(t for t in row.pop("_t") if t)
        if len(ts) >= 2:
            from datetime import datetime
            fmt = lambda s: datetime.fromisoformat(s.replace("Z", "+00:00"))  # noqa: E731
            row["seconds"] = round((fmt(ts[-1]) - fmt(ts[0])).total_seconds(), 1)
        reason = na.get(f"{wf}/{jid}")
        if reason and row["result"] in ("red", "not run"):
            row["result"] = "n/a"
            row["reason"] = reason
        out.append(row)
    order = list((doc.get("jobs") or {}).keys())
    out.sort(key=lambda r: (order.index(r["job"]) if r["job"] in order else 999, json.dumps(r["matrix"], sort_keys=True)))
    return out


# ---- cd: a hosts target behind a local nginx --------------------------------------------------


def free_port() -> int:
    import socket
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def deploy_setup(work: Path, repo: Path, branch: str, start: str, strategy: str) -> dict:
    """Writes a slipway.yml that deploys `staging` on pushes to `branch` to a hosts target on
    this machine, and starts the nginx in front of it (its own prefix, a free port)."""
    if (repo / "slipway.yml").exists():
        raise SystemExit("try-pipeline: --deploy writes the repository's slipway.yml; this one has its own")
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(nginx).exists():
        raise SystemExit("try-pipeline: --deploy needs nginx (apt-get install nginx-light)")
    d = work / "deploy"
    (d / "nginx").mkdir(parents=True)
    (d / "state").mkdir()
    port = free_port()
    base = 20000 + (os.getpid() % 400) * 100
    user = "user root;\n" if os.geteuid() == 0 else ""
    (d / "nginx" / "upstream.conf").write_text("upstream e2e-staging {\n    server 127.0.0.1:1 down;\n}\n")
    (d / "nginx" / "nginx.conf").write_text(f"""{user}worker_processes 1;
pid {d}/nginx/nginx.pid;
error_log {d}/nginx/error.log;
events {{ worker_connections 64; }}
http {{
  access_log off;
  client_body_temp_path {d}/nginx/body;
  proxy_temp_path {d}/nginx/proxy;
  fastcgi_temp_path {d}/nginx/fastcgi;
  uwsgi_temp_path {d}/nginx/uwsgi;
  scgi_temp_path {d}/nginx/scgi;
  include {d}/nginx/upstream.conf;
  server {{
    listen 127.0.0.1:{port};
    location / {{ proxy_pass http://e2e-staging; }}
  }}
}}
""")
    q = lambda v: json.dumps(str(v))  # noqa: E731  (JSON strings are YAML strings)
    (repo / "slipway.yml").write_text(f"""version: 1
environments:
  staging: {{ branch: {q(branch)}, strategy: {strategy} }}
deploy:
  target: hosts
  hosts:
    instances: 1
    start: {q(start)}
    base-port: {base}
    upstream: e2e-staging
    state-dir: {q(d / "state")}
    nginx:
      binary: {q(nginx)}
      config: {q(d / "nginx" / "nginx.conf")}
      prefix: {q(d / "nginx")}
      upstream-file: {q(d / "nginx" / "upstream.conf")}
  health: {{ path: /up, interval: 200ms, timeout: 2s, deadline: 8s, drain: 1s }}
""")
    run([nginx, "-p", str(d / "nginx"), "-c", str(d / "nginx" / "nginx.conf")])
    return {"nginx": nginx, "dir": d, "port": port}


def deploy_teardown(deploy: dict) -> None:
    d = deploy["dir"]
    run([deploy["nginx"], "-p", str(d / "nginx"), "-c", str(d / "nginx" / "nginx.conf"), "-s", "stop"], check=False)
    state = str(d / "state")
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cwd = os.readlink(proc / "cwd")
        except OSError:
            continue
        if cwd.startswith(state):
            try:
                os.kill(int(proc.name), 9)
            except OSError:
                pass


def through_nginx(deploy: dict, path: str) -> tuple[int, str]:
    import urllib.request
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{deploy['port']}{path}", timeout=5) as r:
            return r.status, r.read().decode(errors="replace")
    except Exception as e:  # noqa: BLE001 - any failure is a red row with its reason
        return 0, str(e)


def main() -> int:
    ap = argparse.ArgumentParser(prog="try-pipeline", description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog="Needs: act (scripts/validators.sh install), git, and the toolchains the "
                                        "repository uses. Services (PostgreSQL, Redis, MariaDB) are started "
                                        "from the machine's packages when jobs ask for them.")
    ap.add_argument("repository", type=Path, help="a checkout, a bare git mirror, or a plain directory")
    ap.add_argument("--workflows", default="ci,security,quality,release",
                    help="comma list of workflows to run (default: ci,security,quality,release)")
    ap.add_argument("--job", action="append", default=[], help="run only this job id (and what it needs); repeatable")
    ap.add_argument("--branch", help="the branch to check out (default: the repository's current one)")
    ap.add_argument("--config", type=Path, help="a slipway.yml to put at the root before generating")
    ap.add_argument("--break", dest="breaks", nargs=3, action="append", default=[],
                    metavar=("FILE", "FIND", "REPLACE"),
                    help="replace FIND (present exactly once) by REPLACE in FILE before the run")
    ap.add_argument("--json", type=Path, help="write the report as JSON to this file")
    ap.add_argument("--substitute", action="append", default=[], metavar="TOOL:SPEC=VERSION",
                    help="let a setup stand-in serve VERSION when SPEC is asked for and not on this machine "
                         "(e.g. python:3.14=3.13); each use is a warning in the job's log")
    ap.add_argument("--deploy", metavar="START",
                    help="also run cd: write a slipway.yml that deploys `staging` on pushes to a hosts "
                         "target behind a local nginx, START being how one instance starts "
                         "(`{port}` is its port), then check the app answers through nginx")
    ap.add_argument("--strategy", default="blue-green", choices=["rolling", "blue-green"],
                    help="the strategy of --deploy (default: blue-green)")
    ap.add_argument("--force", action="store_true",
                    help="pass --force to gen-workflows: replace the repository's own ci.yml etc. when names collide")
    ap.add_argument("--existing", action="store_true",
                    help="run the repository's own workflows as they are, without generating")
    ap.add_argument("--act-arg", action="append", default=[], metavar="ARG",
                    help="pass ARG to every act run (repeatable), e.g. "
                         "--act-arg=--env --act-arg=GITHUB_API_URL=http://127.0.0.1:8080")
    ap.add_argument("--keep", action="store_true", help="keep the working directory (printed)")
    ap.add_argument("--work", type=Path, help="use this working directory (must not exist)")
    ns = ap.parse_args()

    slipway = os.environ.get("SLIPWAY_BIN") or shutil.which("slipway")
    if not slipway:
        log("try-pipeline: no slipway binary: set SLIPWAY_BIN or put slipway on PATH")
        return 2
    validators = Path(os.environ.get("SLIPWAY_VALIDATORS", "/tmp/validators"))
    act = Path(os.environ.get("SLIPWAY_ACT", validators / "bin" / "act"))
    if not act.is_file():
        log(f"try-pipeline: act not found at {act}: run `scripts/validators.sh install {validators}`")
        return 2
    src = ns.repository.resolve()
    if not src.exists():
        log(f"try-pipeline: `{ns.repository}` does not exist")
        return 2

    work = ns.work or Path(tempfile.mkdtemp(prefix="try-pipeline-"))
    work.mkdir(parents=True, exist_ok=True)
    repo = work / "repo"
    started = time.monotonic()
    try:
        branch = copy_repository(src, repo, ns.branch)
        if ns.config:
            shutil.copy(ns.config, repo / "slipway.yml")
            git(repo, "add", "slipway.yml")
            git(repo, "commit", "-qm", "slipway.yml")
        deploy = None
        if ns.deploy:
            deploy = deploy_setup(work, repo, branch, ns.deploy, ns.strategy)
            git(repo, "add", "slipway.yml")
            git(repo, "commit", "-qm", "deploy staging to this machine")
            if "cd" not in ns.workflows.split(","):
                ns.workflows += ",cd"
        if not ns.existing:
            # `--only` asks for ours even where the repository has its own workflows of the
            # same job (without it, gen-workflows keeps theirs and leaves ours out).
            only = ",".join(w.strip() for w in ns.workflows.split(",") if w.strip())
            gen = run([slipway, "gen-workflows", "--only", only, *(["--force"] if ns.force else [])],
                      cwd=repo, check=False)
            if gen.returncode != 0:
                log(f"try-pipeline: `slipway gen-workflows` exited {gen.returncode}:\n{gen.stdout}{gen.stderr}")
                return 2
            git(repo, "add", "-A", ".github/workflows")
            git(repo, "commit", "-qm", "ci: add the slipway pipeline", "--allow-empty")
        for file, find, replace in ns.breaks:
            path = repo / file
            text = path.read_text()
            if text.count(find) != 1:
                log(f"try-pipeline: `{find}` is in `{file}` {text.count(find)} times, not once")
                return 2
            path.write_text(text.replace(find, replace))
            git(repo, "commit", "-qam", f"break {file}")

        docs = {}
        for wf in [w.strip() for w in ns.workflows.split(",") if w.strip()]:
            f = repo / ".github" / "workflows" / f"{wf}.yml"
            if f.exists():
                docs[wf] = yaml.load(f.read_text())
            else:
                log(f"  {wf}.yml was not generated")
        used = {u for doc in docs.values() for us in all_uses(doc).values() for u in us}
        stand_in_args, missing = stage_stand_ins(work, used)
        own_args = own_actions(work, used)
        na = ensure_services(docs)
        for wf, doc in docs.items():
            for jid, us in all_uses(doc).items():
                for u in us:
                    if u in missing:
                        na.setdefault(f"{wf}/{jid}", f"`{u.split('@')[0]}` {missing[u]}")

        bin_dir = str(Path(slipway).resolve().parent)
        env_path = os.pathsep.join([bin_dir, os.environ.get("PATH", "")])
        report = {"repository": str(ns.repository), "branch": branch, "work": str(work), "workflows": {}}
        rows_all = []
        for wf, doc in docs.items():
            event = event_of(doc)
            if event is None:
                log(f"  {wf}.yml has no event this tool can send")
                continue
            extra = stand_in_args + own_args + ns.act_arg
            if ns.substitute:
                extra += ["--env", f"SLIPWAY_E2E_SUBSTITUTE={' '.join(ns.substitute)}"]
            # Release: the plan only (decide the version, write the notes). Publishing needs
            # GitHub itself (a token, the releases API) and would tag and publish for real.
            jobs = ns.job or (["plan"] if wf == "release" and "plan" in (doc.get("jobs") or {}) else [])
            code, records, log_file = act_run(act, repo, work, wf, event, branch, extra, jobs, env_path)
            rows = job_results(doc, records, na, wf)
            report["workflows"][wf] = {"event": event, "exit": code, "log": log_file, "jobs": rows}
            rows_all += rows
        if deploy:
            status, body = through_nginx(deploy, "/up")
            row = {"workflow": "cd", "job": "through-nginx", "name": "the app answers through nginx",
                   "matrix": {}, "result": "green" if status == 200 else "red",
                   "errors": [] if status == 200 else [f"GET /up through nginx: {status} {body[:200]}"],
                   "seconds": 0.0}
            rows_all.append(row)
            report["workflows"].setdefault("cd", {"jobs": []})["jobs"].append(row)
        report["seconds"] = round(time.monotonic() - started, 1)
        if ns.json:
            ns.json.write_text(json.dumps(report, indent=2))

        width = max([len(f"{r['workflow']} / {r['name']}") for r in rows_all] + [10])
        print(f"{'job'.ljust(width)}  result   time")
        for r in rows_all:
            label = f"{r['workflow']} / {r['name']}"
            extra = f"  ({r['reason']})" if r.get("reason") else ""
            if r["result"] == "red" and r["errors"]:
                extra = "  " + r["errors"][0].splitlines()[0][:160]
            print(f"{label.ljust(width)}  {r['result'].ljust(7)}  {r['seconds']:>5.0f} s{extra}")
        green = sum(r["result"] == "green" for r in rows_all)
        ran = sum(r["result"] in ("green", "red") for r in rows_all)
        print(f"{green} of {ran} jobs green ({sum(r['result'] == 'n/a' for r in rows_all)} n/a, "
              f"{sum(r['result'] == 'skipped' for r in rows_all)} skipped) in {report['seconds']:.0f} s")
        return 0 if ran and green == ran else 1
    finally:
        if "deploy" in locals() and deploy:
            deploy_teardown(deploy)
        if ns.keep or ns.work:
            log(f"try-pipeline: kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
