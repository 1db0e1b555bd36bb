"""E-mail address syntax, checked where an address is set (settings, the Account page, the store) and
where it is used (the digest's recipients).

Stricter than RFC 5322 on purpose: a dot-atom local part without ``/`` or ``\\`` (an address ends up in
file names and headers), a domain of letters, digits and hyphens with a dot in it, no display name, no
quoting, no comments. ``email_validator`` is not installed; the stdlib's ``email.utils.parseaddr`` is too
lenient (it accepts ``a/../b@c`` and bare words), hence this pattern.
"""

from __future__ import annotations

import re
from email.utils import parseaddr

_ATOM = r"[A-Za-z0-9!#$%&'*+\-=?^_`{|}~]+"
_LOCAL = re.compile(rf"{_ATOM}(?:\.{_ATOM})*")
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_DOMAIN = re.compile(rf"(?:{_LABEL}\.)+(?:[A-Za-z]{{2,63}}|xn--[A-Za-z0-9-]{{1,59}})")


def email_problem(address: str) -> str | None:
    """None when ``address`` is a plain e-mail address (``name@example.co.il``), else what is wrong."""
    if not address:
        return "it is empty"
    if any(c.isspace() or ord(c) < 32 for c in address):
        return "it holds a space or a control character"
    if address.count("@") != 1:
        return "it needs exactly one @ (like name@example.co.il)"
    local, domain = address.split("@")
    if len(address) > 254 or len(local) > 64:
        return "it is too long for an e-mail address"
    if not _LOCAL.fullmatch(local):
        return f"the part before @ ({local!r}) is not a mailbox name (letters, digits, . _ + -)"
    try:
        ascii_domain = domain.encode("idna").decode("ascii")
    except UnicodeError:
        return f"the part after @ ({domain!r}) is not a domain name like example.co.il"
    if not _DOMAIN.fullmatch(ascii_domain):
        return f"the part after @ ({domain!r}) is not a domain name like example.co.il"
    return None


def sender_problem(value: str) -> str | None:
    """Like ``email_problem``, for a From value that may carry a display name: ``repmon <a@b.co.il>``."""
    if any(c in value for c in "\r\n"):
        return "it holds a line break"
    _name, address = parseaddr(value)
    if not address or ("<" in value and f"<{address}>" not in value):
        return "it is not an address or 'Name <address>'"
    return email_problem(address)
