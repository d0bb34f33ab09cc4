"""Deflection: given free support text, suggest the self-serve command before a ticket is opened.

    >>> [s.command for s in suggest("I need to change my email")]
    ['change-email']
    >>> suggest("my card keeps getting declined")[0].example
    'card-decline PAYMENT'
    >>> suggest("batch B-1042 failed again", id_formats={"batch": (r"B-\\d{1,12}", "B-1042")})[0].example
    'batch-status B-1042'

With the backend's ``id_formats``, ids the asker already typed fill the example's placeholders
(:func:`fill`), so the offer is a command they can run as it is.

Each rule is a set of phrase patterns over the lower-cased text; a suggestion's
score is the number of its patterns that match, and the best come first. It is
deliberately a plain, reviewable table: wrong suggestions are cheap to fix here.
"""
from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Suggestion:
    command: str  # the command to run, e.g. "change-email"
    example: str  # its usage, e.g. "change-email ACCOUNT NEW_EMAIL"
    why: str  # one sentence: why this command answers the text


@dataclass(frozen=True)
class _Rule:
    suggestion: Suggestion
    patterns: tuple[re.Pattern[str], ...]
    needs: re.Pattern[str] | None = None  # at least this must match for the rule to apply


def _rule(command: str, example: str, why: str, needs: str, *patterns: str) -> _Rule:
    return _Rule(Suggestion(command, example, why), tuple(re.compile(p) for p in patterns), re.compile(needs))


EMAIL = r"(e-?mail|email address|mail address|login address)"

RULES: tuple[_Rule, ...] = (
    _rule("change-email", "change-email ACCOUNT NEW_EMAIL",
          "You can change an account's e-mail address yourself, with a preview before anything changes.",
          rf"\b(change|update|new|wrong|replace|switch|correct|typo|old)\b.*{EMAIL}|{EMAIL}.*\b(change|update|"
          r"wrong|replace|typo|moved|old|new)\b",
          r"\bchange\b", r"\bupdate\b", r"\bnew (e-?mail|address)\b", r"\bwrong\b"),
    _rule("resend-verification", "resend-verification ACCOUNT",
          "A new verification link can be sent at once; earlier links stop working.",
          r"verif(y|ication|ied)|confirm(ation)? (e-?mail|link)|activation (e-?mail|link)",
          r"\bresend\b|\bsend (it )?again\b|\bnever (got|received|arrived)\b|\bdidn'?t (get|receive)\b",
          r"\blink\b", r"\bexpired?\b"),
    _rule("unlock-account", "unlock-account ACCOUNT REASON",
          "Support can unlock a locked account right away, with the reason kept on record.",
          r"\b(locked|lock ?out|locked out|blocked account|account (is )?blocked|can'?t (log|sign) ?in|"
          r"cannot (log|sign) ?in|too many (attempts|tries))\b",
          r"\blocked\b", r"\b(log|sign) ?in\b", r"\bpassword\b"),
    _rule("remove-seller-fee", "remove-seller-fee SELLER REASON",
          "A seller fee can be waived from chat; a second person approves it before it takes effect.",
          r"\b(seller|selling|commission|merchant)\b.*\bfees?\b|\bfees?\b.*\b(seller|waive|remove|refund)\b|"
          r"\bwaive\b",
          r"\bwaive\b", r"\bremove\b", r"\bcommission\b"),
    _rule("card-decline", "card-decline PAYMENT",
          "The issuer's reason for a declined card is shown in plain language, with what to do next.",
          r"\b(card|credit card|debit card|cc|visa|mastercard|amex)\b.*\b(declin|reject|refus|fail|not work|"
          r"doesn'?t work|denied)|\b(declin|refus)\w*\b.*\b(card|payment)\b",
          r"\bdeclin\w*", r"\bkeeps?\b|\bagain\b", r"\bcard\b"),
    _rule("payment-status", "payment-status ITEM",
          "An item's payment state is explained step by step, including what it is waiting for.",
          r"payment[_ ]?pending|\bpending\b.*\b(item|payment|order|purchase)\b|\b(item|order|purchase)\b.*"
          r"\b(pending|stuck|not (paid|complete)|waiting)\b|3-?d ?secure|\b3ds\b",
          r"payment[_ ]?pending", r"\bitem\b", r"\bstuck\b", r"3-?d ?secure|\b3ds\b"),
    _rule("disbursement-status", "disbursement-status ACCOUNT",
          "Why funds were not paid out (bank details, identity check, balance, a failed batch) is shown at once.",
          r"\b(payout|pay-?out|disburse\w*|funds|money|earnings)\b.*\b(not|never|missing|late|held|hold|"
          r"where|haven'?t|didn'?t|yet)\b|\b(not|never|haven'?t|didn'?t)\b.*\b(paid out|received (my )?"
          r"(money|funds|payout)|disburse\w*)",
          r"\bpayout|pay-?out\b", r"\bdisburse\w*", r"\bfunds\b", r"\blate\b|\bheld\b"),
    _rule("batch-status", "batch-status BATCH",
          "A payout batch's state, timeline and failure reason (like a bank rejection) are shown with the next "
          "retry.",
          r"\bbatch\b|\bb-\d+\b|\bbank file\b",
          r"\bbatch\b", r"\bprocess\w*\b", r"\bb-\d+\b", r"\bfail\w*|\breject\w*"),
)


# An example's placeholder → the backend id kind it stands for (None: an e-mail address).
PLACEHOLDERS: dict[str, str | None] = {"ACCOUNT": "account", "SELLER": "seller", "ITEM": "item",
                                       "PAYMENT": "payment", "BATCH": "batch", "NEW_EMAIL": None}
_EMAIL = re.compile(r"[\w.+-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63})+")
_GENERIC = r"[A-Za-z0-9][A-Za-z0-9_.:\-]{0,63}"  # a backend that cannot tell ids from words: nothing is filled


def fill(example: str, text: str, id_formats: dict[str, tuple[str, str]] | None) -> str:
    """``example`` with each placeholder replaced by the first id of its kind found in ``text`` (ids
    the asker typed: "batch B-1042" → ``batch-status B-1042``); placeholders without one stay."""
    out = []
    used: set[str] = set()
    for word in example.split(" "):
        kind = PLACEHOLDERS.get(word, "?")
        found = None
        if kind is None:
            found = next((m.group(0) for m in _EMAIL.finditer(text) if m.group(0) not in used), None)
        elif kind != "?" and id_formats and kind in id_formats and id_formats[kind][0] != _GENERIC:
            pattern = re.compile(rf"(?<![\w-])(?:{id_formats[kind][0]})(?![\w-])", re.IGNORECASE)
            found = next((m.group(0) for m in pattern.finditer(text) if m.group(0) not in used), None)
        if found:
            used.add(found)
        out.append(found or word)
    return " ".join(out)


def suggest(text: str, limit: int = 3, *, id_formats: dict[str, tuple[str, str]] | None = None) -> list[Suggestion]:
    """The self-serve commands that answer ``text``, best first (empty when none fits); with the
    backend's ``id_formats``, ids in ``text`` fill their examples (:func:`fill`)."""
    low = " ".join((text or "").lower().split())[:2000]
    if not low:
        return []
    scored: list[tuple[int, int, Suggestion]] = []
    for order, rule in enumerate(RULES):
        if rule.needs is not None and not rule.needs.search(low):
            continue
        score = 10 + sum(1 for p in rule.patterns if p.search(low))
        scored.append((-score, order, rule.suggestion))
    scored.sort(key=lambda t: (t[0], t[1]))
    return [Suggestion(s.command, fill(s.example, text[:2000], id_formats), s.why) for _, _, s in scored[:limit]]
