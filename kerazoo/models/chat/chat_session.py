"""`kerazoo chat`: talk to a chat model at an interactive prompt, its replies streamed as they are made.

    $ kerazoo chat --preset plays-chat --speaker HAMLET
    Talking to plays-chat as HAMLET: it reads the last 2 turns. An empty line or Ctrl-D ends.
    you> Who's there?
    HAMLET> ...

The session keeps the last `--turns` turns (yours and the bot's, default: as
many as the model reads) and sends them as the context of each reply.
`--speaker NAME` opens the context with NAME, as the replier's name opened half
of the training contexts of `plays-chat`; without it the bot is anyone.
Replies are sampled (`--temperature`, `--top-k`, `--top-p`; reply i uses seed
`--seed` + i) or greedy with `--temperature 0`. An empty line, Ctrl-D or
Ctrl-C ends the session cleanly.
"""

import sys

from kerazoo.models.export_protocol import FamilyCommand
from kerazoo.models.flags import Flag
from kerazoo.models.flags import non_negative_float
from kerazoo.models.flags import non_negative_int
from kerazoo.models.flags import positive_int

CHAT = "chat"


def chat_session(model, vocabulary, inputs=None, speaker=None, turns=None, max_length=None, temperature=0.8,
                 top_k=0, top_p=0.9, seed=0, read=None, write=None):
    """Runs the prompt until an empty line or end of input; returns no lines (it writes as it goes).

    Args:
        model, vocabulary: a `ChatModel` and its vocabulary.
        inputs: unused (the command takes no positional inputs).
        speaker: str or None. Who the bot plays.
        turns: int or None. How many of the last turns are sent as context (None: `model.context_turns`).
        max_length, temperature, top_k, top_p, seed: as in `chat_generation.reply`.
        read: callable() -> str: a line with its newline, '' at the end of input; None reads standard input.
        write: callable(str), or None for standard output (flushed after each piece).
    """
    from kerazoo.models.chat.chat_generation import stream_reply
    from kerazoo.utils.arguments import check_integer

    check_integer("turns", turns, minimum=1, allow_none=True)
    kept = turns or model.context_turns
    if write is None:
        def write(text):
            sys.stdout.write(text)
            sys.stdout.flush()
    # Not `input()`: at a terminal it writes its prompt to stderr, where the CLI filters TensorFlow's log lines.
    read = read or sys.stdin.readline

    name = (speaker or "bot").strip() or "bot"
    where = getattr(model, "preset_metadata", {}).get("name", model.name)
    write(f"Talking to {where}{' as ' + speaker if speaker else ''}: it reads the last {model.context_turns} "
          f"turn{'s' if model.context_turns > 1 else ''}. An empty line or Ctrl-D ends.\n")
    history = []
    while True:
        write("you> ")
        try:
            line = read()
        except KeyboardInterrupt:
            line = ""
        if not line.endswith("\n"):
            write("\n")  # Ctrl-D or Ctrl-C: end the prompt's line
        if not line.strip():
            break
        history.append(line.strip())
        write(f"{name}> ")
        pieces = []
        for piece in stream_reply(model, vocabulary, history[-kept:], speaker, max_length, temperature, top_k, top_p,
                                  seed + len(history) // 2):
            write(piece)
            pieces.append(piece)
        write("\n")
        history.append("".join(pieces))
    return []


CHAT_COMMAND = FamilyCommand(
    "chat", "talk to a chat model at an interactive prompt (replies stream as they are made)", CHAT, "chats",
    None, None, chat_session,
    (Flag("speaker", help="the name of the character the bot plays (e.g. HAMLET)"),
     Flag("turns", positive_int, help="how many of the last turns are its context (default: as many as it reads)"),
     Flag("max_length", positive_int, help="most units per reply (default: the model's longest)"),
     Flag("temperature", non_negative_float, help="0 is greedy (default 0.8)"),
     Flag("top_k", non_negative_int, help="0 is off (default)"),
     Flag("top_p", float, help="nucleus mass; 1 is off (default 0.9)"),
     Flag("seed", int, help="reply i is sampled with seed + i (default 0)")),
)
