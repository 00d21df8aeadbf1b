"""The `dialogue` sequence-to-sequence task: a speech in, the reply to it out, scored on 4 held-out plays."""

import pytest

from kerazoo.data.punctuation import TEST_PLAYS
from kerazoo.data.words import mean_word_f1
from kerazoo.generation.translate import translate
from kerazoo.data.dialogue import dialogue_splits
from kerazoo.models.registry import resolve_config
from kerazoo.models.seq2seq_lm import load_pairs
from kerazoo.models.seq2seq_lm import teacher_forced_loss
from kerazoo.models.seq2seq_lm.seq2seq_lm_tasks import PUNCTUATION_MAX_CHARACTERS
from kerazoo.training import train

TINY = {"num_layers": 1, "num_heads": 2, "hidden_dim": 16, "intermediate_dim": 32, "dropout": 0.0}


@pytest.fixture(scope="module")
def splits():
    return dialogue_splits()


def test_a_pair_is_the_speech_replied_to_and_the_reply_both_short(splits):
    config = resolve_config(model="transformer", task="dialogue", train_size=10**9, test_size=10**9)
    train_pairs, test_pairs = load_pairs(config)
    # Twelfth Night opens the test plays: Curio asks, Orsino answers (docs/chat.md's first test exchange).
    assert test_pairs[:2] == [("Will you go hunt, my lord?", "What, Curio?"), ("What, Curio?", "The hart.")]
    # A Midsummer Night's Dream's first exchange is too long; its second is kept.
    assert train_pairs[0] == ("Happy be Theseus, our renowned duke!", "Thanks, good Egeus: what's the news with thee?")
    assert len(train_pairs) == 13000 and len(test_pairs) == 1464
    kept = [(e.context[-1], e.reply) for e in splits["train"]
            if len(e.context[-1]) <= PUNCTUATION_MAX_CHARACTERS and len(e.reply) <= PUNCTUATION_MAX_CHARACTERS]
    assert train_pairs == kept
    assert all(max(map(len, pair)) <= PUNCTUATION_MAX_CHARACTERS for pair in train_pairs + test_pairs)
    # No exchange of a test play trains: its long speeches (short ones such as "My lord." recur across plays)
    # are in no training pair.
    held = {text for e in splits["test"] for text in (e.context[-1], e.reply) if len(text) > 40}
    assert {e.play for e in splits["test"]} == set(TEST_PLAYS) and len(held) > 1000
    assert not held & {text for pair in train_pairs for text in pair}


def test_training_pairs_are_nested_seeded_samples_and_the_test_pairs_the_same_for_every_seed():
    config = resolve_config(model="transformer", task="dialogue", train_size=40, test_size=10)
    train_pairs, test_pairs = load_pairs(config)
    more, _ = load_pairs({**config, "train_size": 80})
    other_train, other_test = load_pairs({**config, "seed": 1})
    assert len(train_pairs) == 40 and len(test_pairs) == 10 and set(train_pairs) < set(more)
    assert test_pairs == other_test and other_train != train_pairs


def test_a_dialogue_run_reports_exact_match_word_f1_and_loss():
    config = resolve_config(model="transformer", task="dialogue", model_kwargs=TINY, train_size=32, test_size=6,
                            epochs=1, batch_size=8, verbose=0)
    model, vocabulary, metrics = train(config, None)
    _, test_pairs = load_pairs(config)
    outputs = translate(model, vocabulary, [source for source, _ in test_pairs])
    targets = [target for _, target in test_pairs]
    assert metrics["test_exact_match"] == sum(o == t for o, t in zip(outputs, targets)) / 6
    assert metrics["test_word_f1"] == pytest.approx(mean_word_f1(outputs, targets))
    assert metrics["test_loss"] == pytest.approx(teacher_forced_loss(model, vocabulary, test_pairs), rel=1e-6)
    # Five of the pairs to read, evenly spaced: 6 pairs give a step of 1.
    assert metrics["test_replies"] == [[source, output, target]
                                       for (source, target), output in zip(test_pairs[:5], outputs[:5])]
