"""The sample exchanges of docs/chat.md: the `plays-chat` preset on held-out scenes and in a scripted session.

    python recipes/chat_samples.py                  # the preset
    python recipes/chat_samples.py --source RUN_DIR # any chat run folder
    python recipes/chat_samples.py --source RUN_DIR --measures-only   # the measures table alone

Prints markdown: the preset's measures on the test plays; for every 250th exchange of the test plays
(Twelfth Night, Richard II, Julius Caesar, Macbeth; never trained on), the context's last turn, the
play's own reply, and the model's greedy, beam-search (width 4) and sampled (temperature 0.8, top-p
0.9, seed i for the i-th) replies; then a session of
`kerazoo chat` (greedy, the bot reading its last 2 turns) on lines typed into it, as the slides'
help-desk transcript, once as anyone and once as HAMLET. Deterministic: the same weights print the
same page.
"""

import argparse
import dataclasses
import sys

import numpy as np

SESSION = ["Good morrow, sir.", "What is your name?", "Where is the king?", "I love thee.", "Wilt thou help me?",
           "My computer will not start.", "Farewell."]


def clip(text, length=160):
    return text if len(text) <= length else text[:length].rsplit(" ", 1)[0] + " ..."


def exchanges_page(model, vocabulary, every=250):
    from kerazoo.data.dialogue import dialogue_splits
    from kerazoo.models.chat.chat_generation import reply

    lines = []
    for i, exchange in enumerate(dialogue_splits()["test"][::every]):
        turns = list(exchange.context)
        lines += [f"**{exchange.play}**, to: *{clip(exchange.context[-1])}*", "",
                  f"- the play ({exchange.speaker}): {clip(exchange.reply)}",
                  f"- greedy: {reply(model, vocabulary, turns).text}",
                  f"- beam 4: {reply(model, vocabulary, turns, beam_width=4).text}",
                  f"- sampled: {reply(model, vocabulary, turns, temperature=0.8, top_p=0.9, seed=i).text}", ""]
    return lines


def measures_page(model, vocabulary):
    """The preset's test perplexity without and with the replier's name and with a stranger's context, and
    distinct-n of its replies."""
    from kerazoo.data.dialogue import dialogue_splits
    from kerazoo.models.chat.chat_evaluation import diversity
    from kerazoo.models.chat.chat_evaluation import perplexity

    test = dialogue_splits()["test"]
    plain, named = perplexity(model, vocabulary, test), perplexity(model, vocabulary, test, show_speaker=True)
    # Each reply read after another exchange's context: what the context is worth to this model.
    order = np.random.default_rng(0).permutation(len(test))
    swapped = perplexity(model, vocabulary, [dataclasses.replace(e, context=test[j].context)
                                             for e, j in zip(test, order)])
    lines = ["| measure (test plays) | value |", "| --- | --- |",
             f"| perplexity, the replier's name not shown (the card's figure) | {plain['value']:.2f} |",
             f"| perplexity, the replier's name shown | {named['value']:.2f} |",
             f"| perplexity, each context swapped for another test exchange's | {swapped['value']:.2f} |"]
    for label, temperature in (("sampled (temperature 1, top-p 0.9)", 1.0), ("greedy", 0.0)):
        measured = diversity(model, vocabulary, test[:500], temperature=temperature, seed=0)
        lines.append(f"| distinct-1 / distinct-2 / mean units of 500 {label} replies | {measured['distinct_1']:.3f} / "
                     f"{measured['distinct_2']:.3f} / {measured['mean_reply_units']:.1f} |")
    return lines + [""]


def session_page(model, vocabulary, speaker=None):
    from kerazoo.models.chat.chat_session import chat_session

    typed = iter([line + "\n" for line in SESSION] + [""])
    written = []

    def read():
        line = next(typed)
        written.append(line)
        return line

    chat_session(model, vocabulary, speaker=speaker, temperature=0.0, read=read, write=written.append)
    return ["```", "".join(written).rstrip("\n"), "```", ""]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", default="plays-chat", help="a preset name, or a preset or run folder")
    parser.add_argument("--measures-only", action="store_true", help="print the measures table, not the samples")
    args = parser.parse_args(argv)
    from kerazoo.models.presets import load_preset

    model, vocabulary, _ = load_preset(args.source)
    pages = measures_page(model, vocabulary)
    if not args.measures_only:
        pages += (exchanges_page(model, vocabulary) + session_page(model, vocabulary)
                  + session_page(model, vocabulary, "HAMLET"))
    print("\n".join(pages))
    return 0


if __name__ == "__main__":
    sys.exit(main())
