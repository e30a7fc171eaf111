"""Runs the Schemathesis command line, with one workaround for the Python it runs on.

CPython 3.11 before 3.11.8 can raise `SystemError: AST constructor recursion depth mismatch`
from `ast.parse` on a large module, and Hypothesis parses source files only to print a
readable description of a filter's lambda. On the machine's CPython 3.11.7 that aborts whole
operations with a "Runtime Error" that has nothing to do with the API under test. A failed
description falls back to the plain name here; nothing that generates or checks data changes.
"""

import sys

import hypothesis.internal.lambda_sources as lambda_sources

_describe = lambda_sources._lambda_description


def _describe_or_name(f, *args, **kwargs):
    try:
        return _describe(f, *args, **kwargs)
    except SystemError:
        return getattr(f, "__name__", "lambda")


lambda_sources._lambda_description = _describe_or_name

from schemathesis.cli import schemathesis  # noqa: E402  (after the workaround, on purpose)

# The positive-data check that knows the refusals no schema can state; registering it here
# makes `--checks positive_data_acceptance_documented` available to the command line.
import documented_refusals  # noqa: E402,F401

if __name__ == "__main__":
    sys.exit(schemathesis())
