#!/usr/bin/env python3
"""Checks the sandbox's answers against PagerDuty's official OpenAPI files.

Input: the sandbox's request log (a JSON list; each entry has method, path, status and, for a
JSON answer, response). For each answer: the operation's response schema for that status
(else its 2XX or default) must validate the body, and no object may carry a field the schema
does not declare (the sandbox must not teach a client to rely on what PagerDuty never sends).
OpenAPI 3.0's `nullable` is honoured. Where the spec itself is wrong, the place is listed in
SPEC_ERRATA below with the reason. Prints one line per problem; exits 1 when there are any.

Usage: python3 validate-responses.py LOG.json SPEC_FOLDER
"""
import copy
import re
import sys

import jsonschema

from openapi import load, operations


# Places where PagerDuty's spec does not describe what PagerDuty sends, each with why.
# (operation, JSON path prefix of the instance, list indexes left out) -> reason
SPEC_ERRATA = {
    # The schema's targets are bare references; PagerDuty's own example (and API) wraps each in
    # {"responder_request_target": {...}}.
    ("POST /incidents/{id}/responder_requests", ".responder_request.responder_request_targets"):
        "targets are wrapped in responder_request_target, as the operation's own example shows",
    # include[]=contact_methods puts the full contact methods where the schema has references only.
    ("GET /users/{id}", ".user.contact_methods"): "include[]=contact_methods expands the references",
    ("GET /users", ".users.contact_methods"): "include[]=contact_methods expands the references",
}


def excused(operation, where):
    plain = re.sub(r"\[\d+\]", "", where)
    return any(operation == t and plain.startswith(p) for (t, p) in SPEC_ERRATA)

def resolve(spec, node):
    while isinstance(node, dict) and "$ref" in node:
        target = spec
        for part in node["$ref"].lstrip("#/").split("/"):
            part = part.replace("~1", "/")
            target = target[int(part)] if isinstance(target, list) else target[part]
        node = target
    return node


def nullable(node):
    """OpenAPI 3.0 `nullable: true` as JSON Schema (null allowed), everywhere."""
    if isinstance(node, list):
        return [nullable(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: nullable(value) for key, value in node.items()}
    if node.get("nullable") is True:
        if "type" in node and isinstance(node["type"], str):
            node["type"] = [node["type"], "null"]
            if "enum" in node:
                node["enum"] = list(node["enum"]) + [None]
        else:
            return {"anyOf": [{"type": "null"}, {k: v for k, v in node.items() if k != "nullable"}]}
    return node


def declared(spec, schema, seen=None):
    """The property names a schema allows (through allOf, anyOf, oneOf and $ref); None when it
    allows any (no properties listed, or additionalProperties)."""
    seen = seen or set()
    if isinstance(schema, dict) and "$ref" in schema:
        if schema["$ref"] in seen:
            return set()
        seen = seen | {schema["$ref"]}
        schema = resolve(spec, schema)
    if not isinstance(schema, dict):
        return None
    names = set()
    parts = [schema] + schema.get("allOf", []) + schema.get("anyOf", []) + schema.get("oneOf", [])
    open_ended = not any(isinstance(p, dict) and ("properties" in p or "$ref" in p or "allOf" in p) for p in parts)
    if schema.get("additionalProperties") not in (None, False) or open_ended:
        return None
    for part in parts:
        if part is schema:
            names |= set(schema.get("properties", {}).keys())
            continue
        more = declared(spec, part, seen)
        if more is None:
            return None
        names |= more
    return names


def undeclared(spec, schema, instance, path, problems, template):
    """Fields of `instance` that `schema` does not declare, at any depth."""
    if isinstance(schema, dict) and "$ref" in schema:
        schema = resolve(spec, schema)
    if not isinstance(schema, dict):
        return
    if isinstance(instance, list):
        items = schema.get("items")
        if items is not None:
            for index, item in enumerate(instance):
                undeclared(spec, items, item, f"{path}[{index}]", problems, template)
        return
    if not isinstance(instance, dict):
        return
    names = declared(spec, schema)
    if names is not None:
        for key in instance:
            if key not in names and not excused(template, f"{path}.{key}"):
                problems.append(f"{template}: {path}.{key} is not in the response schema")
    # Recurse through the property schemas (merged over allOf and friends).
    properties = {}
    def gather(node, seen=()):
        if isinstance(node, dict) and "$ref" in node:
            if node["$ref"] in seen:
                return
            seen = seen + (node["$ref"],)
            node = resolve(spec, node)
        if not isinstance(node, dict):
            return
        properties.update(node.get("properties", {}))
        for key in ("allOf", "anyOf", "oneOf"):
            for part in node.get(key, []):
                gather(part, seen)
    gather(schema)
    for key, value in instance.items():
        if key in properties:
            undeclared(spec, properties[key], value, f"{path}.{key}", problems, template)


def main():
    log = load(sys.argv[1])
    folder = sys.argv[2]
    rest = nullable(load(folder + "/REST/openapiv3.json"))
    events = nullable(load(folder + "/events-v2/openapiv3.json"))
    table = [(spec, op) for spec, ops in ((rest, operations(rest)), (events, operations(events, "/v2"))) for op in ops]
    problems = []
    checked = 0
    for entry in log:
        if "response" not in entry or entry["path"].startswith("/_sandbox") or entry["path"] == "/oauth/token":
            continue
        method, path, status = entry["method"], entry["path"], str(entry["status"])
        matches = sorted([(spec, op) for spec, op in table if op[1] == method and op[0].match(path)], key=lambda m: m[1][2].count("{"))
        if not matches:
            continue  # the request test reports unknown operations
        spec, (_, _, template, operation, _) = matches[0]
        responses = operation.get("responses", {})
        answer = responses.get(status) or responses.get(status[0] + "XX") or responses.get("default")
        if answer is None:
            problems.append(f"{method} {template}: status {status} is not one the spec lists ({sorted(responses)})")
            continue
        answer = resolve(spec, answer)
        schema = answer.get("content", {}).get("application/json", {}).get("schema")
        if schema is None:
            continue
        checked += 1
        root = dict(resolve(spec, schema))
        root["components"] = spec.get("components", {})
        for error in sorted(jsonschema.Draft4Validator(root).iter_errors(entry["response"]), key=lambda e: list(e.path)):
            where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.path)
            if excused(f"{method} {template}", where):
                continue
            problems.append(f"{method} {template} {status}: {where or '(body)'}: {error.message[:200]}")
        undeclared(spec, schema, entry["response"], "", problems, f"{method} {template}")
    for problem in sorted(set(problems)):
        print(problem)
    print(f"checked {checked} answers")
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
