"""The click set of prompted objects (`clicks_from_prompts`): interior seeds as usual."""

from __future__ import annotations

import numpy as np

from sam2_autotrack.clicks import Click, ClickSet
from sam2_autotrack.prompts.objects import PromptedObjects
from sam2_autotrack.seeds import SeedOptions, clicks_from_selection

__all__ = ["clicks_from_prompts"]


def clicks_from_prompts(
    objects: PromptedObjects, *, options: SeedOptions | None = None
) -> ClickSet:
    """Turn prompted objects into the click set for the tracker.

    An object with a mask gets interior seeds exactly like an automatically selected one
    ([`clicks_from_selection`][sam2_autotrack.seeds.clicks_from_selection], on the frame its mask is
    on, with negative clicks in the objects it touches on that frame); then every object's own
    clicks (its negative points, its points on later frames, or all its points when it has no mask)
    follow as they were given. Objects keep their order.

    Parameters
    ----------
    objects
        What [`resolve_prompts`][sam2_autotrack.prompts.resolve_prompts] returned.
    options
        Seeds per object and the negative-click policy (default
        [`SeedOptions`][sam2_autotrack.seeds.SeedOptions]).

    Returns
    -------
    ClickSet
        Bound to the frame size; clicks ordered object by object.

    Examples
    --------
    >>> import numpy as np
    >>> from sam2_autotrack.prompts import PromptedObject, PromptedObjects
    >>> mask = np.zeros((40, 60), bool); mask[10:30, 10:40] = True
    >>> extra = Click(x=50, y=5, label=0, object_id="car")
    >>> car = PromptedObject("car", "point", "point (20, 20)", 0, "proposal", mask, clicks=(extra,))
    >>> clicks = clicks_from_prompts(PromptedObjects((car,), (60, 40)),
    ...                              options=SeedOptions(seeds_per_object=1))
    >>> clicks.to_replicate().click_coordinates, clicks.to_replicate().click_labels
    ('[25,20],[50,5]', '1,0')
    """
    chosen = options if options is not None else SeedOptions()
    per_object: dict[str, list[Click]] = {oid: [] for oid in objects.object_ids}
    frames = sorted({o.frame for o in objects if o.mask is not None})
    for frame in frames:
        masked = [o for o in objects if o.mask is not None and o.frame == frame]
        seeded = clicks_from_selection(
            np.stack([o.mask for o in masked if o.mask is not None]),
            object_ids=[o.object_id for o in masked],
            options=chosen,
            frame=frame,
        )
        for click in seeded:
            per_object[click.object_id].append(click)
    for obj in objects:
        per_object[obj.object_id].extend(obj.clicks)
    return ClickSet.build(
        [click for oid in objects.object_ids for click in per_object[oid]],
        resolution_wh=objects.resolution_wh,
    )
