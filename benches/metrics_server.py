"""A mocked GitHub API for benches/metrics.sh: one repository with RUNS workflow runs and
DEPLOYMENTS production deployments over the last 30 days, LATENCY seconds added to every
answer, ETags and 304s like GitHub, at most 1,000 results for a filtered run query, and
POST /graphql answering `nodes(ids: [...])` for deployments (at most 100 ids, nodes in the
order asked, `null` plus an `errors` entry for an unknown id, `rateLimit.cost`).

Usage: metrics_server.py RUNS DEPLOYMENTS LATENCY [--no-graphql]
Prints its port, then serves until killed. GET /__stats returns the request counts per kind
(and the GraphQL points spent) and resets them.
"""
import bisect
import hashlib
import json
import re
import socket
import sys
import threading
import time
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

RUNS, DEPLOYMENTS, LATENCY = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
# `--no-graphql`: /graphql answers 404, as on a server without it (the REST path).
NO_GRAPHQL = "--no-graphql" in sys.argv[4:]
NOW = datetime.now(timezone.utc).replace(microsecond=0)
START = NOW - timedelta(days=30)
SPAN = (NOW - START).total_seconds() - 3600
REPO = "/repos/bench/shop"


def iso(t):
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def parse(s):
    if "T" not in s:
        s += "T00:00:00Z"
    return datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)


WORKFLOWS = ["ci", "quality", "security", "cd"]
runs = []
for i in range(RUNS):
    created = START + timedelta(seconds=SPAN * i / RUNS)
    wf = WORKFLOWS[i % len(WORKFLOWS)]
    started = created + timedelta(seconds=20 + i % 40)
    runs.append({
        "id": 100000 + i, "name": wf, "path": f".github/workflows/{wf}.yml@main",
        "status": "completed", "conclusion": "failure" if i % 9 == 0 else "success",
        "run_attempt": 2 if i % 50 == 0 else 1, "created_at": iso(created),
        "run_started_at": iso(started),
        "updated_at": iso(started + timedelta(seconds=180 + (i * 37) % 400)),
        "head_sha": f"{i:040x}", "event": "push", "workflow_id": WORKFLOWS.index(wf) + 1,
        "run_number": i + 1, "html_url": f"https://github.com/bench/shop/actions/runs/{100000 + i}",
    })
# Oldest first, with their creation times for bisection: a filtered page costs the server
# O(log n), so its own CPU time stays out of the client's wall time.
run_times = [parse(r["created_at"]) for r in runs]

deployments, statuses = [], {}
for i in range(DEPLOYMENTS):
    created = START + timedelta(seconds=SPAN * i / DEPLOYMENTS)
    did = 5000 + i
    rollback = i % 40 == 39
    deployments.append({
        "id": did, "node_id": f"DE_kwDOBench{did}", "sha": f"{i:040x}", "ref": "main", "environment": "production",
        "task": "deploy:rollback" if rollback else "deploy", "description": "",
        "created_at": iso(created),
    })
    state = "failure" if i % 25 == 0 else "success"
    statuses[did] = [
        {"state": state, "created_at": iso(created + timedelta(seconds=240))},
        {"state": "in_progress", "created_at": iso(created + timedelta(seconds=5))},
    ]
deployments.reverse()
sha_created = {d["sha"]: parse(d["created_at"]) for d in deployments}
by_node = {d["node_id"]: d for d in deployments}


def pull_number(sha):
    return int(sha, 16) + 1


def first_commit(sha):
    return sha_created.get(sha, NOW) - timedelta(hours=5)


def graphql_node(d):
    """The Deployment node the metrics query asks for, consistent with the REST answers."""
    sha = d["sha"]
    first = first_commit(sha)
    pr = {"number": pull_number(sha), "createdAt": iso(first), "mergedAt": iso(NOW),
          "commits": {"nodes": [{"commit": {"authoredDate": iso(first), "committedDate": iso(first)}}]}}
    return {
        "id": d["node_id"],
        "statuses": {"nodes": [{"state": s["state"].upper(), "createdAt": s["created_at"]} for s in statuses[d["id"]]]},
        "commit": {"associatedPullRequests": {"nodes": [pr]}},
    }

stats = {}
lock = threading.Lock()
# Encoded answers by request: every answer but /__stats depends only on the request, and the
# GIL would otherwise queue concurrent requests behind one another's JSON encoding.
answers = {}


def memo(key, build):
    data = answers.get(key)
    if data is None:
        data = json.dumps(build()).encode()
        answers[key] = data
    return data


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, status, body, headers=()):
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        etag = '"' + hashlib.sha1(data).hexdigest() + '"'
        if status == 200 and self.headers.get("If-None-Match") == etag:
            status, data = 304, b""
            if not self.path.startswith("/rate_limit"):  # free anyway
                with lock:
                    stats["304 not modified"] = stats.get("304 not modified", 0) + 1
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.send_header("etag", etag)
        self.send_header("x-ratelimit-remaining", "4000")
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def count(self, kind):
        with lock:
            stats[kind] = stats.get(kind, 0) + 1
            if self.headers.get("If-None-Match"):
                stats["conditional"] = stats.get("conditional", 0) + 1

    def do_GET(self):
        url = urlparse(self.path)
        q = {k: v[0] for k, v in parse_qs(url.query).items()}
        path = url.path
        if path == "/__stats":
            with lock:
                body = dict(stats)
                stats.clear()
            return self.reply(200, body)
        time.sleep(LATENCY)
        page, per = int(q.get("page", 1)), int(q.get("per_page", 30))
        if path == "/rate_limit":
            self.count("rate_limit")
            return self.reply(200, {"resources": {"core": {"limit": 5000, "used": 1, "remaining": 4999, "reset": 2000000000}}})
        if path == f"{REPO}/actions/runs":
            self.count("runs pages")
            created = q.get("created", "")
            if created.startswith(">="):
                lo, hi = parse(created[2:]), NOW + timedelta(days=1)
            elif ".." in created:
                a, b = created.split("..")
                lo, hi = parse(a), parse(b)
            else:
                lo, hi = START - timedelta(days=3650), NOW + timedelta(days=1)
            def build():
                # Newest first, like GitHub.
                a, b = bisect.bisect_left(run_times, lo), bisect.bisect_right(run_times, hi)
                found = runs[a:b][::-1]
                capped = found[:1000]
                return {"total_count": len(found), "workflow_runs": capped[(page - 1) * per: page * per]}
            return self.reply(200, memo(self.path, build))
        m = re.fullmatch(rf"{REPO}/actions/runs/(\d+)/jobs", path)
        if m:
            self.count("jobs")
            index = int(m.group(1)) - 100000
            if not 0 <= index < len(runs):
                return self.reply(404, {"message": "Not Found"})
            r = runs[index]
            steps = [{"name": n, "status": "completed", "conclusion": "success", "number": k + 1,
                      "started_at": r["run_started_at"], "completed_at": r["updated_at"]}
                     for k, n in enumerate(["Set up job", "Run tests"])]
            job = {"id": 1, "run_id": r["id"], "name": "test", "status": "completed", "conclusion": "success",
                   "created_at": r["created_at"], "started_at": r["run_started_at"],
                   "completed_at": r["updated_at"], "steps": steps}
            return self.reply(200, {"total_count": 1, "jobs": [job]})
        if path == f"{REPO}/deployments":
            self.count("deployment pages")
            last = max(1, -(-len(deployments) // per))
            base = f"http://{self.headers['Host']}{REPO}/deployments?environment=production&per_page={per}"
            links = []
            if page < last:
                links.append(f'<{base}&page={page + 1}>; rel="next"')
            links.append(f'<{base}&page={last}>; rel="last"')
            return self.reply(200, deployments[(page - 1) * per: page * per], [("link", ", ".join(links))])
        m = re.fullmatch(rf"{REPO}/deployments/(\d+)/statuses", path)
        if m:
            self.count("deployment statuses")
            return self.reply(200, statuses.get(int(m.group(1)), []))
        m = re.fullmatch(rf"{REPO}/commits/([0-9a-f]+)/pulls", path)
        if m:
            self.count("pulls for a commit")
            return self.reply(200, [{"number": pull_number(m.group(1)), "merged_at": iso(NOW)}])
        m = re.fullmatch(rf"{REPO}/pulls/(\d+)/commits", path)
        if m:
            self.count("pull commits")
            sha = f"{int(m.group(1)) - 1:040x}"
            first = first_commit(sha)
            return self.reply(200, [{"sha": sha, "commit": {"author": {"date": iso(first)}, "committer": {"date": iso(first)}}}])
        self.count("unknown")
        return self.reply(404, {"message": "Not Found"})

    def do_POST(self):
        length = int(self.headers.get("content-length", 0))
        body = json.loads(self.rfile.read(length) or b"{}")
        time.sleep(LATENCY)
        if urlparse(self.path).path != "/graphql" or NO_GRAPHQL:
            self.count("unknown")
            return self.reply(404, {"message": "Not Found"})
        self.count("graphql")
        ids = body.get("variables", {}).get("ids", [])
        cost = max(1, -(-len(ids) * 5 // 100))
        with lock:
            stats["graphql points"] = stats.get("graphql points", 0) + cost
        return self.reply(200, memo(json.dumps(ids), lambda: self.graphql(ids, cost)),
                          [("x-ratelimit-resource", "graphql")])

    def graphql(self, ids, cost):
        if len(ids) > 100:
            return {"errors": [{"type": "EXCESSIVE_PAGINATION", "message": f"{len(ids)} ids, at most 100"}]}
        nodes, errors = [], []
        for i, node_id in enumerate(ids):
            d = by_node.get(node_id)
            if d is None:
                nodes.append(None)
                errors.append({"type": "NOT_FOUND", "path": ["nodes", i],
                               "message": f"Could not resolve to a node with the global id of '{node_id}'"})
            else:
                nodes.append(graphql_node(d))
        answer = {"data": {"rateLimit": {"cost": cost, "remaining": 1000 - cost, "resetAt": iso(NOW + timedelta(hours=1))}, "nodes": nodes}}
        if errors:
            answer["errors"] = errors
        return answer


probe = socket.socket()
probe.bind(("127.0.0.1", 0))
port = probe.getsockname()[1]
probe.close()
server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
server.daemon_threads = True
server.request_queue_size = 256
print(port, flush=True)
server.serve_forever()
