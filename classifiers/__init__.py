"""repmon's classifiers: pure machine learning, no database, no network.

``from classifiers import load_classifier, LABELS``; ``clf.predict(texts) -> list[Prediction]``.
"""

from classifiers.model import (
    LABELS,
    LEGAL_LABELS,
    NEGATIVE_LABELS,
    Classifier,
    ClassifierError,
    Prediction,
    load_classifier,
)

__all__ = [
    "LABELS",
    "LEGAL_LABELS",
    "NEGATIVE_LABELS",
    "Classifier",
    "ClassifierError",
    "Prediction",
    "load_classifier",
]
