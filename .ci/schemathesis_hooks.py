"""Schemathesis hooks for .ci/schemathesis.sh (loaded through SCHEMATHESIS_HOOKS).

A valid `idempotency-key` gets a unique prefix. Schemathesis draws header values from a
small space (boundary values such as "0" recur across cases), and a reused key correctly
answers with the response kept for its first request, which schemathesis would then judge
against the new request. Invalid keys (negative cases) are left as generated, so their
rejection is still checked.
"""

import itertools
import re

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
