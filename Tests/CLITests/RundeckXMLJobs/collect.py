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
import os, re, sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "RundeckJobs"))
from collect import git, write_corpus  # the YAML corpus's script: one way to write a corpus


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


def stem(path):
    """The file's name, or for a project archive's jobs/job-<uuid>.xml, the archive's."""
    name = os.path.basename(path).rsplit(".", 1)[0]
    if name.startswith("job-") and "/jobs/" in path:
        return path.split("/jobs/")[0].rsplit("/", 1)[-1]
    return name


def main():
    docs, rundeck = sys.argv[1:3]
    sources = ((name, commit, path, block, line, body, stem(path))
               for name, repo in (("rundeck/docs", docs), ("rundeck/rundeck", rundeck))
               for commit, path, block, line, body in documents(name, repo))
    write_corpus(HERE, sources, ".xml", lambda body: body.strip("\n") + "\n")


if __name__ == "__main__":
    main()
