#!/usr/bin/env python3
"""Checks an iCalendar (RFC 5545) file with an independent parser, python's `icalendar`.

Usage: python3 .ci/ical_check.py FILE.ics

Exits 0 when the file parses as one VCALENDAR with at least one VEVENT, every VEVENT has a UID,
a DTSTART and a DTEND that resolve to instants (a TZID must name a VTIMEZONE of the file or a
known zone) with the end after the start, and every physical line ends with CRLF and is at most
75 octets. Otherwise prints each problem and exits 1 (2 for a usage error).
"""

import sys
from datetime import datetime

import icalendar


def problems(raw: bytes) -> list[str]:
    found = []
    if not raw.endswith(b"\r\n"):
        found.append("the file does not end with CRLF")
    for number, line in enumerate(raw.split(b"\r\n")[:-1], start=1):
        if b"\n" in line or b"\r" in line:
            found.append(f"line {number}: a bare CR or LF")
        if len(line) > 75:
            found.append(f"line {number}: {len(line)} octets (at most 75)")
    try:
        calendar = icalendar.Calendar.from_ical(raw)
    except ValueError as error:
        return found + [f"does not parse: {error}"]
    if calendar.name != "VCALENDAR":
        found.append(f"the top component is {calendar.name}, not VCALENDAR")
    for required in ("PRODID", "VERSION"):
        if required not in calendar:
            found.append(f"the VCALENDAR has no {required}")
    events = list(calendar.walk("VEVENT"))
    if not events:
        found.append("no VEVENT")
    for event in events:
        uid = str(event.get("UID", "?"))
        for required in ("UID", "DTSTAMP", "DTSTART", "DTEND"):
            if required not in event:
                found.append(f"VEVENT {uid}: no {required}")
        if "DTSTART" not in event or "DTEND" not in event:
            continue
        try:
            start, end = event.decoded("DTSTART"), event.decoded("DTEND")
        except (ValueError, KeyError) as error:
            found.append(f"VEVENT {uid}: times do not decode: {error}")
            continue
        if not (isinstance(start, datetime) and start.tzinfo is not None):
            found.append(f"VEVENT {uid}: DTSTART {start!r} is not an instant")
        elif not end > start:
            found.append(f"VEVENT {uid}: DTEND {end} is not after DTSTART {start}")
    return found


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    try:
        with open(argv[1], "rb") as file:
            raw = file.read()
    except OSError as error:
        print(f"{argv[1]}: {error}", file=sys.stderr)
        return 1
    found = problems(raw)
    for problem in found:
        print(f"{argv[1]}: {problem}", file=sys.stderr)
    if found:
        return 1
    n_events = sum(1 for _ in icalendar.Calendar.from_ical(raw).walk("VEVENT"))
    print(f"{argv[1]}: a valid iCalendar with {n_events} events")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
