"""Schemathesis hooks for .ci/schemathesis.sh (loaded through SCHEMATHESIS_HOOKS).

A valid `idempotency-key` gets a unique prefix. Schemathesis draws header values from a
small space (boundary values such as "0" recur across cases), and a reused key correctly
answers with the response kept for its first request, which schemathesis would then judge
against the new request. Invalid keys (negative cases) are left as generated, so their
rejection is still checked.
"""

import ast
import itertools
import re
import threading

import schemathesis

_COUNTER = itertools.count()
# The document's own pattern for the header (a leading space or tab included: such keys
# were left unprefixed, recurred, and met the 422 for a reused key).
_VALID = re.compile(r"^[\t\x20-\x7e]{1,256}$")


@schemathesis.hook
def before_call(ctx, case, kwargs):
    headers = case.headers or {}
    for name, value in list(headers.items()):
        if name.lower() == "idempotency-key" and isinstance(value, str) and _VALID.match(value):
            headers[name] = f"st{next(_COUNTER)}-{value}"[:256]


# CPython 3.11 (3.11.7 here) keeps the AST constructor's recursion depth in module state
# that all threads share (python/cpython#106905), so two `ast.parse` calls at once, one per
# `--workers` thread, can fail with "SystemError: AST constructor recursion depth mismatch".
# Hypothesis parses a module's source the first time it describes one of its lambdas (the
# KeyError printed above that error is its cache miss), and the two workers did so together:
# a runtime error on whichever operation got there first (endpoint PUT in one run, app POST
# in another), not a finding about the API. One parse at a time avoids it; parses are rare
# (one per module, cached), so nothing is slower.
_parse = ast.parse
_parse_lock = threading.Lock()


def _one_parse_at_a_time(*args, **kwargs):
    with _parse_lock:
        return _parse(*args, **kwargs)


ast.parse = _one_parse_at_a_time
