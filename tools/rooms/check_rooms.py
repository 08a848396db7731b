#!/usr/bin/python3
"""Checks that every #include "..." in src/ and include/shardyfusion/ goes
from a room to a room it may include.

  tools/rooms/check_rooms.py [--list] [REPO_ROOT]

The rooms, their directories and public headers, and which room may include
which, are read from the table in docs/architecture.md (between the
"rooms-table" markers), so the document and the check cannot disagree. A
file's room is that of the directory it is in (src/...) or of its public
header (include/shardyfusion/...); an include's room is found the same way
from its path ("core/log.h" is src/core/log.h, "shardyfusion/cel.h" is
include/shardyfusion/cel.h).

A file may include its own room and the rooms its row lists. A test
(*_test.cc, *_testing.h) may also include the test helpers (*_testing.h) of
any room below its own in the table.

Known violations, which other changes are removing, are listed with their
reasons in tools/rooms/known_violations.txt; each is reported as known and
does not fail the check. An entry that no longer matches any include is
reported as stale (delete it) without failing, so that a fix merged before
the entry is deleted does not break the build.

Exit status: 0 if every include is allowed or known, 1 otherwise (each
offending include named as file:line: from-room -> to-room), 2 if the table
or the list cannot be read. --list prints the known violations too.
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


def read_known(path):
    """(file, included path) -> its line number in the known-violations list.
    The comments beside the entries give the reasons; the check ignores them."""
    known = {}
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            parts = line.split()
            if len(parts) != 2:
                raise TableError(f"{path}:{n}: expected 'FILE INCLUDED_PATH': {line}")
            known[(parts[0], parts[1])] = n
    return known


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
        return (from_is_test and included.endswith("_testing.h") and
                self.rank[to_room] < self.rank[from_room])


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
    args = [a for a in argv[1:] if not a.startswith("--")]
    list_known = "--list" in argv[1:]
    root = args[0] if args else os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
    doc = os.path.join(root, "docs/architecture.md")
    known_path = os.path.join(root, "tools/rooms/known_violations.txt")
    try:
        rooms = Rooms(read_rooms(doc))
        known = read_known(known_path)
    except (OSError, TableError) as e:
        print(f"check_rooms: {e}", file=sys.stderr)
        return 2

    errors, known_hits, used = [], [], set()
    for path in source_files(root):
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
                    continue
                if rooms.allows(from_room, to_room, is_test(path), included):
                    continue
                message = f'{path}:{n}: {from_room} -> {to_room}: #include "{included}"'
                if (path, included) in known:
                    used.add((path, included))
                    known_hits.append(message)
                else:
                    errors.append(message)

    stale = sorted(set(known) - used, key=lambda k: known[k])
    if list_known or errors:
        for message in known_hits:
            print(f"known (tools/rooms/known_violations.txt): {message}")
    for path, included in stale:
        print(f"stale: tools/rooms/known_violations.txt:{known[(path, included)]}: {path} no longer "
              f'includes "{included}" against the table; delete the entry')
    for message in errors:
        print(f"violation: {message}")
    print(f"check_rooms: {len(errors)} violation(s), {len(known_hits)} known, {len(stale)} stale "
          f"known entr{'y' if len(stale) == 1 else 'ies'} (table: docs/architecture.md)")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
