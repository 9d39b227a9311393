import pytest
from typer.testing import CliRunner

from tocsin.cli.main import app
from tocsin.engine import choice


@pytest.fixture(autouse=True)
def _reset():
    yield
    choice.choose("local")


def test_unknown_engine_is_refused_by_name():
    with pytest.raises(choice.EngineChoiceError, match="unknown engine 'dask'"):
        choice.choose("dask")


def test_master_without_spark_is_refused():
    with pytest.raises(choice.EngineChoiceError, match="--spark-master needs --engine spark"):
        choice.choose("local", "spark://host:7077")


def test_cli_records_the_choice(tmp_path):
    result = CliRunner().invoke(app, ["--home", str(tmp_path), "--engine", "spark",
                                      "--spark-master", "spark://h:7077", "places", "--help"])
    assert result.exit_code == 0, result.output
    assert choice.current() == choice.EngineChoice("spark", "spark://h:7077")
    with pytest.raises(choice.EngineChoiceError, match="drop --engine spark"):
        choice.require_local("brief")


def test_cli_refuses_unknown_engine(tmp_path):
    result = CliRunner().invoke(app, ["--home", str(tmp_path), "--engine", "dask", "status"])
    assert result.exit_code != 0
    assert "unknown engine" in result.output
