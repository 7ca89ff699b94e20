#!/usr/bin/env python3
"""The oracle for pdstep's XML reader: Python's expat (through xml.etree.ElementTree) reads each
document given as a JSON list of strings on stdin, and prints one JSON line per document:
{"tree": [name, [[attribute, value], ...], [child, ...]]} where a child is an element in the same
form or a string of text (CDATA and references merged, comments and processing instructions
dropped, adjacent text joined), or {"error": message, "line": n, "column": c} (column 1-based).
"""
import json
import sys
import xml.etree.ElementTree as ET


def tree(element):
    children = []

    def add_text(text):
        if not text:
            return
        if children and isinstance(children[-1], str):
            children[-1] += text
        else:
            children.append(text)

    add_text(element.text)
    for child in element:
        children.append(tree(child))
        add_text(child.tail)
    return [element.tag, [[k, v] for k, v in element.attrib.items()], children]


for document in json.loads(sys.stdin.read()):
    try:
        parser = ET.XMLParser()
        parser.feed(document.encode("utf-8"))
        root = parser.close()
        print(json.dumps({"tree": tree(root)}))
    except ET.ParseError as error:
        line, column = error.position
        print(json.dumps({"error": str(error), "line": line, "column": column + 1}))
