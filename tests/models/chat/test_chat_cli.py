"""`kerazoo chat`, driven through a pseudo-terminal: it answers each line with the Python API's reply to the last
turns, plays `--speaker`, and ends cleanly on Ctrl-D or an empty line."""

import json
import os
import sys

import pytest

from kerazoo.models.chat.chat_generation import reply
from tests.models.chat.test_chat_model import tiny

pexpect = pytest.importorskip("pexpect")
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory):
    model, vocabulary = tiny("chat_transformer", seed=5)
    folder = tmp_path_factory.mktemp("chat-run")
    model.save(folder / "best.keras")
    vocabulary.save(folder / "vocabulary.json")
    (folder / "config.json").write_text(json.dumps({"family": "chat", "model": "chat_transformer"}))
    return str(folder), model, vocabulary


def spawn(folder, *flags):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [ROOT, os.environ.get("PYTHONPATH")])),
               TF_CPP_MIN_LOG_LEVEL="3")
    return pexpect.spawn(sys.executable, ["-m", "kerazoo.cli", "chat", "--source", folder, "--temperature", "0",
                                          *flags], env=env, encoding="utf-8", timeout=240, echo=False)


def answer(session, line, name):
    """Sends `line` and returns the bot's reply line."""
    session.sendline(line)
    session.expect_exact("you> ")
    text = session.before.replace("\r\n", "\n")
    assert text.startswith(f"{name}> ") and text.endswith("\n"), text
    return text[len(name) + 2: -1]


def test_a_session_answers_the_last_turns_and_ends_on_ctrl_d(run_folder):
    folder, model, vocabulary = run_folder
    session = spawn(folder)
    session.expect_exact("An empty line or Ctrl-D ends.")
    session.expect_exact("you> ")
    first = answer(session, "How now, my lord?", "bot")
    assert first == reply(model, vocabulary, ["How now, my lord?"]).text
    # The model reads 2 turns: its own reply and the new line.
    second = answer(session, "What news from the court?", "bot")
    assert second == reply(model, vocabulary, [first, "What news from the court?"]).text
    session.sendeof()
    session.expect(pexpect.EOF)
    session.close()
    assert session.exitstatus == 0 and "Traceback" not in session.before


def test_speaker_plays_a_character_and_an_empty_line_ends(run_folder):
    folder, model, vocabulary = run_folder
    session = spawn(folder, "--speaker", "HAMLET", "--turns", "1")
    session.expect_exact("as HAMLET")
    session.expect_exact("you> ")
    first = answer(session, "Who's there?", "HAMLET")
    assert first == reply(model, vocabulary, ["Who's there?"], speaker="HAMLET").text
    second = answer(session, "Ay, my lord.", "HAMLET")  # --turns 1: only the new line
    assert second == reply(model, vocabulary, ["Ay, my lord."], speaker="HAMLET").text
    session.sendline("")
    session.expect(pexpect.EOF)
    session.close()
    assert session.exitstatus == 0
