#!/usr/bin/env python3
"""Writes a synthetic catalogue as JSON Lines that `parution import` reads:
a two-level tree of 40 categories and N publications with French titles, summaries
and bodies, dates over 25 years, 10 % drafts, a few links each.

Usage: generate.py N [LANGUAGES] > catalogue.jsonl   (deterministic for a given N)

LANGUAGES: `default` (10 % of the publications labelled English, their text
as the others'), `fr` (every publication French, its words inflected as
French inflects them) or `mixed` (half French, half English, each inflected
in its language; an English one is, one time in three, the translation of
the French one before it).
"""
import json
import random
import sys

WORDS = (
    "concertation développeurs ayants droit culture musique livre cinéma patrimoine musée "
    "archives spectacle théâtre danse emploi économie numérique intelligence artificielle "
    "rémunération création auteurs éditeurs festival public territoire jeunesse lecture "
    "bibliothèque presse audiovisuel photographie architecture design mode artisanat "
    "financement mécénat étude rapport enquête observatoire statistiques pratiques "
    "culturelles régions villes européenne internationale numérisation droits œuvres"
).split()


SYLLABLES = "ba be bi bo bu ca ce ci co cu da de di do du fa fe fi fo fu la le li lo lu ma me mi mo mu na ne ni no nu pa pe pi po pu ra re ri ro ru sa se si so su ta te ti to tu va ve vi vo vu".split()


def vocabulary(rng, size):
    """Made-up words: a large vocabulary, so that most words are rare."""
    words = set()
    while len(words) < size:
        words.add("".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))))
    return sorted(words)


ENGLISH_WORDS = (
    "consultation developers rights holders culture music book cinema heritage museum archives "
    "performance theatre dance employment economy digital artificial intelligence remuneration "
    "creation authors publishers festival audience territory youth reading library press policy "
    "policies cultural cities regions study report survey statistics funding works"
).split()

# Endings each language adds to a word, which its stemmer takes off again.
ENDINGS = {"fr": ["s", "es", "ement", "er", "ait"], "en": ["s", "ing", "ed", "ly", "ness"]}


def sentence(rng, low, high, filler, language=None):
    """Words drawn mostly from a long-tailed vocabulary, a real one now and then;
    with a language, three words in ten inflected as it inflects them."""
    real = ENGLISH_WORDS if language == "en" else WORDS
    chosen = []
    for _ in range(rng.randint(low, high)):
        if rng.random() < 0.01:
            chosen.append(rng.choice(real))
        else:
            word = filler[min(int(rng.paretovariate(1.0)) - 1, len(filler) - 1)]
            if language and rng.random() < 0.3:
                word += rng.choice(ENDINGS[language])
            chosen.append(word)
    return " ".join(chosen)


def main():
    count = int(sys.argv[1])
    mode = sys.argv[2] if len(sys.argv) > 2 else "default"
    if mode not in ("default", "fr", "mixed"):
        sys.exit(f"unknown languages '{mode}': default, fr or mixed")
    rng = random.Random(count)
    filler = vocabulary(rng, 20000)
    rng.shuffle(filler)
    stamp = "2025-01-01T00:00:00Z"
    roots = [f"theme-{r}" for r in range(8)]
    categories = []
    for root in roots:
        categories.append((root, None))
        categories.extend((f"{root}-{c}", root) for c in range(4))
    out = sys.stdout
    for slug, parent in categories:
        out.write(json.dumps({
            "type": "category", "slug": slug, "name": slug.replace("-", " ").capitalize(),
            "description": None, "parent": parent, "position": 0,
            "created_at": stamp, "updated_at": stamp, "version": 1,
        }, ensure_ascii=False) + "\n")
    previous_french = None
    for number in range(count):
        year = 2000 + number * 25 // max(count, 1)
        day = f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}T09:00:00Z"
        draft = rng.random() < 0.1
        links = []
        if number > 0:
            links.append({"rel": "related", "title": "Voir aussi", "url": None, "target": f"p-{rng.randrange(number)}",
                          "media_type": None, "hreflang": None, "position": 0, "version": 1})
        links.append({"rel": "attachment", "title": "Rapport (PDF)", "url": f"https://example.org/{number}.pdf",
                      "media_type": "application/pdf", "hreflang": None, "position": 1, "version": 1})
        if mode == "default":
            inflected, language = None, None
        elif mode == "fr":
            inflected = language = "fr"
        else:
            inflected = language = "fr" if rng.random() < 0.5 else "en"
        line = {
            "type": "publication", "slug": f"p-{number}", "title": sentence(rng, 4, 10, filler, inflected).capitalize(),
            "summary": sentence(rng, 15, 30, filler, inflected),
            "body": "<p>" + sentence(rng, 80, 160, filler, inflected) + "</p>",
            "status": "draft" if draft else "published", "language": "fr" if rng.random() < 0.9 else "en",
            "published_at": None if draft else day, "authors": ["Service des études"],
            "categories": rng.sample([slug for slug, _ in categories], rng.randint(1, 3)),
            "links": links, "created_at": day, "updated_at": day, "version": 1,
        }
        if language:
            line["language"] = language
            if language == "en" and previous_french is not None and rng.random() < 1 / 3:
                line["translation_of"] = previous_french
                previous_french = None
            elif language == "fr":
                previous_french = line["slug"]
        out.write(json.dumps(line, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
