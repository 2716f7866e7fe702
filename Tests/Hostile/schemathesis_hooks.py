"""schemathesis hooks for Tests/Hostile/schemathesis_run.py (loaded through SCHEMATHESIS_HOOKS).

- tus PATCH bodies are `application/offset+octet-stream`: plain bytes, like application/octet-stream.
- `{id}` / `{videoId}` path parameters are sometimes swapped for a real video of the fuzzing user
  (HOSTILE_VIDEO_ID), so bodies and queries are fuzzed against a video that exists, not only
  against random UUIDs that end in 404 (the coverage phase, which takes no hooks, still sends
  those); always for the SSE feed, whose Last-Event-ID is only read for a video that exists.
  Never for DELETE: the video must last the whole run.
"""

import os

import schemathesis
from hypothesis import strategies as st

schemathesis.serializer.alias("application/offset+octet-stream", "application/octet-stream")

REAL_VIDEO_ID = os.environ.get("HOSTILE_VIDEO_ID")


@schemathesis.hook
def flatmap_path_parameters(ctx, path_parameters):
    deleting = ctx.operation is not None and ctx.operation.method.upper() == "DELETE"
    if not REAL_VIDEO_ID or not path_parameters or deleting:
        return st.just(path_parameters)
    for name in ("id", "videoId"):
        if name in path_parameters:
            real = {**path_parameters, name: REAL_VIDEO_ID}
            if ctx.operation.path.endswith("/events"):  # the feed's headers only matter for a real video
                return st.just(real)
            return st.sampled_from([path_parameters, real])
    return st.just(path_parameters)
