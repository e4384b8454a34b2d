import numpy as np
import pytest

from sam2_autotrack.errors import ConfigError, EvaluationError
from sam2_autotrack.evaluation import OBJECTS_MODES, PROTOCOLS, EvaluationOptions
from sam2_autotrack.evaluation.protocols import rules_of, scored_frames, scored_objects


def test_the_protocols_and_their_rules() -> None:
    assert PROTOCOLS == ("davis-unsupervised", "davis-semi-supervised")
    assert OBJECTS_MODES == ("all", "davis-frame0-labels", "present_at_start")
    unsup, semi = rules_of("davis-unsupervised"), rules_of("davis-semi-supervised")
    assert (unsup.uses_void, unsup.matching, unsup.max_pred_objects) == (True, "hungarian", 20)
    assert (semi.uses_void, semi.matching, semi.max_pred_objects) == (False, "same-id", None)


def test_defaults_are_the_davis_unsupervised_protocol_on_every_object() -> None:
    options = EvaluationOptions()
    assert (options.protocol, options.objects, options.bound_th) == (
        "davis-unsupervised",
        "all",
        0.008,
    )


def test_options_refuse_unknown_values_and_fields() -> None:
    with pytest.raises(ConfigError, match=r"protocol='semi-supervised'.*davis-semi-supervised"):
        EvaluationOptions(protocol="semi-supervised")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match=r"objects='first'"):
        EvaluationOptions(objects="first")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="bound_th=-1"):
        EvaluationOptions(bound_th=-1)
    with pytest.raises(ConfigError, match="unknown option"):
        EvaluationOptions(void=True)  # type: ignore[call-arg]


@pytest.mark.parametrize(
    ("frames", "unsupervised", "semi"),
    [(1, (0,), None), (2, (0, 1), None), (3, (0, 1, 2), (1,)), (5, (0, 1, 2, 3, 4), (1, 2, 3))],
)
def test_scored_frames(
    frames: int, unsupervised: tuple[int, ...], semi: tuple[int, ...] | None
) -> None:
    assert scored_frames("davis-unsupervised", frames) == unsupervised
    if semi is None:
        with pytest.raises(EvaluationError, match="at least 3 frames"):
            scored_frames("davis-semi-supervised", frames)
    else:
        assert scored_frames("davis-semi-supervised", frames) == semi
    with pytest.raises(EvaluationError, match="no frames"):
        scored_frames("davis-unsupervised", 0)


def test_scored_objects_per_mode() -> None:
    present, absent = np.ones((3, 4, 4), bool), np.zeros((3, 4, 4), bool)
    late = absent.copy()
    late[2] = True
    # labels 1..4 in mapping order: on frame 0 only labels 2 and 3 are present
    gt = {"late": late, "a": present, "b": present, "last": late, "never": absent}
    assert scored_objects(gt, "all") == (("late", "a", "b", "last", "never"), ())
    assert scored_objects(gt, "davis-frame0-labels") == (("late", "a", "b"), ("last", "never"))
    assert scored_objects(gt, "present_at_start") == (("a", "b"), ("late", "last", "never"))
    assert scored_objects({"late": late}, "davis-frame0-labels") == ((), ("late",))
