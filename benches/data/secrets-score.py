"""Scores slipway, gitleaks and detect-secrets on the set benches/data/secrets-labelled.py wrote:
a finding counts at its file and line."""
import json, os, subprocess, sys

slipway, root, labels_path, peers = sys.argv[1:5]
labels = {}
for line in open(labels_path):
    kind, path, n = line.rstrip("\n").split("\t")
    labels[(path, int(n))] = kind == "P"


def score(name, found):
    found = set(found)
    tp = sum(1 for k, v in labels.items() if v and k in found)
    fp = sum(1 for k in found if not labels.get(k, False))
    fn = sum(1 for k, v in labels.items() if v and k not in found)
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    print(f"{name:15} tp={tp:3} fp={fp:3} fn={fn:3} precision={precision:.3f} recall={recall:.3f}")


out = subprocess.run([slipway, "security-scan", "--no-dependencies", "--no-workflows", "--json", "--fail-on", "none", root], capture_output=True, text=True).stdout
score("slipway", [(f["file"], f["line"]) for f in json.loads(out)["findings"]])
gitleaks = os.path.join(peers, "bin", "gitleaks")
if os.path.exists(gitleaks):
    report = os.path.join(os.path.dirname(labels_path), "gitleaks.json")
    subprocess.run([gitleaks, "dir", root, "--report-format", "json", "--report-path", report, "--no-banner", "--exit-code", "0"], capture_output=True)
    found = json.load(open(report))
    score("gitleaks", [(os.path.relpath(x["File"], root) if os.path.isabs(x["File"]) else os.path.relpath(os.path.join(root, x["File"]), root), x["StartLine"]) for x in found])
else:
    print(f"gitleaks: not installed in {peers}")
detect = os.path.join(peers, "bin", "detect-secrets")
if os.path.exists(detect):
    r = subprocess.run([detect, "scan", "--all-files"], cwd=root, capture_output=True, text=True)
    found = json.loads(r.stdout)["results"]
    score("detect-secrets", [(p, x["line_number"]) for p, xs in found.items() for x in xs])
else:
    print(f"detect-secrets: not installed in {peers}")
