"""A schemathesis check for caretime: a rejected request writes nothing.

Loaded by `SCHEMATHESIS_HOOKS=schemathesis_hooks` (with .ci on PYTHONPATH) in .ci/serve_check.
CARETIME_CHECK_DB names the SQLite file the server under test uses. The journal holds every
change to the book, in commit order; after each answer the check counts its rows, and an answer
of 400 or more must leave the count where the previous answer left it. schemathesis runs with
one worker, so requests do not overlap.
"""

import os
import sqlite3

import schemathesis

_DB = os.environ["CARETIME_CHECK_DB"]
_seen = {"rows": None}


def _journal_rows() -> int:
    with sqlite3.connect(f"file:{_DB}?mode=ro", uri=True) as db:
        return db.execute("SELECT count(*) FROM journal").fetchone()[0]


@schemathesis.check
def rejected_requests_write_nothing(ctx, response, case):
    rows = _journal_rows()
    before, _seen["rows"] = _seen["rows"], rows
    if before is not None and response.status_code >= 400 and rows != before:
        raise AssertionError(
            f"{case.method} {case.path} answered {response.status_code} "
            f"but the journal went from {before} to {rows} rows"
        )
