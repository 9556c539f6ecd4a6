#!/usr/bin/env python3
"""Checks that engines' report JSON files agree on every key of the first (the reference).

    compare_reports.py REFERENCE.json OTHER.json...

Prints one line per differing key path (with both values) and exits 1 on any difference. Keys an
engine adds beyond the reference's are ignored; floats must be equal to 1e-9."""

import json
import sys


def differences(expected, actual, path=""):
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            yield path, expected, actual
            return
        for key, value in expected.items():
            if key not in actual:
                yield f"{path}.{key}", value, "<missing>"
            else:
                yield from differences(value, actual[key], f"{path}.{key}")
        if path:  # nested maps (per column, per key) must not have extra keys either
            for key in actual.keys() - expected.keys():
                yield f"{path}.{key}", "<missing>", actual[key]
    elif isinstance(expected, list):
        if not isinstance(actual, list) or len(actual) != len(expected):
            yield path, expected, actual
            return
        for i, (e, a) in enumerate(zip(expected, actual)):
            yield from differences(e, a, f"{path}[{i}]")
    elif isinstance(expected, float) or isinstance(actual, float):
        if not isinstance(actual, (int, float)) or abs(expected - actual) > 1e-9:
            yield path, expected, actual
    elif expected != actual or type(expected) is not type(actual):
        yield path, expected, actual


def main(argv):
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    with open(argv[1]) as f:
        reference = json.load(f)
    failed = False
    for other in argv[2:]:
        try:
            with open(other) as f:
                actual = json.load(f)
        except (OSError, ValueError) as e:
            print(f"{other}: unreadable report: {e}")
            failed = True
            continue
        found = list(differences(reference, actual))
        for path, expected, got in found:
            print(f"{other}: {path.lstrip('.')}: expected {json.dumps(expected)}, "
                  f"got {json.dumps(got)}")
        failed = failed or bool(found)
        if not found:
            print(f"{other}: agrees with {argv[1]}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
