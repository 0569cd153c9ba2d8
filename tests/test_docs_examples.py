"""The examples in docstrings are run, so that what the documentation shows stays true.

Each docstring is its own test, so one stale example does not hide the others.
"""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import deconflict
import deconflict.geo.units

FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE

KNOWN_WRONG: dict[str, str] = {}
"""Doctest name → "BUG: …" reason, for an example known to be wrong (xfail, strict)."""


def _doctests() -> list[doctest.DocTest]:
    finder = doctest.DocTestFinder(exclude_empty=True)
    tests = []
    for info in pkgutil.walk_packages(deconflict.__path__, prefix="deconflict."):
        if ".migrations" in info.name:
            continue  # Alembic scripts run when imported: they only work under Alembic
        try:
            module = importlib.import_module(info.name)
        except ModuleNotFoundError as error:
            if (error.name or "").startswith("deconflict"):
                raise
            continue  # an optional dependency (a server or database driver) is not installed
        tests += [t for t in finder.find(module) if t.examples]
    return sorted(tests, key=lambda t: t.name)


DOCTESTS = _doctests()


def _param(test: doctest.DocTest) -> object:
    marks = []
    if test.name in KNOWN_WRONG:
        marks.append(pytest.mark.xfail(strict=True, reason=KNOWN_WRONG[test.name]))
    return pytest.param(test, id=test.name, marks=marks)


@pytest.mark.parametrize("test", [_param(t) for t in DOCTESTS])
def test_docstring_examples_hold(test: doctest.DocTest) -> None:
    runner = doctest.DocTestRunner(optionflags=FLAGS, verbose=False)
    report: list[str] = []
    runner.run(test, out=report.append, clear_globs=False)
    assert runner.failures == 0, "".join(report)


def test_units_keep_their_examples() -> None:
    """Every public parser in `units` shows how it is called."""
    names = {t.name for t in DOCTESTS if t.name.startswith("deconflict.geo.units.")}
    for parser in ("parse_length", "parse_altitude", "parse_speed", "parse_duration", "parse_time"):
        assert f"deconflict.geo.units.{parser}" in names, parser
    examples = sum(len(t.examples) for t in DOCTESTS if t.name.startswith("deconflict.geo.units"))
    assert examples >= 6


def test_units_module_via_testmod() -> None:
    """`doctest.testmod` over the whole module: only the known-wrong example fails."""
    result = doctest.testmod(deconflict.geo.units, optionflags=FLAGS, verbose=False, report=False)
    known = sum(1 for name in KNOWN_WRONG if name.startswith("deconflict.geo.units."))
    assert result.attempted >= 6
    assert result.failed <= known


def test_a_wrong_example_would_be_caught() -> None:
    """The harness itself: a failing example counts as a failure."""

    def sample() -> None:
        """
        >>> 1 + 1
        3
        """

    runner = doctest.DocTestRunner(verbose=False)
    for test in doctest.DocTestFinder().find(sample, "sample", globs={}):
        runner.run(test, out=lambda _: None)
    assert runner.failures == 1
