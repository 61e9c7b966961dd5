"""Where heavy work runs: this PC or a Ray cluster.

`session`: the executor choice (ExecutorSpec, executor_spec) and the Ray session;
`whisper`: the pool of Whisper actors that `transcribe` and `check` send work to."""

from broadcast.executors.session import (
    EXECUTORS,
    MAX_RETRIES,
    ExecutorError,
    ExecutorSpec,
    executor_spec,
    ray_session,
    wait_each,
)

__all__ = ["EXECUTORS", "MAX_RETRIES", "ExecutorError", "ExecutorSpec", "executor_spec", "ray_session", "wait_each"]
