"""Exchanges from the plays: a speech, and the speeches before it in its scene, for a model to learn replies.

A speech is the lines of one speaker's turn (`kerazoo.data.shakespeare`, no
stage directions), joined with spaces (`punctuation.speech_text`). Every speech
that follows a speech by another speaker in the same scene is a reply; its
context is that speech and up to `MAX_TURNS - 1` speeches before it in the
same scene, oldest first (they may be by anyone, the replier included):

    context: ("Who's there?", "Nay, answer me: stand, and unfold yourself.")
    speaker: "FRANCISCO"   reply: "Long live the king!"

Held out whole: the four plays of `punctuation.TEST_PLAYS` (Twelfth Night,
Richard II, Julius Caesar, Macbeth), which the `plays-elmo` biLM and the
punctuation task hold out too, so no scene leaks; two more plays
(`VALIDATION_PLAYS`, a comedy and a tragedy) choose the best checkpoint. Pure
Python, deterministic, offline. The chat family (`kerazoo.models.chat`) trains
on these exchanges, and the sequence-to-sequence `dialogue` task pairs each
reply with the speech it answers; the sizes of every split are in docs/chat.md.
"""

import dataclasses

from kerazoo.data import shakespeare
from kerazoo.data.punctuation import TEST_PLAYS
from kerazoo.data.punctuation import speech_text

VALIDATION_PLAYS = ("much-ado-about-nothing", "othello")
SPLITS = ("train", "validation", "test")
# The most turns of context an exchange keeps (a model reads its own `context_turns` of them).
MAX_TURNS = 4


@dataclasses.dataclass(frozen=True)
class Exchange:
    """A reply and its context.

    Attributes:
        context: tuple of str. Up to `MAX_TURNS` speeches, oldest first; the last is by another speaker.
        speaker: str. Who replies, as the play names them ("FRANCISCO", "First Witch").
        reply: str. The speech.
        play: str. The play's slug.
    """

    context: tuple
    speaker: str
    reply: str
    play: str


def play_exchanges(play, max_turns=MAX_TURNS):
    """Every exchange of one `shakespeare.Play`, in order."""
    found = []
    speeches = [s for s in play.speeches if speech_text(s).strip()]
    for i in range(1, len(speeches)):
        reply, previous = speeches[i], speeches[i - 1]
        if previous.scene != reply.scene or previous.speaker == reply.speaker:
            continue
        first = i - 1
        while first > max(0, i - max_turns) and speeches[first - 1].scene == reply.scene:
            first -= 1
        found.append(Exchange(tuple(speech_text(s) for s in speeches[first:i]), reply.speaker, speech_text(reply),
                              play.slug))
    return found


def dialogue_splits(validation_plays=VALIDATION_PLAYS, test_plays=TEST_PLAYS, max_turns=MAX_TURNS):
    """`{"train", "validation", "test"}` -> list of `Exchange`, whole plays in each, in the plays' order."""
    plays = shakespeare.load_plays()
    slugs = [play.slug for play in plays]
    held = list(validation_plays) + list(test_plays)
    if set(held) - set(slugs) or len(set(held)) != len(held) or not test_plays or len(held) >= len(slugs):
        raise ValueError(f"`validation_plays` and `test_plays` must name distinct plays of {slugs}, some held out "
                         f"and some left to train on. Received: validation_plays={list(validation_plays)}, "
                         f"test_plays={list(test_plays)}")
    split_of = {**{slug: "validation" for slug in validation_plays}, **{slug: "test" for slug in test_plays}}
    splits = {split: [] for split in SPLITS}
    for play in plays:
        splits[split_of.get(play.slug, "train")].extend(play_exchanges(play, max_turns))
    return splits
