"""Options shared by several commands, as decorators (one place for their names and help)."""

from __future__ import annotations

import click


def executor_options(what: str):
    """`--executor local|ray` and `--ray-address`; `what` says what runs where."""

    def decorate(fn):
        fn = click.option("--ray-address", metavar="ADDR", default=None,
                          help="Ray cluster to use with --executor ray (default: $RAY_ADDRESS, else a Ray "
                          "instance started on this PC).")(fn)
        return click.option("--executor", type=click.Choice(["local", "ray"]), default=None,
                            help=f"Where {what}: here, or on a Ray cluster (default: [cluster] executor in "
                            "broadcast.toml, else local).")(fn)

    return decorate


device_option = click.option(
    "--device", type=click.Choice(["auto", "cpu", "cuda"]), default="auto", show_default=True,
    help="Where the model runs: cpu (int8), cuda (an NVIDIA GPU, float16), or auto (cuda when usable). "
    "With --executor ray: the workers' device; cuda gives each actor one GPU.")
