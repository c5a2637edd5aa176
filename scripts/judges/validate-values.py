#!/usr/bin/env python3
"""Validate relaygen values files against values.schema.json with the `jsonschema` package.

Usage: validate-values.py SCHEMA FILE...

Each FILE is read as YAML and checked against SCHEMA (draft 2020-12), the way an editor
with yaml-language-server checks it. Prints `ok: FILE` per valid file and one line per
violation (`FILE: key.path: message`).

Exit codes: 0 all valid; 1 a violation; 2 usage error or unreadable file.
"""

import json
import sys

import jsonschema
import yaml


def main(argv):
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    try:
        with open(argv[1], encoding="utf-8") as f:
            schema = json.load(f)
    except (OSError, ValueError) as e:
        print(f"cannot read schema {argv[1]}: {e}", file=sys.stderr)
        return 2
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    validator = validator_class(schema)
    failed = False
    for path in argv[2:]:
        try:
            with open(path, encoding="utf-8") as f:
                document = yaml.safe_load(f)
        except (OSError, yaml.YAMLError) as e:
            print(f"cannot read {path}: {e}", file=sys.stderr)
            return 2
        errors = sorted(validator.iter_errors(document), key=lambda e: list(map(str, e.absolute_path)))
        for error in errors:
            where = ".".join(str(p) for p in error.absolute_path) or "(top level)"
            print(f"{path}: {where}: {error.message}")
        if errors:
            failed = True
        else:
            print(f"ok: {path}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
