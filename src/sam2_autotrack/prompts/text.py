"""Text prompts as words: the query split into items, detector labels mapped back, safe ids.

An open-vocabulary detector such as Grounding DINO does not answer with the user's query items: its
``label`` is decoded from the text tokens that scored above a threshold, so it comes back
lower-cased, may drop words (``"a pink mug"`` → ``"pink mug"``), may merge words of two items
(``"car taxi"``), may hold word pieces (``"tri"``) or be empty.
[`map_label`][sam2_autotrack.prompts.map_label] maps such a label back to the query item it came
from; [`object_name`][sam2_autotrack.prompts.object_name] turns an item into the safe base of an
object id (``"traffic light"`` → ``"traffic_light"``).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

__all__ = ["map_label", "object_name", "split_query", "words"]

_SEPARATORS = re.compile(r"[,.;\n]+")
_WORD = re.compile(r"[a-z0-9]+")
_PIECE_JOIN = re.compile(r"\s*##")
_STOPWORDS = frozenset({"a", "an", "the"})
_MIN_PIECE = 3
_NAME_CHARS = 56  # an object id is at most 64 characters; leave room for "_<n>"


def split_query(text: str) -> tuple[str, ...]:
    """Split a text prompt into its items at commas, full stops, semicolons and line breaks.

    Whitespace is collapsed and an item repeated (whatever its case) is kept once.

    Parameters
    ----------
    text
        The prompt, such as ``"person, dog"``.

    Returns
    -------
    tuple[str, ...]
        The items, in order (empty for a blank prompt).

    Examples
    --------
    >>> split_query("person, dog")
    ('person', 'dog')
    >>> split_query("Traffic  light. dog. person;  dog")
    ('Traffic light', 'dog', 'person')
    """
    items: list[str] = []
    seen: set[str] = set()
    for part in _SEPARATORS.split(text):
        item = " ".join(part.split())
        if item and item.lower() not in seen:
            seen.add(item.lower())
            items.append(item)
    return tuple(items)


def words(text: str) -> tuple[str, ...]:
    """Return the lower-case words of ``text`` without articles; word pieces (``##``) re-joined.

    Parameters
    ----------
    text
        A label or a query item.

    Returns
    -------
    tuple[str, ...]
        The words, in order.

    Examples
    --------
    >>> words("A Pink-Mug")
    ('pink', 'mug')
    >>> words("tri ##cycle")
    ('tricycle',)
    """
    plain = unicodedata.normalize("NFKD", _PIECE_JOIN.sub("", text)).lower()
    return tuple(w for w in _WORD.findall(plain) if w not in _STOPWORDS)


def _same_word(label_word: str, query_word: str) -> bool:
    if label_word == query_word:
        return True
    # A word piece the tokenizer split off ("tri" of "tricycle", "van" of "minivan").
    return len(label_word) >= _MIN_PIECE and (
        query_word.startswith(label_word) or query_word.endswith(label_word)
    )


def map_label(label: str, queries: Sequence[str]) -> str | None:
    """Return the query item a detector ``label`` came from, or ``None`` when none fits.

    The item that explains the largest share of the label's words wins; then the item most of
    whose words the label holds; then the earlier item. Articles, case, punctuation and word
    pieces are ignored. A label sharing no word with any item (or an empty label) maps to
    ``None``.

    Parameters
    ----------
    label
        The detector's label.
    queries
        The query items, in the order they were given.

    Returns
    -------
    str or None
        The item, as written in ``queries``, or ``None``.

    Examples
    --------
    >>> map_label("pink mug", ["a pink mug", "dog"])
    'a pink mug'
    >>> map_label("traffic light", ["person", "Traffic Light"])
    'Traffic Light'
    >>> map_label("car taxi", ["taxi", "car"])
    'taxi'
    >>> map_label("", ["dog"]) is None, map_label("cat", ["dog"]) is None
    (True, True)
    """
    label_words = words(label)
    if not label_words:
        return None
    best: str | None = None
    best_key = (0.0, 0.0)
    for item in queries:
        item_words = set(words(item))
        if not item_words:
            continue
        shared = sum(1 for w in label_words if any(_same_word(w, q) for q in item_words))
        if shared == 0:
            continue
        key = (shared / len(label_words), min(shared, len(item_words)) / len(item_words))
        if key > best_key:
            best, best_key = item, key
    return best


def object_name(item: str) -> str:
    """Turn a query item into the base of an object id: lower-case ASCII words joined by ``_``.

    Parameters
    ----------
    item
        One query item.

    Returns
    -------
    str
        The name; ``"object"`` when no ASCII word is left.

    Examples
    --------
    >>> object_name("Traffic light"), object_name("café au lait"), object_name("!!!")
    ('traffic_light', 'cafe_au_lait', 'object')
    """
    plain = unicodedata.normalize("NFKD", item).encode("ascii", "ignore").decode("ascii")
    name = re.sub(r"[^a-z0-9]+", "_", plain.lower()).strip("_")
    return name[:_NAME_CHARS].rstrip("_") or "object"
