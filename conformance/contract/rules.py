"""The rule catalogue: the project's own copy of the Audience API contract.

Every test, JUnit property, certificate row and documentation page refers to a rule by
its ID. The statements are short paraphrases; the contract's full text is summarised in
``docs`` output and in the OpenAPI description.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from conformance.errors import UnknownRuleError


class Level(str, enum.Enum):
    """RFC 2119 level: MUST rules decide certification, SHOULD rules only in strict mode."""

    MUST = "MUST"
    SHOULD = "SHOULD"


@dataclass(frozen=True)
class Rule:
    id: str
    level: Level
    family: str
    statement: str


def _rule(rule_id: str, level: str, statement: str) -> Rule:
    return Rule(rule_id, Level(level), rule_id.split("-")[0], statement)


RULES: tuple[Rule, ...] = (
    # 1. Conventions
    _rule(
        "AUTH-01",
        "MUST",
        "Every operation requires X-Dexatel-Key; a missing, empty or unknown key gets 401 with the error envelope, before any other check.",
    ),
    _rule(
        "JSON-01",
        "MUST",
        "Every response with a body is application/json and parses as JSON; 204 responses have no body.",
    ),
    _rule(
        "DATE-01",
        "MUST",
        "create_date and update_date are real UTC times formatted 'yyyy-MM-dd HH:mm:ss'.",
    ),
    _rule(
        "DATE-02",
        "SHOULD",
        "A new audience's create_date is within 5 minutes of the client's UTC clock.",
    ),
    # 2. Objects
    _rule(
        "AUD-01",
        "MUST",
        "Audience responses carry every required field with its type; extra fields are allowed.",
    ),
    _rule(
        "ERR-01",
        "MUST",
        "Every 4xx response has a non-empty 'errors' array whose items have an integer 'code' and a string 'message'.",
    ),
    _rule(
        "ERR-02",
        "SHOULD",
        "Each error item also has 'status' (equal to the HTTP status), 'timestamp', 'path' and 'method'.",
    ),
    # 3. Operations
    _rule(
        "CRUD-01",
        "MUST",
        "Create answers 201 with the new audience: name and channel as sent, the key's account_id, contacts_count equal to the contacts sent.",
    ),
    _rule(
        "CRUD-02",
        "MUST",
        "Get by the returned id returns the same audience, and the query operation lists it, with and without a matching channel filter.",
    ),
    _rule(
        "CRUD-03",
        "MUST",
        "Update changes the name and nothing else; update_date never goes back; a channel in the body is ignored.",
    ),
    _rule(
        "CRUD-04",
        "SHOULD",
        "Update moves update_date forward when at least one second has passed since the last change.",
    ),
    _rule(
        "CRUD-05",
        "MUST",
        "Delete answers 204; afterwards get, update and delete of that id answer 404 code 1301 and the list no longer shows it.",
    ),
    _rule(
        "CRUD-06",
        "SHOULD",
        "Query contacts pages through the contacts given at create under every pagination rule; filter[search] matches number or names, case-insensitively.",
    ),
    # 4. Pagination
    _rule(
        "PAGE-01",
        "MUST",
        "pagination.size equals the items in data and never exceeds the page size in force (asked for, or 20).",
    ),
    _rule(
        "PAGE-02",
        "MUST",
        "pagination.total is the number of items matching the query, filter included.",
    ),
    _rule(
        "PAGE-03",
        "MUST",
        "The first page has number 1 and previous null; following next raises number by exactly 1.",
    ),
    _rule(
        "PAGE-04",
        "MUST",
        "Following next from the first page visits every matching item exactly once; total is the same on every page.",
    ),
    _rule(
        "PAGE-05",
        "MUST",
        "Every page but the last is full; next is null exactly on the last page; an empty collection is one empty page.",
    ),
    _rule(
        "PAGE-06",
        "MUST",
        "first and current are never null; current returns the same page, first returns page 1, previous returns page k-1.",
    ),
    _rule(
        "PAGE-07",
        "MUST",
        "Order is stable: the same query returns the same sequence, whatever the page size.",
    ),
    _rule(
        "PAGE-08",
        "MUST",
        "Links keep the query: page_size and filter[channel] stay in force on every page reached through links.",
    ),
    _rule("PAGE-09", "MUST", "Links point to the target's own scheme, host and port."),
    _rule(
        "PAGE-10",
        "SHOULD",
        "A page_size that is not an integer from 1 to 100, an empty one included, gets 400 with the envelope (clamping over 100 is tolerated).",
    ),
    _rule(
        "PAGE-11",
        "MUST",
        "A malformed, truncated or tampered page_token never yields a 5xx (MUST) and gets 400 with the envelope (SHOULD).",
    ),
    _rule(
        "PAGE-12",
        "SHOULD",
        "Items that exist for a whole walk are visited exactly once even while others are created or deleted.",
    ),
    # 5. Filtering
    _rule(
        "FILT-01",
        "MUST",
        "filter[channel] with SMS, VIBER or WHATSAPP returns exactly the audiences of that channel.",
    ),
    _rule(
        "FILT-02",
        "MUST",
        "For a fixed data set, the totals of the three channel filters add up to the unfiltered total.",
    ),
    _rule(
        "FILT-03",
        "SHOULD",
        "Channel filter values match case-insensitively: 'viber' and 'Viber' act as 'VIBER'.",
    ),
    _rule(
        "FILT-04",
        "SHOULD",
        "An unknown channel filter gets 400 with the envelope, preferably code 1307; never a 5xx.",
    ),
    # 6. Validation and error codes
    _rule(
        "VAL-00",
        "MUST",
        "A request with exactly one fault from the code table gets the table's status, and its code is among errors[].code.",
    ),
    _rule(
        "VAL-01",
        "MUST",
        "A rejected create or update changes nothing: no audience appears, none is renamed.",
    ),
    _rule(
        "VAL-1301",
        "MUST",
        "Get, update or delete of a well-formed id unknown to the account answers 404 code 1301.",
    ),
    _rule("VAL-1302", "MUST", "Get, update or delete of a malformed id answers 400 code 1302."),
    _rule(
        "VAL-1303",
        "MUST",
        "Create or update without data, without data.name or with an empty name answers 400 code 1303.",
    ),
    _rule(
        "VAL-1304",
        "MUST",
        "A name that is not a string, or has characters other than ASCII letters, digits, '-' and '_', answers 400 code 1304.",
    ),
    _rule(
        "VAL-1305",
        "MUST",
        "A name of more than 45 allowed characters answers 400 code 1305; exactly 45 is valid.",
    ),
    _rule("VAL-1306", "MUST", "Create without data.channel answers 400 code 1306."),
    _rule(
        "VAL-1307",
        "MUST",
        "A data.channel other than SMS, VIBER or WHATSAPP (exact, upper case) answers 400 code 1307.",
    ),
    _rule("VAL-1308", "MUST", "More than 10 contacts answers 400 code 1308; exactly 10 is valid."),
    _rule(
        "VAL-1309",
        "MUST",
        "Creating, or renaming to, a name another audience of the account has answers 409 code 1309, also when the requests run at the same time: no two audiences of an account ever share a name.",
    ),
    _rule("VAL-1353", "SHOULD", "A contact without number answers 400 code 1353."),
    _rule(
        "VAL-1354",
        "SHOULD",
        "A contact number that is not '+' and 7 to 15 digits answers 400 code 1354.",
    ),
    _rule(
        "VAL-1355", "SHOULD", "A contact number longer than 45 characters answers 400 code 1355."
    ),
    # 7. Accounts and keys
    _rule(
        "TEN-01",
        "MUST",
        "An audience is visible only to its own account: other accounts get 404 code 1301 (never 403) and never see it listed.",
    ),
    _rule(
        "TEN-02",
        "SHOULD",
        "Names are unique per account: two accounts may each have an audience of the same name.",
    ),
    # 8. Robustness
    _rule("ROB-01", "MUST", "No request, however malformed, yields a 5xx."),
    _rule(
        "ROB-02",
        "SHOULD",
        "Non-JSON body 400, non-JSON content type 415, unknown method 405 with Allow, body over 1 MiB 413; each with the envelope.",
    ),
    _rule(
        "ROB-03",
        "SHOULD",
        "A rate-limited request answers 429 with Retry-After; a 429 alone is never a conformance failure.",
    ),
    _rule(
        "ROB-04",
        "SHOULD",
        "A field of the wrong JSON type gets 400 with the envelope; null counts as absent for name and channel.",
    ),
)

RULES_BY_ID: dict[str, Rule] = {rule.id: rule for rule in RULES}

# Error codes of the contract's table (section 6), with the HTTP status each carries.
ERROR_CODES: dict[int, int] = {
    1301: 404,
    1302: 400,
    1303: 400,
    1304: 400,
    1305: 400,
    1306: 400,
    1307: 400,
    1308: 400,
    1309: 409,
    1353: 400,
    1354: 400,
    1355: 400,
}


def get_rule(rule_id: str) -> Rule:
    """Look a rule up by ID, accepting any letter case (users type 'page-04')."""
    try:
        return RULES_BY_ID[rule_id.upper()]
    except KeyError:
        raise UnknownRuleError(
            f"Unknown rule ID '{rule_id}'; see 'audience-conformance rules' for the catalogue."
        ) from None
