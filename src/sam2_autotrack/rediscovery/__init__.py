"""Re-discovery: objects that enter mid-clip or appear after a scene cut get tracked too.

Every ``K`` frames ([`RediscoveryOptions`][sam2_autotrack.rediscovery.RediscoveryOptions], default
two seconds of video) and on the first frame of every shot, the backend proposes masks, the
selection rules pick the real objects, those a live track already covers are dropped
([`covered`][sam2_autotrack.rediscovery.covered],
[`new_objects`][sam2_autotrack.rediscovery.new_objects]) and the rest are seeded on that keyframe
and tracked to the end of their shot under new ids
([`track_rediscovering`][sam2_autotrack.rediscovery.track_rediscovering]). The embedded engine does
it while it tracks; the hosted model in a few concurrent calls after its frame-0 prediction
([`rediscover_hosted`][sam2_autotrack.rediscovery.rediscover_hosted]). Both name only finds that
changed since the shot's previous keyframe
([`ShotReference`][sam2_autotrack.rediscovery.ShotReference]).
"""

from sam2_autotrack.rediscovery.cover import CHANGE_LEVEL, changed, covered, keyframes, new_objects
from sam2_autotrack.rediscovery.hosted import CONTINUES_IOU, end_lost_at_cuts, rediscover_hosted
from sam2_autotrack.rediscovery.keyframe import KeyframeSearch, next_object_number
from sam2_autotrack.rediscovery.options import AUTO_SECONDS, RediscoveryOptions, coerce_rediscovery
from sam2_autotrack.rediscovery.run import track_objects, track_rediscovering
from sam2_autotrack.rediscovery.shot import ShotReference

__all__ = [
    "AUTO_SECONDS",
    "CHANGE_LEVEL",
    "CONTINUES_IOU",
    "KeyframeSearch",
    "RediscoveryOptions",
    "ShotReference",
    "changed",
    "coerce_rediscovery",
    "covered",
    "end_lost_at_cuts",
    "keyframes",
    "new_objects",
    "next_object_number",
    "rediscover_hosted",
    "track_objects",
    "track_rediscovering",
]
