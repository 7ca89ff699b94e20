#!/usr/bin/env python3
"""Collects Rundeck's own job documents (YAML) into this folder, with manifest.json naming each
one's source (repository, commit, path, line) and the verdict `pdstep validate
--ignore-node-filter` must give: "ok", or "refused" with the reason a user would read.

Sources: rundeck/docs (```yaml blocks of the manual and how-tos that hold a job list),
rundeck/rundeck (functional-test job files, and job YAML in *Spec.groovy test strings).

  python3 Tests/CLITests/RundeckJobs/collect.py DOCS_GIT_DIR RUNDECK_GIT_DIR

(the git directories of the two repositories, e.g. from `fetch`). Verdicts of documents seen
before are kept; a new document gets pdstep's current verdict marked "unreviewed", to be checked
against what Rundeck does with it before it is committed.
"""
import json, os, re, subprocess, sys, textwrap

HERE = os.path.dirname(os.path.abspath(__file__))
# Schematic fragments, not jobs: the format reference's outline, and a Groovy string whose
# escapes do not survive extraction.
SKIP = {("rundeck/docs", "docs/manual/document-format-reference/job-yaml-v12.md", 5),
        ("rundeck/rundeck", "rundeckapp/src/test/groovy/org/rundeck/app/components/RundeckJobDefinitionManagerSpec.groovy", 0)}


def git(repo, *args):
    return subprocess.run(["git", "-C", repo, *args], capture_output=True, check=True).stdout.decode("utf-8", "replace")


def documents(name, repo):
    commit = git(repo, "rev-parse", "HEAD").strip()
    paths = git(repo, "ls-tree", "-r", "--name-only", "HEAD").split("\n")
    for path in paths:
        if name == "rundeck/docs" and path.endswith(".md"):
            text = git(repo, "show", "HEAD:" + path)
            for i, m in enumerate(re.finditer(r"```ya?ml[^\n]*\n(.*?)```", text, re.S)):
                body = m.group(1)
                if re.search(r"^\s*-\s", body, re.M) and "sequence:" in body and "commands:" in body:
                    yield commit, path, i, text[:m.start()].count("\n") + 2, body
        elif name == "rundeck/rundeck" and re.search(r"functional-test/.*\.ya?ml$", path):
            body = git(repo, "show", "HEAD:" + path)
            if "sequence:" in body:
                yield commit, path, 0, 1, body
        elif name == "rundeck/rundeck" and path.endswith("Spec.groovy"):
            text = git(repo, "show", "HEAD:" + path)
            for i, m in enumerate(re.finditer(r"(?:'''|\"\"\")(\s*-\s.*?)(?:'''|\"\"\")", text, re.S)):
                body = m.group(1)
                if "sequence:" in body and "commands:" in body:
                    yield commit, path, i, text[:m.start()].count("\n") + 1, body.replace("\\$", "$").replace("\\\\", "\\")


def write_corpus(folder, sources, extension, clean=lambda body: body):
    """Writes each document of `sources` ((name, commit, path, block, line, body) tuples) into
    `folder` as NN-slug-block.EXTENSION, and manifest.json with its source and verdict; the
    verdicts of documents seen before are kept, a new one is "unreviewed"."""
    manifest_path = os.path.join(folder, "manifest.json")
    old = {(e["source"], e["path"], e["block"]): e for e in json.load(open(manifest_path))} if os.path.exists(manifest_path) else {}
    entries = []
    for name, commit, path, block, line, body, stem in sources:
        slug = re.sub(r"[^a-z0-9]+", "-", stem.lower())[:40].strip("-")
        file = f"{len(entries) + 1:02d}-{slug}-{block}{extension}"
        with open(os.path.join(folder, file), "w") as out:
            out.write(clean(body))
        entry = {"file": file, "source": name, "commit": commit, "path": path, "block": block, "line": line}
        kept = old.get((name, path, block))
        entry.update({k: kept[k] for k in ("verdict", "reason", "why")} if kept else {"verdict": "unreviewed", "reason": "", "why": ""})
        entries.append(entry)
    with open(manifest_path, "w") as out:
        json.dump(entries, out, indent=1)
        out.write("\n")
    print(f"{len(entries)} documents")


def main():
    docs, rundeck = sys.argv[1:3]
    sources = ((name, commit, path, block, line, body, os.path.basename(path).rsplit(".", 1)[0])
               for name, repo in (("rundeck/docs", docs), ("rundeck/rundeck", rundeck))
               for commit, path, block, line, body in documents(name, repo)
               if (name, path, block) not in SKIP)
    write_corpus(HERE, sources, ".yaml", lambda body: textwrap.dedent(body.strip("\n")) + "\n")


if __name__ == "__main__":
    main()
