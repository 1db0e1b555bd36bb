"""How the committed classifier reads very short angry posts (the project's own probes, not a yardstick).

Very short exclamations are common under a business's Facebook posts. The model card's known weaknesses
cite this script: one- to three-word accusations ("thieves!", "גנבים!") are read as praise, because short
exclamations in the training data are mostly praise.
Usage: .venv/bin/python scripts/probe_short_posts.py [HEAD_DIR]   (default: the committed model; a HEAD_DIR
written by `repmon train --output` or scripts/try_candidates.sh probes that model instead)
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from classifiers.evaluation import run_probes
from monitor.wiring import configured_classifier

# (post, what LABELING.md says it is)
PROBES = [
    ("גנבים!", "defamation"),
    ("שקרנים!", "defamation"),
    ("רמאות!", "defamation"),
    ("הם נוכלים!", "defamation"),
    ("מכרו לי טלפון משומש כחדש. רמאות!", "defamation"),
    ("thieves!", "defamation"),
    ("they are crooks, they stole my money", "defamation"),
    ("השירות היה נוראי!", "complaint"),
    ("איכס!", "complaint"),
    ("מגעיל!", "complaint"),
    ("the service was terrible!", "complaint"),
    ("אל תקנו שם!", "boycott"),
    ("כל הכבוד!", "praise"),
    ("amazing!", "praise"),
]


def main(argv: list[str] | None = None) -> int:
    return run_probes(PROBES, sys.argv[1:] if argv is None else argv, configured_classifier)


if __name__ == "__main__":
    sys.exit(main())
