"""The README documents every command and setting, and starts with the two fresh-machine commands."""

import re
from pathlib import Path

from monitor.cli import build_parser
from monitor.settings import SETTINGS

ROOT = Path(__file__).parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _commands(parser, prefix=()):
    for action in parser._actions:
        if action.__class__.__name__ == "_SubParsersAction":
            for name, sub in action.choices.items():
                yield (*prefix, name)
                yield from _commands(sub, (*prefix, name))


def test_every_cli_command_is_in_the_readme():
    commands = [" ".join(c) for c in _commands(build_parser())]
    assert {"classify", "evaluate", "train", "bench classify", "demo", "settings"} <= set(commands)
    missing = [c for c in commands if f"repmon {c}" not in README]
    assert missing == []


def test_every_setting_is_in_the_readme():
    assert [s.name for s in SETTINGS if f"`{s.name}`" not in README] == []


def test_the_readme_states_the_input_limits_the_code_enforces():
    from monitor.sources.base import MAX_COUNT
    from playbooks.engine import MAX_SLA

    text = " ".join(README.split())  # the README wraps its lines anywhere
    assert (
        f"above {MAX_COUNT:,} skips its post" in text and "`MAX_COUNT` in `monitor/sources/base.py`" in text
    )
    assert MAX_SLA.days == 365 and f"An SLA is at most a year ({MAX_SLA.days * 24}h, `MAX_SLA`" in text


def test_readme_starts_with_the_two_commands_and_ci_runs_the_second():
    blocks = re.findall(r"```bash\n(.*?)\n```", README, re.S)
    run_cmd, test_cmd = blocks[0].strip(), blocks[1].strip()
    assert run_cmd.startswith("bash scripts/setup.sh") and "repmon" in run_cmd
    assert "pytest" in test_cmd
    assert test_cmd in (ROOT / ".ci" / "run").read_text()
    assert README.index(run_cmd) < README.index("repmon is a")


def test_no_placeholder_left_in_the_readme():
    assert "BENCH_RESULTS" not in README


def test_every_image_the_readme_shows_exists_and_each_screenshot_has_its_hebrew_twin():
    images = re.findall(r"!\[[^\]]*\]\(([^)\s]+)\)", README)
    assert images, "the README shows no image"
    assert [i for i in images if not (ROOT / i).is_file()] == []
    shots = [i for i in images if i.startswith("docs/screenshots/") and i.endswith(".png")]
    english = [i for i in shots if not i.endswith("-he.png") and not i.endswith("-en.png")]
    assert english, "no English dashboard screenshot in the README"
    assert [i for i in english if i.replace(".png", "-he.png") not in shots] == []
