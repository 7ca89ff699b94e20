#!/usr/bin/env python3
"""Collects Rundeck's own XML job documents into this folder, with manifest.json naming each
one's source (repository, commit, path, line) and the verdict `pdstep validate
--ignore-node-filter` must give: "ok", or "refused" with the reason a user would read.

Sources: rundeck/rundeck (every .xml file holding <joblist>: functional-test job files and the
jobs/ folders of its project archives), rundeck/docs (```xml blocks of the manual that hold a
whole <joblist>).

  python3 Tests/CLITests/RundeckXMLJobs/collect.py DOCS_GIT_DIR RUNDECK_GIT_DIR

(the git directories of the two repositories, e.g. from `fetch`). Verdicts of documents seen
before are kept; a new document gets "unreviewed", to be checked against what Rundeck does with
it before it is committed.
"""
import json, os, re, subprocess, sys

HERE = os.path.dirname(os.path.abspath(__file__))


def git(repo, *args):
    return subprocess.run(["git", "-C", repo, *args], capture_output=True, check=True).stdout.decode("utf-8", "replace")


def documents(name, repo):
    commit = git(repo, "rev-parse", "HEAD").strip()
    for path in git(repo, "ls-tree", "-r", "--name-only", "HEAD").split("\n"):
        if name == "rundeck/rundeck" and path.endswith(".xml"):
            body = git(repo, "show", "HEAD:" + path)
            if "<joblist" in body:
                yield commit, path, 0, 1, body
        elif name == "rundeck/docs" and path.endswith(".md"):
            text = git(repo, "show", "HEAD:" + path)
            for i, m in enumerate(re.finditer(r"```xml[^\n]*\n(.*?)```", text, re.S)):
                body = m.group(1)
                if "<joblist" in body and "</joblist>" in body:
                    yield commit, path, i, text[:m.start()].count("\n") + 2, body


def main():
    docs, rundeck = sys.argv[1:3]
    manifest_path = os.path.join(HERE, "manifest.json")
    old = {(e["source"], e["path"], e["block"]): e for e in json.load(open(manifest_path))} if os.path.exists(manifest_path) else {}
    entries = []
    for name, repo in (("rundeck/docs", docs), ("rundeck/rundeck", rundeck)):
        for commit, path, block, line, body in documents(name, repo):
            stem = os.path.basename(path).lower().rsplit(".", 1)[0]
            if stem.startswith("job-") and "/jobs/" in path:
                stem = path.split("/jobs/")[0].rsplit("/", 1)[-1].lower()  # the archive's name
            slug = re.sub(r"[^a-z0-9]+", "-", stem)[:40].strip("-")
            file = f"{len(entries) + 1:02d}-{slug}-{block}.xml"
            with open(os.path.join(HERE, file), "w") as out:
                out.write(body.strip("\n") + "\n")
            entry = {"file": file, "source": name, "commit": commit, "path": path, "block": block, "line": line}
            kept = old.get((name, path, block))
            entry.update({k: kept[k] for k in ("verdict", "reason", "why")} if kept else {"verdict": "unreviewed", "reason": "", "why": ""})
            entries.append(entry)
    with open(manifest_path, "w") as out:
        json.dump(entries, out, indent=1)
        out.write("\n")
    print(f"{len(entries)} documents")


if __name__ == "__main__":
    main()
