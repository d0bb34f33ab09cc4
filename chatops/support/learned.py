"""Typing learned from the tickets the team typed: a scikit-learn text classifier over *what is asked*.

    probabilities("the .NET SDK throws on init")   # {"dev_problem": 0.81, "dev_inquiry": 0.12, ...} or None

The training set is the tickets typing may learn from (:data:`chatops.support.search.TRAINING_SQL`:
typed or retyped by staff, or worked to resolution with their type), newest :data:`MAX_TRAINING`. The
label is the ticket's *kind* (task, ops problem, dev inquiry, dev problem) — who asked is decided apart
(classify.type_ticket) — so what an insider's and an outsider's tickets teach is shared.

Model: TF-IDF over words (1–2 grams) and characters (3–5 grams within words: typos, "NullReference…",
plurals), then a logistic-loss linear classifier fitted by SGD (probabilities, for the confidence
threshold; as accurate as L-BFGS logistic regression here and four times faster to fit). It is
trained in-process — about 0.2 s for the demo's few hundred tickets, about 3 s for 5,000 — and
trained again when the training set changes (a retype, a resolution, a new typed ticket): a cheap
fingerprint query per typing decides. The first model of a database is trained on the spot; later
ones in a background thread while the previous model keeps answering, so no request waits for a
retrain (the nearest typed tickets, which need no training, count from the first moment). Each
process keeps its own model; nothing is stored.

Why scikit-learn: the well-kept standard for this; the nearest-neighbour vote over the database's
full-text ranking alone (kept for "like #12" explanations) typed 62% of the demo tickets right in a
leave-one-out run, this model 85% in 10-fold cross-validation (BENCHMARKS.md). It is imported the first
time typing needs it, so a process that never types a ticket does not pay its memory.
"""
from __future__ import annotations

import logging
import threading
import warnings
from dataclasses import dataclass
from typing import Any

from chatops.models import database

log = logging.getLogger("chatops.support.learned")

MAX_TRAINING = 3000
MIN_TRAINING = 10  # and at least two kinds: below that only the rules and "tickets like this one" speak
ALPHA = 1e-5  # the SGD classifier's regularisation (chosen by 10-fold cross-validation over the demo tickets)


@dataclass
class _Model:
    key: tuple
    pipeline: Any
    kinds: tuple[str, ...]
    size: int


_lock = threading.Lock()
_current: _Model | None = None
_none_for: tuple | None = None  # the fingerprint for which there was too little to learn from
_training_for: tuple | None = None  # the fingerprint a background retrain is working on
BACKGROUND = True  # False: retrain on the spot (tools and tests that need the newest model at once)


def _fingerprint() -> tuple:
    from chatops.support.search import TRAINING_SQL

    count, top, resolved = database.execute_sql(
        f"SELECT COUNT(*), MAX(t.id), MAX(t.resolved_at) FROM ticket t WHERE {TRAINING_SQL}").fetchone()
    typed = database.execute_sql("SELECT MAX(id) FROM ticket_event WHERE kind = 'typed'").fetchone()[0]
    db = getattr(database, "obj", database)
    return (id(db), getattr(db, "database", ""), count, top, str(resolved), typed)


def _training() -> tuple[list[str], list[str]]:
    from chatops.support.classify import KIND
    from chatops.support.search import TRAINING_SQL

    rows = database.execute_sql(f"SELECT t.summary, t.details, t.category FROM ticket t WHERE {TRAINING_SQL} "
                                "ORDER BY t.id DESC LIMIT %d" % MAX_TRAINING).fetchall()
    texts, kinds = [], []
    for summary, details, category in rows:
        if category in KIND:
            texts.append(f"{summary or ''} {details or ''}")
            kinds.append(KIND[category])
    return texts, kinds


def build(texts: list[str], kinds: list[str]):
    """The pipeline, fitted (also used by bench/ticket_typing.py and the tests' cross-validation)."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import SGDClassifier
    from sklearn.pipeline import make_pipeline, make_union

    pipeline = make_pipeline(
        make_union(TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, lowercase=True),
                   TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True, lowercase=True)),
        SGDClassifier(loss="log_loss", alpha=ALPHA, max_iter=50, tol=None, random_state=0))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        pipeline.fit(texts, kinds)
    return pipeline


def _train(key: tuple) -> _Model | None:
    texts, kinds = _training()
    if len(texts) < MIN_TRAINING or len(set(kinds)) < 2:
        return None
    pipeline = build(texts, kinds)
    return _Model(key, pipeline, tuple(pipeline.classes_), len(texts))


def _same_database(a: tuple, b: tuple) -> bool:
    """``b`` looks like ``a``'s training set grown on (more tickets, newer ids): retrain in the background.
    Anything else (another database, one restored or emptied) trains on the spot, never answering with a
    model of other data."""
    return a[:2] == b[:2] and (b[2] or 0) >= (a[2] or 0) - 5 and (b[3] or 0) >= (a[3] or 0)


def _retrain_in_background(key: tuple) -> None:
    global _current, _training_for
    try:
        fresh = _train(key)
    except Exception:  # noqa: BLE001 - the previous model keeps answering; the next typing tries again
        log.warning("typing: retraining the model failed; the previous one keeps answering", exc_info=True)
        fresh = None
    finally:
        if not database.is_closed():
            database.close()
    with _lock:
        _training_for = None
        if fresh is not None and _current is not None and _same_database(_current.key, key):
            _current = fresh


def model() -> _Model | None:
    """The model for the current training set, or None with too little to learn from.

    The first model of a database is trained now; when the training set changes afterwards the current
    model keeps answering while a background thread trains the next one."""
    global _current, _none_for, _training_for
    key = _fingerprint()
    current = _current
    if current is not None and current.key == key:
        return current
    with _lock:
        current = _current
        if current is not None and current.key == key:
            return current
        if current is not None and _same_database(current.key, key) and BACKGROUND:
            if _training_for != key:
                _training_for = key
                threading.Thread(target=_retrain_in_background, args=(key,), name="chatops-typing-train",
                                 daemon=True).start()
            return current
        if _none_for == key:
            return None
        fresh = _train(key)
        if fresh is None:
            _none_for = key
            return None
        _current = fresh
        return _current


def probabilities(text: str) -> dict[str, float] | None:
    """P(kind | text) from the current model; None when there is nothing to learn from yet."""
    m = model()
    if m is None:
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        row = m.pipeline.predict_proba([text])[0]
    return {kind: float(p) for kind, p in zip(m.kinds, row)}


def forget() -> None:
    """Drop the process's model (tests; a restore of the database)."""
    global _current, _none_for, _training_for
    with _lock:
        _current, _none_for, _training_for = None, None, None
