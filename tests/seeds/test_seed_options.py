import pytest

from sam2_autotrack import ConfigError
from sam2_autotrack.seeds import SeedOptions


def test_defaults() -> None:
    options = SeedOptions()
    assert options.seeds_per_object == 3
    assert options.negatives == "touching"
    assert options.max_negatives == 2
    assert options.margin_px is None


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"seeds_per_object": 0}, "seeds_per_object=0"),
        ({"negatives": "all"}, "negatives='all': must be 'touching' or 'none'"),
        ({"max_negatives": -1}, "max_negatives=-1"),
        ({"margin_px": -2.0}, "margin_px=-2.0"),
        ({"min_component_fraction": 1.5}, "min_component_fraction=1.5"),
        ({"touch_gap_px": -1}, "touch_gap_px=-1"),
        ({"seeds": 3}, "seeds: unknown option"),
    ],
)
def test_invalid_values_are_config_errors(fields: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        SeedOptions(**fields)  # type: ignore[arg-type]


def test_frozen_and_replace() -> None:
    options = SeedOptions(seeds_per_object=5)
    with pytest.raises(ConfigError, match="frozen"):
        options.seeds_per_object = 1  # type: ignore[misc]
    assert options.replace(negatives="none").seeds_per_object == 5
    assert SeedOptions.coerce({"negatives": "none"}) == SeedOptions(negatives="none")
