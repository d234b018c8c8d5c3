"""What the contract fixes, written once: its path, its key header, its channels and its limits.

Every part of the suite that builds a request, draws data or reads an answer takes these from
here, so a change of the contract is one line. The embedded reference server keeps its own
copy on purpose: it stands apart, and a suite that shared its constants could not catch it
drifting from the contract. Imports nothing of the package.
"""

from __future__ import annotations

AUDIENCES_PATH = "/v1/audiences"  # the collection; an audience is AUDIENCES_PATH/<id>
KEY_HEADER = "X-Dexatel-Key"  # the header every request carries the account's key in

CHANNELS = ("SMS", "VIBER", "WHATSAPP")  # section 2: the channels an audience may have

NAME_LIMIT = 45  # VAL-1305: characters of an audience's name
CONTACTS_LIMIT = 10  # VAL-1308: contacts of one audience
NUMBER_LIMIT = 45  # VAL-1355: characters of a contact's number
ID_LIMIT = 64  # section 1: ^[A-Za-z0-9_-]{1,64}$

DEFAULT_PAGE_SIZE = 20  # section 4 [decided]: the page size when none is asked
MAX_PAGE_SIZE = 100  # section 4 [decided]: the largest page size a list answers

# Not the contract's, the suite's own: what it writes wherever a secret stood (terminal, JUnit,
# certificate), the same word in every output so a reader learns it once.
MASK = "[REDACTED]"
