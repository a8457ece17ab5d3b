"""Reads the running server's feeds with a real feed parser: both must parse
without a fault (no `bozo`), hold the published demo publications, give
each entry a stable id, a link, a date and HTML content, and name the seed
article's English version as an alternate in its language."""

import json
import sys
import urllib.request

import feedparser

base = sys.argv[1]
for path in ("/api/v1/feeds/publications.atom", "/api/v1/feeds/publications.json"):
    with urllib.request.urlopen(base + path) as answer:
        body = answer.read()
        kind = answer.headers["Content-Type"]
    if path.endswith(".atom"):
        feed = feedparser.parse(body)
        assert not feed.bozo, f"{path}: {feed.get('bozo_exception')}"
        assert feed.version == "atom10", feed.version
        entries = feed.entries
        assert len(entries) == 4, len(entries)
        for entry in entries:
            assert entry.id.startswith("tag:"), entry.id
            assert entry.link and entry.updated_parsed and entry.content[0].type == "text/html", entry
        alternates = [(link.get("hreflang"), link["href"]) for link in entries[0].links if link.get("rel") == "alternate"]
        assert alternates[0][0] == "fr" and alternates[1][0] == "en", alternates
        assert alternates[1][1].endswith("/consultation-ai-providers-rights-holders"), alternates
        print(f"{path}: {kind}, {len(entries)} entries, no fault")
    else:
        feed = json.loads(body)
        assert feed["version"] == "https://jsonfeed.org/version/1.1"
        assert len(feed["items"]) == 4
        assert feed["items"][0]["_parution"]["translations"][0]["language"] == "en", feed["items"][0]
        for item in feed["items"]:
            assert item["id"] and item["url"] and item["content_html"] and item["date_published"], item
        print(f"{path}: {kind}, {len(feed['items'])} items")
