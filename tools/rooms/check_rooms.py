#!/usr/bin/python3
"""Checks that every #include "..." in src/ and include/shardyfusion/ goes
from a room to a room it may include.

  tools/rooms/check_rooms.py [REPO_ROOT]

The rooms, their directories and public headers, and which room may include
which, are read from the table in docs/architecture.md (between the
"rooms-table" markers), so the document and the check cannot disagree. A
file's room is that of the directory it is in (src/...) or of its public
header (include/shardyfusion/...); an include's room is found the same way
from its path ("core/log.h" is src/core/log.h, "shardyfusion/cel.h" is
include/shardyfusion/cel.h).

A file may include its own room and the rooms its row lists. A test
(*_test.cc, *_testing.h) may also include the public headers of any room (a
test reads back what it wrote, through the reader) and the test helpers
(*_testing.h) of any room below its own in the table; never another room's
internals.

Exit status: 0 if every include is allowed, 1 otherwise (each offending
include named as file:line: from-room -> to-room), 2 if the table cannot be
read.
"""

import os
import re
import sys

TABLE_BEGIN = "<!-- rooms-table begin -->"
TABLE_END = "<!-- rooms-table end -->"
INCLUDE_RE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')
PUBLIC_DIR = "include/shardyfusion"


class TableError(Exception):
    pass


def ticked(cell):
    """The `quoted` words of a table cell."""
    return re.findall(r"`([^`]+)`", cell)


def read_rooms(doc_path):
    """Rooms in table order (bottom first): a list of dicts with name, dirs,
    headers and may (a set of room names, or None for any room)."""
    with open(doc_path, encoding="utf-8") as f:
        text = f.read()
    if TABLE_BEGIN not in text or TABLE_END not in text:
        raise TableError(f"{doc_path}: no table between {TABLE_BEGIN} and {TABLE_END}")
    body = text.split(TABLE_BEGIN, 1)[1].split(TABLE_END, 1)[0]
    rows = [l.strip() for l in body.splitlines() if l.strip().startswith("|")]
    rooms = []
    for row in rows[2:]:  # after the header row and the |---| row
        cells = [c.strip() for c in row.strip("|").split("|")]
        if len(cells) != 4:
            raise TableError(f"{doc_path}: a rooms row needs 4 cells: {row}")
        name = cells[0].strip("`* ")
        dirs = [t.rstrip("/") for t in ticked(cells[1]) if t.startswith("src/")]
        headers = [t for t in ticked(cells[2]) if t.endswith(".h")]
        may_cell = cells[3].replace("`", "")
        if may_cell.strip() == "any room":
            may = None
        else:
            may = {m.strip() for m in may_cell.split(",") if m.strip() and m.strip() != "-"}
        if not name or not dirs:
            raise TableError(f"{doc_path}: a room needs a name and a src/ directory: {row}")
        rooms.append({"name": name, "dirs": dirs, "headers": headers, "may": may})
    names = {r["name"] for r in rooms}
    for r in rooms:
        unknown = (r["may"] or set()) - names
        if unknown:
            raise TableError(f"{doc_path}: room {r['name']} may include unknown rooms "
                             f"{sorted(unknown)}")
    return rooms


class Rooms:
    def __init__(self, rooms):
        self.rooms = rooms
        self.rank = {r["name"]: i for i, r in enumerate(rooms)}
        self.by_header = {}
        for r in rooms:
            for h in r["headers"]:
                self.by_header[f"{PUBLIC_DIR}/{h}"] = r["name"]

    def of_path(self, path):
        """The room of a repository path, or None."""
        if path.startswith(PUBLIC_DIR + "/"):
            return self.by_header.get(path)
        best = None
        for r in self.rooms:
            for d in r["dirs"]:
                if path.startswith(d + "/") and (best is None or len(d) > len(best[0])):
                    best = (d, r["name"])
        return best[1] if best else None

    def of_include(self, included):
        """The room of an #include "..." path (relative to include/ or src/;
        generated headers resolve by their src/ directory), or None."""
        if included.startswith("shardyfusion/"):
            return self.of_path("include/" + included)
        return self.of_path("src/" + included)

    def allows(self, from_room, to_room, from_is_test, included):
        if to_room == from_room:
            return True
        may = self.rooms[self.rank[from_room]]["may"]
        if may is None or to_room in may:
            return True
        if not from_is_test:
            return False
        if included.startswith("shardyfusion/"):
            return True
        return included.endswith("_testing.h") and self.rank[to_room] < self.rank[from_room]


def is_test(path):
    return path.endswith("_test.cc") or path.endswith("_testing.h")


def source_files(root):
    for top in ("src", PUBLIC_DIR):
        for dirpath, dirnames, filenames in os.walk(os.path.join(root, top)):
            dirnames.sort()
            for name in sorted(filenames):
                if name.endswith((".h", ".cc")):
                    yield os.path.relpath(os.path.join(dirpath, name), root)


def main(argv):
    root = argv[1] if len(argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                      "..", "..")
    doc = os.path.join(root, "docs/architecture.md")
    try:
        rooms = Rooms(read_rooms(doc))
    except (OSError, TableError) as e:
        print(f"check_rooms: {e}", file=sys.stderr)
        return 2

    errors = []
    files = 0
    for path in source_files(root):
        files += 1
        from_room = rooms.of_path(path)
        if from_room is None:
            where = ("a public header no room lists" if path.startswith(PUBLIC_DIR)
                     else "a directory no room lists")
            errors.append(f"{path}: in no room ({where}); add it to the table in docs/architecture.md")
            continue
        with open(os.path.join(root, path), encoding="utf-8", errors="replace") as f:
            for n, line in enumerate(f, 1):
                m = INCLUDE_RE.match(line)
                if not m:
                    continue
                included = m.group(1)
                to_room = rooms.of_include(included)
                if to_room is None:
                    errors.append(f'{path}:{n}: {from_room} -> ?: #include "{included}" is in no room')
                elif not rooms.allows(from_room, to_room, is_test(path), included):
                    errors.append(f'{path}:{n}: {from_room} -> {to_room}: #include "{included}"')

    for message in errors:
        print(f"violation: {message}")
    print(f"check_rooms: {files} files, {len(errors)} violation(s) (table: docs/architecture.md)")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
