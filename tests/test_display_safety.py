"""Untrusted names, handles, links and post texts on the terminal (issue 13 point 7), and item ids the
database cannot hold on every ID command (point 8)."""

import html
import json
from dataclasses import replace

import pytest
from conftest import NOW, add_users, open_store

from monitor import text_safety, workflow
from monitor.cli import main, render_queue
from monitor.pipeline import run_pass

RLO, ESC = "\u202e", "\x1b"
HANDLE = f"evil{RLO}gnp.exe\r\nFAKE{ESC}[2J"  # a reversing override, a forged line, a terminal escape
NAME = f"Mallory{ESC}]0;owned\x07{RLO}"
RAW = {RLO, ESC, "\r", "\x07"}


# -- the helper ---------------------------------------------------------------------------------------


def test_for_terminal_shows_every_hidden_character_of_a_name_as_a_marker():
    assert text_safety.for_terminal(HANDLE) == "evil⟨U+202E⟩gnp.exe⟨U+000D⟩⟨U+000A⟩FAKE⟨U+001B⟩[2J"
    assert text_safety.for_terminal("a\x7fb\x85c\u2066d\u200fe\u061cf") == (
        "a⟨U+007F⟩b⟨U+0085⟩c⟨U+2066⟩d⟨U+200F⟩e⟨U+061C⟩f"
    )
    assert text_safety.for_terminal("דנה כהן 👩\u200d💻") == "דנה כהן 👩\u200d💻"  # an emoji's ZWJ stays
    assert text_safety.for_terminal("pay\u200dpal") == "pay⟨U+200D⟩pal"  # a ZWJ between letters hides
    assert text_safety.for_terminal(None) == ""


def test_a_posts_text_keeps_its_lines_and_hebrew_marks_but_not_overrides_or_escapes():
    text = "שלום\u200f world\nline two\t\u202etxet desrever\u202c \x1b[31mred\r"
    assert text_safety.for_terminal(text, text=True) == (
        "שלום\u200f world\nline two\t⟨U+202E⟩txet desrever⟨U+202C⟩ ⟨U+001B⟩[31mred⟨U+000D⟩"
    )
    assert text_safety.one_line(text, 30) == "שלום\u200f world line two ⟨U+202E⟩…"


def test_a_posts_isolates_and_zero_width_spaces_are_dropped_and_flagged():
    text = "הבעלים\u2067 גנב ממני\u2069 fam\u200bily \U0001f3f4\U000e0067\U000e0062\U000e007f"
    assert text_safety.for_terminal(text, text=True) == (
        "הבעלים גנב ממני family \U0001f3f4\U000e0067\U000e0062\U000e007f"
    )
    assert text_safety.flags(text, text=True) == ["RLI", "PDI", "ZWSP"]


def test_flags_name_the_hidden_characters_once_in_order():
    assert text_safety.flags(HANDLE) == ["RLO", "CR", "LF", "ESC"]
    assert text_safety.flags("שלום\u200f\nworld", text=True) == []
    assert text_safety.flags("שלום\u200f") == ["RLM"]
    assert text_safety.flags("fam\u200bily\ufeff") == ["ZWSP", "BOM"]


def test_hangul_fillers_are_flagged_and_shown_as_markers():
    """The Hangul fillers are letters (category Lo) drawn as nothing: a handle of them looks empty, one
    with a filler inside looks like the handle without it. Each is flagged by name and shown as a marker,
    in a name, a post and a link; Hebrew, Arabic, Korean and emoji stay as they are."""
    fillers = "\u115f\u1160\u3164\uffa0"
    assert text_safety.flags(f"ba\u3164nk_official{fillers}") == ["HF", "HCF", "HJF", "HWHF"]
    assert text_safety.flags("post \uffa0text", text=True) == ["HWHF"]
    assert text_safety.for_terminal("ba\u3164nk") == "ba⟨U+3164⟩nk"
    assert text_safety.for_terminal(f"{fillers}\n", text=True) == "⟨U+115F⟩⟨U+1160⟩⟨U+3164⟩⟨U+FFA0⟩\n"
    assert text_safety.for_html("\u3164") == "<bdi>⟨U+3164⟩</bdi>"
    assert text_safety.safe_href("https://x.com/a\u3164b") == "https://x.com/a%E3%85%A4b"
    for fine in (
        "שלום עולם, דנה כהן",
        "مرحبا بالعالم",
        "한국어 텍스트 안녕하세요",
        "👍🏽 ❤️ ☺︎ 👩\u200d💻 👨\u200d👩\u200d👧",  # skin tone, variation selectors, ZWJ sequences
    ):
        assert text_safety.flags(fine) == [] and text_safety.flags(fine, text=True) == []
        assert text_safety.for_terminal(fine) == fine == text_safety.for_terminal(fine, text=True)


def test_html_header_and_link_forms():
    assert text_safety.for_html(f"<b>{RLO}x") == "<bdi>&lt;b&gt;⟨U+202E⟩x</bdi>"
    assert text_safety.for_html("a&b", tag="span") == '<span dir="auto">a&amp;b</span>'
    assert text_safety.for_header("a\r\nBcc: x@y\x1b", 12) == "a⟨U+000D⟩…"
    assert text_safety.for_header("a  \u2028 b") == "a ⟨U+2028⟩ b"
    assert text_safety.isolate(f"דנה{RLO}") == "\u2068דנה⟨U+202E⟩\u2069"
    assert text_safety.safe_href(f"https://x.com/a{RLO}b c") == "https://x.com/a%E2%80%AEb%20c"
    assert text_safety.safe_href("javascript:alert(1)") is None


# -- the terminal ---------------------------------------------------------------------------------------


@pytest.fixture
def hostile(tmp_path, monkeypatch, make_mention, fake_classifier):
    """A database whose one item comes from a hostile handle and name, with ESC and an override in its
    text and its link."""
    monkeypatch.setenv("REPMON_DATA_DIR", str(tmp_path / "data"))
    store = open_store(tmp_path / "data")
    mention = make_mention(
        external_id="1",
        author_handle=HANDLE,
        author_name=NAME,
        author_followers=500_000,
        url=f"https://x.com/{RLO}moc.live/status/1",
        text=f"they scam people defamation {ESC}[2J{ESC}]0;pwned\x07 \u202etxet desrever",
    )
    store.save_page("t", [mention], [], {}, NOW)
    run_pass(store, [], fake_classifier, NOW)
    add_users(store, dana="manager", miri="legal")
    workflow.assign(store, 1, f"dana{ESC}[31m", f"avi{RLO}", NOW)
    return store


def test_repmon_item_shows_hostile_handles_links_and_text_as_markers(hostile, capsys):
    assert main(["item", "1"]) == 0
    out = capsys.readouterr().out
    assert not set(out) & RAW
    assert "@evil⟨U+202E⟩gnp.exe⟨U+000D⟩⟨U+000A⟩FAKE⟨U+001B⟩[2J (500k followers)" in out
    assert "https://x.com/⟨U+202E⟩moc.live/status/1" in out
    assert "defamation ⟨U+001B⟩[2J⟨U+001B⟩]0;pwned⟨U+0007⟩ ⟨U+202E⟩txet desrever" in out
    assert "assignee: dana⟨U+001B⟩[31m;" in out and "avi⟨U+202E⟩: assign" in out


def test_repmon_queue_shows_hostile_handles_and_text_as_markers(hostile, capsys):
    assert main(["queue"]) == 0
    out = capsys.readouterr().out
    assert not set(out) & RAW
    row = out.splitlines()[1]
    assert "@evil⟨U+202E⟩gnp.exe⟨U+000D⟩⟨U+000A⟩FAKE⟨U+001B⟩[2J 500k" in row
    assert "⟨U+001B⟩[2J" in row.split("500k", 1)[1]  # the text's escape too
    assert render_queue(hostile.queue(limit=5), NOW).count("\n") == 1  # one line per item


def test_json_for_terminal_escapes_hidden_characters_and_reads_back_exactly():
    value = {"t": f"ab{RLO}c {ESC}[2J ש\u200fלום\u2028 \U000e0067 👩\u200d💻", "n": "דנה"}
    line = text_safety.json_for_terminal(value)
    assert json.loads(line) == value  # a program reading it gets the stored text back
    assert not set(line) & (RAW | {"\u200f", "\u2028", "\U000e0067", "\u200d"})
    assert "ab\\u202ec \\u001b[2J ש\\u200fלום\\u2028 \\udb40\\udc67 👩\\u200d💻" in line
    assert '"n": "דנה"' in line  # Hebrew stays readable
    assert text_safety.json_for_terminal([RLO], indent=2) == '[\n  "\\u202e"\n]'


def test_repmon_queue_and_item_json_escape_hidden_characters(hostile, capsys):
    """`--json` printed a post's override and escape characters raw: a terminal reordered and obeyed
    them. They are now JSON escapes, which a JSON reader turns back into the stored text."""
    assert main(["queue", "--json"]) == 0
    line = capsys.readouterr().out.strip()
    assert not set(line) & RAW and "\\u202e" in line and "\\u001b" in line
    item = json.loads(line)
    assert item["text"] == hostile.queue(limit=1)[0].text and item["author"] == HANDLE
    assert main(["item", "1", "--json"]) == 0
    out = capsys.readouterr().out
    assert not set(out) & RAW and json.loads(out)["text"] == item["text"]


def test_repmon_queue_cuts_a_long_text_between_markers_never_inside_one(hostile):
    """The excerpt was cut at 57 characters after the markers were put in: a marker across the cut
    showed as '⟨U+20...', which names no character."""
    store = hostile
    text = "a" * 52 + f"{RLO}reversed text{ESC}[2J and more words after it"
    mention = store.queue(limit=1)[0]
    row = render_queue([replace(mention, text=text)], NOW).splitlines()[1]
    excerpt = row.split(" 500k ", 1)[1]  # after the (hostile) handle and its reach
    assert excerpt == "a" * 52 + "…" and not set(row) & RAW
    short = render_queue([replace(mention, text=f"short {RLO}x")], NOW).splitlines()[1]
    assert short.split(" 500k ", 1)[1] == "short ⟨U+202E⟩x"


def test_repmon_user_list_and_status_show_stored_names_as_markers(hostile, capsys):
    hostile.add_user(f"eve{RLO}", "manager", "x", NOW)
    hostile.set_digest_prefs(f"eve{RLO}", f"e{ESC}@x.test", "he", False, "admin", NOW)
    hostile.mark_source(f"src{ESC}[2J", NOW, status="failing", error=f"token{RLO} rejected\r\nok")
    assert main(["user", "list"]) == 0
    assert main(["status"]) == 0
    out = capsys.readouterr().out
    assert not set(out) & RAW
    assert "eve⟨U+202E⟩" in out and "e⟨U+001B⟩@x.test" in out and "src⟨U+001B⟩[2J" in out


# -- item ids the database cannot hold --------------------------------------------------------------------

ID_COMMANDS = {  # each acts as a user whose role allows the command, so only the id can fail
    "item": [],
    "assign": ["dana", "--by", "dana"],
    "respond": ["--by", "dana"],
    "escalate": ["--by", "dana"],
    "decide": ["lawsuit", "--by", "miri"],
    "dismiss": ["--reason", "spam", "--by", "dana"],
    "act": ["start", "--by", "dana"],
    "draft": ["--by", "dana"],
    "approve": ["--by", "dana"],
    "evidence": ["--out", "{tmp}", "--by", "miri"],
    "correct": ["complaint", "--reason", "sarcasm", "--by", "dana"],
}


@pytest.mark.parametrize("command", list(ID_COMMANDS))
@pytest.mark.parametrize(
    "bad", ["9223372036854775808", str(2**64), str(2**31), "-1", "0", "1e3", "seven", "١٢"]
)
def test_an_id_the_database_cannot_hold_is_refused_by_every_id_command(
    hostile, capsys, tmp_path, command, bad
):
    extra = [a.replace("{tmp}", str(tmp_path / "out")) for a in ID_COMMANDS[command]]
    with pytest.raises(SystemExit) as stopped:
        main([command, bad, *extra])
    out, err = capsys.readouterr()
    assert stopped.value.code == 2 and out == ""
    assert f"argument ID: no queue item {bad}: an item id is a whole number from 1 to " in err
    assert "see `repmon queue --all`" in err and "Traceback" not in err


@pytest.mark.parametrize(
    ("argv", "flag", "high"),
    [
        (["queue", "--limit"], "--limit", "2,147,483,647"),
        (["demo", "--once", "--no-dashboard", "--limit"], "--limit", "2,147,483,647"),
        (["worker", "--exit-when-idle", "--batch"], "--batch", "100,000"),
        (["classify", "post", "--batch-size"], "--batch-size", "100,000"),
        (["evaluate", "--input", "x.csv", "--label-column", "l", "--sample"], "--sample", "1,000,000,000"),
    ],
)
@pytest.mark.parametrize("bad", ["0", "-1", str(2**64), "1.5", "many", "١٢"])
def test_a_count_argument_out_of_range_is_refused_by_name(hostile, capsys, argv, flag, high, bad):
    # `queue --limit 0` said "(the queue is empty)" over a full queue, `--limit 2**64` was an
    # OverflowError traceback from the database, `--sample -5` a ValueError traceback from random.sample
    with pytest.raises(SystemExit) as stopped:
        main([*argv, bad])
    out, err = capsys.readouterr()
    assert stopped.value.code == 2 and out == ""
    assert f"argument {flag}: {bad!r} is not a whole number from 1 to {high}" in err
    assert "Traceback" not in err


@pytest.mark.parametrize("command", list(ID_COMMANDS))
def test_the_largest_id_is_looked_up_and_not_found(hostile, capsys, tmp_path, command):
    extra = [a.replace("{tmp}", str(tmp_path / "out")) for a in ID_COMMANDS[command]]
    assert main([command, str(2**31 - 1), *extra]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert f"no queue item {2**31 - 1}: see `repmon queue --all`" in err


@pytest.mark.parametrize("bad", [2**31, 2**63, 2**64, -1, 0])
def test_the_stores_item_lookups_find_nothing_for_an_id_no_database_holds(hostile, bad):
    assert hostile.queue_item(bad) is None
    assert hostile.item(bad) is None


def test_a_name_shown_through_markdown_stays_plain_text():
    """Thread captions and draft editors' names go through st.caption, which renders Markdown: a hostile
    Facebook name must not become a link, emphasis, HTML or LaTeX there."""
    markdown_it = pytest.importorskip("markdown_it")
    from dashboard.views import markdown_text

    name = "[click me](https://evil.example/login) **loud** <b>x</b> $x^2$ :red[alarm] # head"
    rendered = markdown_it.MarkdownIt("commonmark").render(markdown_text(name))
    assert (
        rendered.strip() == f"<p>{html.escape(name, quote=False)}</p>"
    )  # the name, as typed, and nothing else
    assert markdown_it.MarkdownIt("commonmark").render(name).count("<a ") == 1  # unescaped, it was a link


def test_repmon_item_names_the_other_versions_of_a_post_edited_on_x(
    tmp_path, monkeypatch, capsys, fake_classifier
):
    """An edit on X is a post with its own id and item: ``repmon item`` of either names the other, with its
    time, its text as markers, and its item number (in Hebrew too); a post never edited names none."""
    import json as _json

    from monitor.sources.x import parse_response

    monkeypatch.setenv("REPMON_DATA_DIR", str(tmp_path / "data"))
    store = open_store(tmp_path / "data")
    first, edit = "1860000000000000000", "1860000251658240000"  # a minute apart
    posts = [
        {"id": first, "text": "the coffee was cold", "edit_history_tweet_ids": [first]},
        {"id": edit, "text": f"they scam people {ESC}[2J{RLO}x", "edit_history_tweet_ids": [first, edit]},
        {"id": "1860000000000000300", "text": "unrelated, cold coffee"},
    ]
    parsed = parse_response(_json.dumps({"data": posts}).encode(), NOW, "x-search")
    store.save_page("x-search", parsed.mentions, parsed.metrics, {}, NOW)
    run_pass(store, [], fake_classifier, NOW)
    items = {q.external_id: q.id for q in store.queue()}

    assert main(["item", str(items[first])]) == 0
    out = capsys.readouterr().out
    assert not set(out) & RAW
    assert (
        "Edited on X: other versions of this post\n"
        f"  Posted 2024-11-22T16:39:51.785000+00:00, item {items[edit]}: "
        "they scam people ⟨U+001B⟩[2J⟨U+202E⟩x\n"
        f"A newer version of this post exists (item #{items[edit]}): reply there, where its readers see it.\n"
    ) in out
    assert main(["item", str(items[edit])]) == 0
    out = capsys.readouterr().out
    assert f"  Posted 2024-11-22T16:38:51.785000+00:00, item {items[first]}: the coffee was cold\n" in out
    assert "A newer version" not in out  # the newest version points nowhere
    assert main(["item", str(items["1860000000000000300"])]) == 0
    assert "Edited on X" not in capsys.readouterr().out
    monkeypatch.setenv("LANG", "he_IL.UTF-8")
    assert main(["item", str(items[edit])]) == 0
    out = capsys.readouterr().out
    assert "נערך ב-X: גרסאות אחרות של הפוסט הזה\n" in out and f", פריט {items[first]}: " in out
