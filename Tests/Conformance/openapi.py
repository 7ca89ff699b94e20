"""What both conformance checks need from PagerDuty's OpenAPI files: reading one, and its
operations as (path pattern, METHOD, path template, operation, path-level parameters)."""
import json
import re


def load(path):
    with open(path) as f:
        return json.load(f)


def operations(spec, prefix=""):
    found = []
    for template, item in spec["paths"].items():
        pattern = "^" + re.escape(prefix + template).replace(r"\{", "{").replace(r"\}", "}")
        pattern = re.sub(r"\{[^}]+\}", "[^/]+", pattern) + "$"
        for method, operation in item.items():
            if method in ("get", "put", "post", "delete", "patch"):
                found.append((re.compile(pattern), method.upper(), prefix + template, operation, item.get("parameters", [])))
    return found
