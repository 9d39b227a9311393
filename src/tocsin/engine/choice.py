"""Which engine the command line asked for (`tocsin --engine spark [--spark-master URL]`).

The choice is made once, by the `tocsin` callback, and read by each command that can run on Spark
(`engine.choice.current()`). A command that has no Spark path calls `require_local(name)`, so that
`--engine spark` is refused with its reason instead of silently running here."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

EngineName = Literal["local", "spark"]
ENGINES: tuple[EngineName, ...] = ("local", "spark")


class EngineChoiceError(ValueError):
    """An engine that does not exist, or one the command cannot use."""


@dataclass(frozen=True)
class EngineChoice:
    name: EngineName = "local"
    spark_master: str | None = None  # None: Spark in local mode, local[2]

    @property
    def is_spark(self) -> bool:
        return self.name == "spark"


_current = EngineChoice()


def choose(name: str, spark_master: str | None = None) -> EngineChoice:
    """Record the engine for this process; refuses an unknown name or a master without Spark."""
    global _current
    if name not in ENGINES:
        raise EngineChoiceError(f"unknown engine {name!r}: choose one of {', '.join(ENGINES)}")
    if spark_master and name != "spark":
        raise EngineChoiceError("--spark-master needs --engine spark")
    _current = EngineChoice(name, spark_master or None)  # type: ignore[arg-type]
    return _current


def current() -> EngineChoice:
    return _current


def require_local(command: str) -> None:
    """Refuse `--engine spark` for a command that has no Spark path."""
    if _current.is_spark:
        raise EngineChoiceError(f"`tocsin {command}` runs on this machine only: drop --engine spark")
