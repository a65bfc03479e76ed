from __future__ import annotations

from odata.errors import ConfigError, DataError, ExitCode, Problem, PublishError, SourceError


def test_problem_reads_as_file_row_column_code_reason() -> None:
    problem = Problem(
        "bad-date", "dates must be dd/mm/yyyy", file="milano.csv", row=14, column="data_nascita"
    )
    assert str(problem) == "milano.csv:14:data_nascita: [bad-date] dates must be dd/mm/yyyy"


def test_problem_without_location_is_just_code_and_reason() -> None:
    assert str(Problem("x", "why")) == "[x] why"


def test_each_kind_of_failure_has_its_documented_exit_code() -> None:
    assert ConfigError("r").exit_code == ExitCode.CONFIG == 3
    assert SourceError("r").exit_code == 3
    assert DataError("r").exit_code == ExitCode.DATA == 4
    assert PublishError("r").exit_code == ExitCode.PUBLISH == 5


def test_error_message_names_its_location() -> None:
    assert str(ConfigError("unknown setting", file="odata.toml", column="portal.urll")) == (
        "odata.toml:portal.urll: unknown setting"
    )
