#!/usr/bin/env python3
"""Checks requests pdstep sent against PagerDuty's official OpenAPI files.

Input: a JSON list of requests (method, path, query, headers, body), as the sandbox's request
log records them. For each: the operation must exist in the REST or Events spec; query
parameter names must be the operation's; header parameters the spec marks required (From,
Accept) must be present; the body must validate against the operation's request body schema.
Prints one line per problem and exits 1 when there are any.

Usage: python3 validate-requests.py REQUESTS.json SPEC_FOLDER
"""
import sys

import jsonschema

from openapi import load, operations


def resolve(spec, node):
    while isinstance(node, dict) and "$ref" in node:
        target = spec
        for part in node["$ref"].lstrip("#/").split("/"):
            target = target[part]
        node = target
    return node


def main():
    requests = load(sys.argv[1])
    folder = sys.argv[2]
    rest = load(folder + "/REST/openapiv3.json")
    events = load(folder + "/events-v2/openapiv3.json")
    table = [(spec, op) for spec, ops in ((rest, operations(rest)), (events, operations(events, "/v2"))) for op in ops]
    problems = []
    checked = 0
    for request in requests:
        method, path = request["method"], request["path"]
        if path.startswith("/_sandbox") or path == "/oauth/token":
            continue
        matches = [(spec, op) for spec, op in table if op[1] == method and op[0].match(path)]
        # Prefer the most specific template (fewest parameters).
        matches.sort(key=lambda m: m[1][2].count("{"))
        if not matches:
            problems.append(f"{method} {path}: no such operation in the official API")
            continue
        spec, (_, _, template, operation, shared) = matches[0]
        checked += 1
        parameters = [resolve(spec, p) for p in shared + operation.get("parameters", [])]
        query_names = {p["name"] for p in parameters if p.get("in") == "query"}
        for name in request.get("query_names", []):
            if name not in query_names and name.replace("[]", "") not in query_names:
                problems.append(f"{method} {template}: query parameter {name} is not in the spec ({sorted(query_names)})")
        headers = {k.lower(): v for k, v in request.get("headers", {}).items()}
        for p in parameters:
            if p.get("in") == "header" and p.get("required") and p["name"].lower() not in headers:
                if p["name"] == "Content-Type" and request.get("body") is None:
                    continue
                problems.append(f"{method} {template}: required header {p['name']} is missing")
        body_spec = resolve(spec, operation.get("requestBody", {})).get("content", {}).get("application/json", {}).get("schema")
        if body_spec is not None and request.get("body") is not None:
            schema = dict(resolve(spec, body_spec))
            schema["components"] = spec.get("components", {})
            errors = sorted(jsonschema.Draft4Validator(schema).iter_errors(request["body"]), key=lambda e: e.path)
            for error in errors:
                problems.append(f"{method} {template}: body does not match the schema at {'/'.join(map(str, error.path)) or '(root)'}: {error.message[:200]}")
        elif body_spec is None and request.get("body") is not None:
            problems.append(f"{method} {template}: sends a body the operation does not take")
    for problem in problems:
        print(problem)
    print(f"checked {checked} requests, {len(problems)} problems")
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
