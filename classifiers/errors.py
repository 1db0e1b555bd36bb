"""The base of classifiers/' errors. ``classifiers/`` is pure and never imports ``monitor``, so its errors
derive from ``ClassifierError`` here, which ``monitor.errors.ClassifierError`` extends (see the tree in
``monitor/errors.py``). ``classifiers.model.ClassifierError`` is this class."""

from __future__ import annotations


class ClassifierError(Exception):
    """The classifier could not be loaded or run; the message says what to do."""
