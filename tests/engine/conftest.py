"""One Spark session for the whole test session (starting one takes seconds and a JVM): the
``spark`` fixture. Without pyspark or Java the Spark tests skip, unless TOCSIN_REQUIRE_SPARK=1
(CI), where they fail: an equivalence test that silently skips proves nothing."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator

import pytest


def _missing(reason: str) -> None:
    if os.environ.get("TOCSIN_REQUIRE_SPARK") == "1":
        pytest.fail(f"TOCSIN_REQUIRE_SPARK=1 but {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def spark() -> Iterator[object]:
    try:
        import pyspark  # noqa: F401
    except ImportError:
        _missing("the Spark tests need pyspark (pip install -e '.[spark]')")
    if shutil.which("java") is None:
        _missing("the Spark tests need Java 17 (java is not on PATH)")
    from tocsin.engine.spark import spark_session

    session = spark_session("local[2]", app="tocsin-tests")
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()
