#!/usr/bin/env python3
"""Checks that Parquet files hold the same rows as the first (the reference), read with PyArrow.

    compare_parquet.py REFERENCE.parquet OTHER.parquet...

Every value is compared as text (so that an int32 month equals an int64 one, a null as "<null>"); the
rows of both files are sorted by every column of the reference (ids repeat in dirty data), and then
every column must be equal row by row: the same multiset of rows. Exits 1 on any difference,
printing the first few."""

import sys

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq


def as_text(column):
    return pc.fill_null(column.cast(pa.string()), "<null>")


def sorted_text(table, names):
    text = pa.table({name: as_text(table[name]) for name in names})
    return text.sort_by([(name, "ascending") for name in names])


def differences(reference, other):
    missing = [name for name in reference.column_names if name not in other.column_names]
    if missing:
        yield f"columns {missing} are missing"
        return
    if reference.num_rows != other.num_rows:
        yield f"{other.num_rows} rows, expected {reference.num_rows}"
        return
    names = reference.column_names
    expected, actual = sorted_text(reference, names), sorted_text(other, names)
    for name in names:
        if not expected[name].equals(actual[name]):
            differ = pc.not_equal(expected[name], actual[name])
            index = pc.index(differ, True).as_py()
            yield (f"column {name}: {pc.sum(differ).as_py()} sorted rows differ, first: expected "
                   f"{expected[name][index]}, got {actual[name][index]}")


def main(argv):
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    reference = pq.read_table(argv[1])
    failed = False
    for path in argv[2:]:
        found = list(differences(reference, pq.read_table(path)))
        for line in found[:5]:
            print(f"{path}: {line}")
        failed = failed or bool(found)
        if not found:
            print(f"{path}: the same {reference.num_rows} rows as {argv[1]}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
