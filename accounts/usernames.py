"""Usernames that look alike are the same name: "ａｌｉｃｅ", "Alice" and "аlice" (Cyrillic а)."""

import unicodedata
from functools import lru_cache

from confusable_homoglyphs import confusables


@lru_cache(maxsize=4096)
def _latin_look_alike(char: str) -> str:
    found = confusables.is_confusable(char, greedy=True, preferred_aliases=["latin"])
    for homoglyph in found[0]["homoglyphs"] if found else ():
        if homoglyph["c"].isascii():
            return homoglyph["c"].casefold()
    return char


def normalize(username: str) -> str:
    """NFKC, as Django's own user manager does: full-width "ａｌｉｃｅ" becomes "alice"."""
    return unicodedata.normalize("NFKC", username)


def skeleton(username: str) -> str:
    """What a name looks like: case folded, every look-alike letter read as its Latin twin."""
    folded = normalize(username).casefold()
    return "".join(_latin_look_alike(char) if not char.isascii() else char for char in folded)


def mixes_scripts(username: str) -> bool:
    """True for a name that mixes scripts with letters that pass for each other ("pаypal")."""
    return bool(confusables.is_dangerous(normalize(username)))
