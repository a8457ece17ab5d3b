"""Reads the running server's release calendar with a real iCalendar parser
(`icalendar`): three releases are scheduled through the API (one not
announced, titles with commas, semicolons and a title longer than a line),
and the calendar must parse, hold the two announced ones with their exact
titles, instants (UTC) and categories, give each a stable UID, and keep
RFC 5545's line rules (CRLF, at most 75 octets a line)."""

import datetime
import json
import sys
import urllib.request

import icalendar

base, token = sys.argv[1], sys.argv[2]


def write(body):
    request = urllib.request.Request(
        base + "/api/v1/publications", data=json.dumps(body).encode(), method="POST",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request) as answer:
        return json.load(answer)


soon = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0) + datetime.timedelta(days=30)
releases = [
    ("Chiffres clés, édition 2027 ; spectacle vivant", soon, True),
    ("Les pratiques culturelles des Français à l’ère numérique : enquête longue, résultats détaillés par région", soon + datetime.timedelta(hours=26), True),
    ("Étude sous embargo", soon + datetime.timedelta(hours=3), False),
]
for title, at, announce in releases:
    write({"title": title, "status": "scheduled", "published_at": at.isoformat(), "announce": announce,
           "categories": ["etudes-publications"]})


def fetch():
    with urllib.request.urlopen(base + "/api/v1/schedule.ics") as answer:
        return answer.headers["Content-Type"], answer.read()


kind, body = fetch()
assert kind == "text/calendar; charset=utf-8", kind
lines = body.split(b"\r\n")
assert lines[-1] == b"" and all(b"\n" not in line for line in lines), "CRLF line ends only"
assert all(len(line) <= 75 for line in lines), "at most 75 octets a line"
calendar = icalendar.Calendar.from_ical(body)
assert calendar["VERSION"] == "2.0" and calendar.get("PRODID"), calendar
events = calendar.walk("VEVENT")
announced = [(title, at) for title, at, announce in releases if announce]
assert [str(event["SUMMARY"]) for event in events] == [title for title, _ in announced], [event["SUMMARY"] for event in events]
for event, (title, at) in zip(events, announced):
    start = event.decoded("DTSTART")
    assert start == at, (start, at)
    assert start.tzinfo is not None and start.utcoffset() == datetime.timedelta(0), start
    assert [str(name) for name in event["CATEGORIES"].cats] == ["Études & publications"], event["CATEGORIES"].cats
    assert event.get("URL") and event.get("DTSTAMP"), event
uids = [str(event["UID"]) for event in events]
assert len(set(uids)) == len(uids), uids
again = icalendar.Calendar.from_ical(fetch()[1])
assert [str(event["UID"]) for event in again.walk("VEVENT")] == uids, "UIDs are stable"
print(f"/api/v1/schedule.ics: {kind}, {len(events)} events (the unannounced release left out), parsed by icalendar")
