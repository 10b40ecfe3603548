#!/usr/bin/env python3
"""How often `slipway release` picks the version the maintainers released.

For each repository in benches/release-agreement/repos.tsv whose bare mirror is present
(default under /work/.mirror/<owner>+<name>/repo, or $SLIPWAY_MIRRORS/<owner>+<name>/repo),
every stable version tag T (from the tag the repository adopted its release tool at) whose
previous reachable version tag is stable and on another commit is rebuilt: in a
shared, no-checkout clone, T is deleted, HEAD is set to T's commit, and `slipway release
--json --tag-prefix P DIR` decides the next version from the commits since the previous tag.
The answer is compared with T's version.

    benches/release-agreement.py [--bin target/debug/slipway] [--last N] [--out FILE]

Prints one line per miss and the agreement per repository and overall; writes every pair
(repository, tag, commit, previous, released, slipway) to FILE (default
benches/release-agreement/results.tsv). The repositories' contents are never copied here.
"""
import argparse, json, os, re, subprocess, sys, tempfile, shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEMVER = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$")


def git(d, *args, check=True):
    r = subprocess.run(["git", "-C", str(d), *args], capture_output=True, text=True)
    if check and r.returncode:
        raise SystemExit(f"git {' '.join(args)}: {r.stderr.strip()}")
    return r.stdout


def key(v):
    m = SEMVER.match(v)
    return tuple(int(x) for x in m.groups()[:3])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=str(ROOT / "target/debug/slipway"))
    ap.add_argument("--last", type=int, default=0, help="only the newest N tags of each repository")
    ap.add_argument("--out", default=str(ROOT / "benches/release-agreement/results.tsv"))
    ap.add_argument("--only", default="", help="one repository, owner/name")
    a = ap.parse_args()
    mirrors = Path(os.environ.get("SLIPWAY_MIRRORS", "/work/.mirror"))
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("GITHUB_", "RUNNER_", "ACTIONS_", "SLIPWAY_")) and k != "CI"}
    rows, total, agree = [], 0, 0
    listing = (ROOT / "benches/release-agreement/repos.tsv").read_text().splitlines()
    for line in listing:
        if not line.strip() or line.startswith("#"):
            continue
        repo, prefix, tool, adopted, pinned = (line.split("\t") + ["", "", "", ""])[:5]
        prefix = "" if prefix == '""' else prefix
        if a.only and repo != a.only:
            continue
        mirror = mirrors / repo.replace("/", "+") / "repo"
        if not mirror.is_dir():
            print(f"{repo}: no mirror at {mirror}, skipped", file=sys.stderr)
            continue
        head = git(mirror, "rev-parse", "HEAD").strip()
        if pinned and pinned != head:
            print(f"{repo}: the mirror is at {head[:12]}, the list pins {pinned[:12]}: tags after the pin are included", file=sys.stderr)
        work = Path(tempfile.mkdtemp(prefix="slipway-agree-"))
        try:
            w = work / "w"
            subprocess.run(["git", "clone", "-q", "--shared", "--no-checkout", str(mirror), str(w)], check=True)
            tags = {}
            for ln in git(w, "for-each-ref", "--format=%(refname:strip=2) %(objectname) %(*objectname)", "refs/tags").splitlines():
                name, obj, peeled = (ln.split(" ") + ["", ""])[:3]
                if not name.startswith(prefix):
                    continue
                ver = name[len(prefix):]
                m = SEMVER.match(ver)
                if m and not m.group(4):
                    tags[name] = (ver, peeled or obj)
            order = sorted(tags, key=lambda t: key(tags[t][0]))
            if a.last:
                order = order[-a.last:]
            n = ok = before = 0
            since = key(adopted[len(prefix):]) if adopted else (0, 0, 0)
            for t in order:
                ver, sha = tags[t]
                git(w, "tag", "-d", t)
                git(w, "update-ref", "--no-deref", "HEAD", sha)
                r = subprocess.run([a.bin, "release", "--json", "--tag-prefix", prefix, str(w)],
                                   capture_output=True, text=True, env=env)
                git(w, "tag", t, sha)
                if r.returncode != 0:
                    got, prev = "error: " + r.stderr.strip().splitlines()[0] if r.stderr.strip() else "error", None
                else:
                    d = json.loads(r.stdout)
                    got, prev = d["next"] or "none", d["previous"]
                if prev is None or not SEMVER.match(prev) or SEMVER.match(prev).group(4):
                    continue  # a first release, or after a pre-release: not a pair of stable tags
                if tags.get(prefix + prev, (None, None))[1] == sha:
                    continue  # two versions tagged on one commit: no commits between them
                if key(ver) < since:
                    before += 1  # released by hand, before the tool was adopted
                    continue
                n += 1
                match = got == ver
                ok += match
                rows.append((repo, t, sha, prev, ver, got))
                if not match:
                    print(f"miss {repo} {prefix}{prev} -> {t} ({sha[:12]}): slipway {got}")
            total += n
            agree += ok
            pct = 100.0 * ok / n if n else 0.0
            print(f"{repo} ({tool} since {adopted or 'the first tag'}, mirror {head[:12]}): {ok}/{n} = {pct:.1f} %"
                  + (f"; {before} earlier pairs left out" if before else ""))
        finally:
            shutil.rmtree(work, ignore_errors=True)
    if total:
        print(f"overall: {agree}/{total} = {100.0 * agree / total:.2f} %")
    with open(a.out, "w") as f:
        f.write("repository\ttag\tcommit\tprevious\treleased\tslipway\n")
        for r in rows:
            f.write("\t".join(r) + "\n")


if __name__ == "__main__":
    main()
