"""Text prompts: splitting the query, mapping Grounding DINO's labels back, safe object ids."""

from __future__ import annotations

import pytest

from sam2_autotrack.clicks import check_object_id
from sam2_autotrack.prompts import map_label, object_name, split_query

QUERIES = ["person", "dog", "traffic light", "a pink mug"]


def test_split_query_takes_commas_full_stops_and_semicolons() -> None:
    assert split_query("person, dog") == ("person", "dog")
    assert split_query("person. dog.") == ("person", "dog")
    assert split_query(" person ;dog\ncat ") == ("person", "dog", "cat")
    assert split_query("Dog, dog, DOG") == ("Dog",)
    assert split_query(" , . ") == ()


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("person", "person"),
        ("Person", "person"),  # case
        ("pink mug", "a pink mug"),  # the article dropped by the model
        ("traffic - light", "traffic light"),  # punctuation spaced by the tokenizer's decode
        ("light", "traffic light"),  # a dropped word
        ("tra ##ffic", "traffic light"),  # word pieces re-joined into "traffic"
        ("bi ##cycle", None),  # re-joined into "bicycle": no query word
        ("traf", "traffic light"),  # a word piece of a query word
        ("person dog", "person"),  # merged items: a tie, the earlier item
        ("dog person", "person"),
        ("", None),  # nothing scored above text_threshold
        ("cat", None),
        (",", None),
    ],
)
def test_labels_map_back_to_query_items(label: str, expected: str | None) -> None:
    assert map_label(label, QUERIES) == expected


def test_the_item_explaining_more_of_the_label_wins() -> None:
    assert map_label("red car", ["car", "red car"]) == "red car"
    assert map_label("car", ["red car", "car"]) == "car"


@pytest.mark.parametrize(
    ("item", "name"),
    [
        ("person", "person"),
        ("Traffic light", "traffic_light"),
        ("  a red   car! ", "a_red_car"),
        ("café au lait", "cafe_au_lait"),
        ("日本", "object"),
        ("x" * 100, "x" * 56),
    ],
)
def test_object_names_are_safe_ids(item: str, name: str) -> None:
    assert object_name(item) == name
    check_object_id(f"{object_name(item)}_12")
