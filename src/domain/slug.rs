//! Slugs made from titles.
//!
//! French-aware: accents fold to their base letter (`É` → `e`, `œ` → `oe`),
//! `&` disappears, and an apostrophe separates words like a space does, so
//! `L’emploi` gives `l-emploi`. Anything else that is not a letter or a
//! digit becomes one hyphen.

/// The longest slug made from a title; a longer one is cut at a hyphen.
const MAX_GENERATED: usize = 80;

/// The slug of `title`, or `None` if it has no letter or digit at all.
pub fn slugify(title: &str) -> Option<String> {
    let ascii = deunicode::deunicode(title).to_ascii_lowercase();
    let mut slug = String::with_capacity(ascii.len());
    for character in ascii.chars() {
        if character.is_ascii_alphanumeric() {
            slug.push(character);
        } else if !slug.is_empty() && !slug.ends_with('-') && character != '&' {
            slug.push('-');
        }
    }
    let mut slug = slug.trim_end_matches('-').to_owned();
    if slug.len() > MAX_GENERATED {
        let cut = slug[..MAX_GENERATED].rfind('-').unwrap_or(MAX_GENERATED);
        slug.truncate(cut);
    }
    // A slug of digits alone would read as an id.
    if slug.bytes().all(|byte| byte.is_ascii_digit()) && !slug.is_empty() {
        slug.insert_str(0, "n-");
    }
    (!slug.is_empty()).then_some(slug)
}

/// The first free slug made from `base`: `base`, or `base-N` with N the
/// lowest number above those `taken` (slugs starting with `base`) uses.
pub fn first_free(base: &str, taken: &[String]) -> String {
    if !taken.iter().any(|slug| slug == base) {
        return base.to_owned();
    }
    let highest = taken
        .iter()
        .filter_map(|slug| slug.strip_prefix(base)?.strip_prefix('-')?.parse::<u64>().ok())
        .max()
        .unwrap_or(1);
    format!("{base}-{}", highest.max(1) + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_free_slug_follows_the_highest_number() {
        let taken = |slugs: &[&str]| slugs.iter().map(|slug| slug.to_string()).collect::<Vec<_>>();
        assert_eq!(first_free("rapport", &taken(&[])), "rapport");
        assert_eq!(first_free("rapport", &taken(&["rapport-annuel"])), "rapport");
        assert_eq!(first_free("rapport", &taken(&["rapport"])), "rapport-2");
        assert_eq!(
            first_free("rapport", &taken(&["rapport", "rapport-2", "rapport-annuel", "rapport-9"])),
            "rapport-10"
        );
    }

    #[test]
    fn french_titles_give_readable_slugs() {
        let cases = [
            ("Études & publications", "etudes-publications"),
            ("L’emploi dans les lieux de concerts", "l-emploi-dans-les-lieux-de-concerts"),
            ("L'été : œuvres, cœur et Æsthétique", "l-ete-oeuvres-coeur-et-aesthetique"),
            ("  Veille -- industrie   phonographique ! ", "veille-industrie-phonographique"),
            ("2025", "n-2025"),
            ("Rapport 2025 (VSST)", "rapport-2025-vsst"),
        ];
        for (title, slug) in cases {
            assert_eq!(slugify(title).as_deref(), Some(slug), "{title}");
        }
        assert_eq!(slugify("« … »"), None);
    }

    #[test]
    fn long_titles_are_cut_at_a_word() {
        let slug = slugify(&"concertation ".repeat(20)).unwrap();
        assert!(slug.len() <= MAX_GENERATED);
        assert!(slug.ends_with("concertation"));
    }
}
