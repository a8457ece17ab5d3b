//! iCalendar (RFC 5545): the release calendar as a calendar application
//! subscribes to it. One event per release, at its instant (UTC), its UID
//! stable for the publication so that a moved release moves the event.

use chrono::NaiveDateTime;

/// One release, as an event.
pub struct Event {
    /// Stable for the release: the same publication keeps it when moved.
    pub uid: String,
    pub at: NaiveDateTime,
    /// When the publication last changed.
    pub modified: NaiveDateTime,
    /// Goes up with every change, so that clients take the new one.
    pub sequence: i32,
    pub title: String,
    pub language: String,
    pub categories: Vec<String>,
    /// Where the publication will be.
    pub url: String,
}

/// A calendar named `name` holding `events`, stamped `stamp`.
pub fn calendar(name: &str, events: &[Event], stamp: NaiveDateTime) -> String {
    let mut lines = vec![
        "BEGIN:VCALENDAR".to_owned(),
        "VERSION:2.0".to_owned(),
        "PRODID:-//Parution//Release calendar//FR".to_owned(),
        "CALSCALE:GREGORIAN".to_owned(),
        "METHOD:PUBLISH".to_owned(),
        format!("X-WR-CALNAME:{}", text(name)),
        // How often a subscriber should fetch it again.
        "REFRESH-INTERVAL;VALUE=DURATION:PT1H".to_owned(),
        "X-PUBLISHED-TTL:PT1H".to_owned(),
    ];
    for event in events {
        lines.push("BEGIN:VEVENT".to_owned());
        lines.push(format!("UID:{}", text(&event.uid)));
        lines.push(format!("DTSTAMP:{}", utc(stamp)));
        lines.push(format!("DTSTART:{}", utc(event.at)));
        lines.push(format!("LAST-MODIFIED:{}", utc(event.modified)));
        lines.push(format!("SEQUENCE:{}", event.sequence.max(0)));
        lines.push(format!("SUMMARY;LANGUAGE={}:{}", event.language, text(&event.title)));
        if !event.categories.is_empty() {
            let categories: Vec<String> = event.categories.iter().map(|name| text(name)).collect();
            lines.push(format!("CATEGORIES:{}", categories.join(",")));
        }
        lines.push(format!("URL:{}", event.url));
        // A release takes no time in anybody's day.
        lines.push("TRANSP:TRANSPARENT".to_owned());
        lines.push("END:VEVENT".to_owned());
    }
    lines.push("END:VCALENDAR".to_owned());
    let mut out = String::new();
    for line in lines {
        fold(&line, &mut out);
    }
    out
}

/// A UTC date-time in iCalendar's form: `20261205T090000Z`.
fn utc(at: NaiveDateTime) -> String {
    at.format("%Y%m%dT%H%M%SZ").to_string()
}

/// A TEXT value, escaped (RFC 5545, 3.3.11).
fn text(value: &str) -> String {
    let mut escaped = String::with_capacity(value.len());
    for character in value.chars() {
        match character {
            '\\' => escaped.push_str("\\\\"),
            ';' => escaped.push_str("\\;"),
            ',' => escaped.push_str("\\,"),
            '\n' => escaped.push_str("\\n"),
            '\r' => {}
            other => escaped.push(other),
        }
    }
    escaped
}

/// Appends `line` folded at 75 octets (RFC 5545, 3.1), never inside a
/// character, each piece ended by CRLF.
fn fold(line: &str, out: &mut String) {
    let mut width = 0;
    for character in line.chars() {
        let size = character.len_utf8();
        if width + size > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(character);
        width += size;
    }
    out.push_str("\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_lines_fold_at_75_octets_between_characters() {
        let mut out = String::new();
        fold(&format!("SUMMARY:{}", "é".repeat(60)), &mut out);
        for line in out.split("\r\n").filter(|line| !line.is_empty()) {
            assert!(line.len() <= 75, "{} octets", line.len());
        }
        let unfolded = out.replace("\r\n ", "");
        assert_eq!(unfolded, format!("SUMMARY:{}\r\n", "é".repeat(60)));
    }

    #[test]
    fn text_is_escaped() {
        assert_eq!(text("a, b; c\\d\ne"), "a\\, b\\; c\\\\d\\ne");
    }
}
