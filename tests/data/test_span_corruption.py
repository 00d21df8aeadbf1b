import numpy as np
import pytest

from kerazoo.data.span_corruption import add_sentinels
from kerazoo.data.span_corruption import corrupt_text
from kerazoo.data.span_corruption import corrupt_with_mask
from kerazoo.data.span_corruption import fill_spans
from kerazoo.data.span_corruption import fill_text
from kerazoo.data.span_corruption import random_noise_mask
from kerazoo.data.span_corruption import sentinel_characters
from kerazoo.data.span_corruption import sentinel_ids
from kerazoo.data.span_corruption import sentinel_names
from kerazoo.data.span_corruption import sentinels_needed
from kerazoo.data.span_corruption import span_corrupt
from kerazoo.data.span_corruption import span_counts
from kerazoo.data.span_corruption import span_starts
from kerazoo.data.span_corruption import to_sentinel_characters
from kerazoo.data.span_corruption import to_sentinel_names
from kerazoo.data.vocabulary import CharVocabulary

SLIDE = "Thank you for inviting me to your party last week."
# "for inviting" and "last" are the dropped spans.
SLIDE_MASK = [0, 0, 1, 1, 0, 0, 0, 0, 1, 0]


# --- (a) The slide ---------------------------------------------------------------------------------------------------


def test_the_slides_sentence_with_its_spans_fixed_gives_the_slides_inputs_and_targets():
    inputs, targets = corrupt_text(SLIDE, mask=SLIDE_MASK)
    assert inputs == "Thank you <X> me to your party <Y> week."
    assert targets == "<X> for inviting <Y> last <Z>"
    assert fill_text(inputs, targets) == SLIDE


def test_original_targets_keep_the_slides_inputs_and_write_the_whole_sentence():
    inputs, targets = corrupt_text(SLIDE, mask=SLIDE_MASK, targets="original")
    assert inputs == "Thank you <X> me to your party <Y> week."
    assert targets == SLIDE
    # Characters as units: the original is the text itself, its spacing kept.
    inputs, targets = corrupt_text("to  be", mask=[0, 0, 0, 1, 1, 0], sentinels=["<X>", "<Y>"], units="characters",
                                   targets="original")
    assert (inputs, targets) == ("to <X>e", "to  be")
    # On ids, the same mask with either target.
    ids = np.arange(10, 30)
    spans = span_corrupt(ids, range(100, 110), seed=4)
    inputs, targets = span_corrupt(ids, range(100, 110), seed=4, targets="original")
    np.testing.assert_array_equal(inputs, spans[0])
    np.testing.assert_array_equal(targets, ids)
    with pytest.raises(ValueError, match=r"`targets` must be one of \['spans', 'original'\]. "
                                         r"Received: targets='both'"):
        corrupt_text(SLIDE, mask=SLIDE_MASK, targets="both")
    with pytest.raises(ValueError, match=r"`units` must be one of \['words', 'characters'\]. Received: units='bytes'"):
        corrupt_text(SLIDE, units="bytes")


def test_the_slide_on_ids_keeps_one_sentinel_per_span_and_ends_the_targets_with_a_final_one():
    ids = np.arange(10, 20)
    inputs, targets = corrupt_with_mask(ids, SLIDE_MASK, [1, 2, 3, 4])
    np.testing.assert_array_equal(inputs, [10, 11, 1, 14, 15, 16, 17, 2, 19])
    np.testing.assert_array_equal(targets, [1, 12, 13, 2, 18, 3])


def test_for_a_character_model_each_sentinel_is_one_character_and_one_id_of_the_vocabulary():
    characters = sentinel_characters(3)
    inputs, targets = corrupt_text(SLIDE, mask=SLIDE_MASK, sentinels=characters)
    assert inputs == "Thank you \ue000 me to your party \ue001 week."
    assert to_sentinel_names(targets) == "<X> for inviting <Y> last <Z>"
    assert to_sentinel_characters("<X> for inviting <Y> last <Z>") == targets
    vocabulary = add_sentinels(CharVocabulary.from_text(SLIDE), 3)
    plain = CharVocabulary.from_text(SLIDE)
    # The sentinels sort after the text's characters: the ids those had stay the same.
    assert vocabulary.tokens[: plain.size] == plain.tokens and vocabulary.size == plain.size + 3
    ids = sentinel_ids(vocabulary, 3)
    np.testing.assert_array_equal(ids, [plain.size, plain.size + 1, plain.size + 2])
    np.testing.assert_array_equal(vocabulary.encode(targets)[[0, -1]], ids[[0, 2]])
    with pytest.raises(ValueError, match="`vocabulary` must hold the first 3 sentinel characters"):
        sentinel_ids(plain, 3)


def test_sentinel_names_follow_the_figure_then_count_rounds_and_translate_both_ways():
    assert sentinel_names(7) == ["<X>", "<Y>", "<Z>", "<X1>", "<Y1>", "<Z1>", "<X2>"]
    names = " ".join(sentinel_names(40))
    assert to_sentinel_names(to_sentinel_characters(names)) == names
    assert to_sentinel_characters("<Y1>") == chr(0xE004)
    assert to_sentinel_characters("<X0> <A>") == "<X0> <A>"  # not sentinel names


# --- (b) Layout and statistics ---------------------------------------------------------------------------------------


def test_span_counts_follow_t5s_rounding_and_bounds():
    assert span_counts(1000) == (150, 50)
    assert span_counts(10) == (2, 1)  # round(1.5) = 2, round(0.67) = 1
    assert span_counts(20) == (3, 1)  # round(3.0) = 3, round(1.0) = 1
    assert span_counts(2) == (1, 1) and span_counts(1) == (0, 0) and span_counts(0) == (0, 0)
    assert span_counts(100, noise_density=0.5, mean_span_length=1.0) == (50, 50)
    assert span_counts(5, noise_density=0.9, mean_span_length=1.0) == (4, 1)  # at most length - 1; spans <= kept
    assert sentinels_needed(1000) == 51


def runs(mask):
    """The lengths of the runs of True in a bool array."""
    edges = np.diff(np.concatenate([[0], mask.astype(int), [0]]))
    return np.flatnonzero(edges == -1) - np.flatnonzero(edges == 1)


@pytest.mark.parametrize("noise_density,mean_span_length", [(0.15, 3.0), (0.3, 5.0)])
def test_every_mask_has_the_counted_noise_in_the_counted_spans_and_rounding_is_the_only_error(
    noise_density, mean_span_length
):
    for length in range(20, 2000, 37):
        for seed in range(3):
            mask = random_noise_mask(length, noise_density, mean_span_length, seed=seed)
            noise, spans = span_counts(length, noise_density, mean_span_length)
            assert mask.shape == (length,) and not mask[0]
            assert mask.sum() == noise and len(runs(mask)) == spans
            assert abs(noise / length - noise_density) <= 0.5 / length + 1e-12
            assert abs(noise / spans - mean_span_length) <= mean_span_length / (2 * spans) + 1e-12


@pytest.mark.parametrize("noise_density,mean_span_length", [(0.15, 3.0), (0.3, 5.0)])
def test_on_random_text_the_realised_density_and_mean_span_length_match_the_settings_within_sampling_error(
    noise_density, mean_span_length
):
    rng = np.random.default_rng(7)
    densities, span_lengths = [], []
    for seed in range(400):
        length = int(rng.integers(200, 2001))
        ids = rng.integers(1000, size=length)
        inputs, targets = span_corrupt(ids, np.arange(1000, 1400), noise_density, mean_span_length, seed=seed)
        # Measured on the output: the targets hold one sentinel per span, the final one, and the noise.
        spans = int((targets >= 1000).sum()) - 1
        noise = len(targets) - spans - 1
        densities.append(noise / length)
        span_lengths.append(noise / spans)
    for values, setting in ((densities, noise_density), (span_lengths, mean_span_length)):
        values = np.asarray(values)
        standard_error = values.std(ddof=1) / np.sqrt(len(values))
        assert abs(values.mean() - setting) < 4 * standard_error, (values.mean(), setting, standard_error)


def test_spans_and_gaps_are_random_partitions_and_the_last_token_is_no_likelier_dropped():
    # 1000 tokens: 150 noise tokens in 50 spans, 850 kept. In a random partition of n items into k
    # non-empty parts a part has length 1 with probability (k - 1) / (n - 1); the tail after the last
    # span (850 + 1 items into 51 parts, less one) is empty, so the last token dropped, with probability 50 / 850.
    length, noise, spans = 1000, 150, 50
    single, last = [], []
    for seed in range(300):
        mask = random_noise_mask(length, seed=seed)
        single.append(np.mean(runs(mask) == 1))
        last.append(float(mask[-1]))
    for values, expected in ((single, (spans - 1) / (noise - 1)), (last, spans / (length - noise))):
        values = np.asarray(values)
        standard_error = values.std(ddof=1) / np.sqrt(len(values))
        assert abs(values.mean() - expected) < 4 * standard_error, (values.mean(), expected, standard_error)
    # T5's layout always drops the last token: this one does so about one time in 17.
    assert 0.02 < np.mean(last) < 0.12


def test_masks_are_deterministic_from_the_seed():
    np.testing.assert_array_equal(random_noise_mask(500, seed=4), random_noise_mask(500, seed=4))
    assert not np.array_equal(random_noise_mask(500, seed=4), random_noise_mask(500, seed=5))


# --- (c) Inputs and targets rebuild the original ---------------------------------------------------------------------


def test_inputs_and_targets_together_rebuild_the_original_for_every_length_and_seed():
    rng = np.random.default_rng(0)
    for length in [0, 1, 2, 3, 4, 5, 7, 11, 30, 64, 101, 257]:
        for seed in range(25):
            ids = rng.integers(0, 50, size=length)
            sentinels = np.arange(50, 50 + sentinels_needed(length))
            inputs, targets = span_corrupt(ids, sentinels, seed=seed)
            np.testing.assert_array_equal(fill_spans(inputs, targets, sentinels), ids)
            noise, spans = span_counts(length)
            # Each span leaves a sentinel in the inputs and one more in the targets, which hold the noise.
            assert len(inputs) == length - noise + spans and len(targets) == noise + spans + 1
            assert targets[-1] == sentinels[spans]


def test_the_shortest_sequences_are_left_whole_or_lose_their_last_token():
    np.testing.assert_array_equal(span_corrupt([], [9])[0], [])
    np.testing.assert_array_equal(span_corrupt([], [9])[1], [9])
    for seed in range(5):
        inputs, targets = span_corrupt([4], [9], seed=seed)
        assert inputs.tolist() == [4] and targets.tolist() == [9]
        inputs, targets = span_corrupt([4, 5], [8, 9], seed=seed)
        assert inputs.tolist() == [4, 8] and targets.tolist() == [8, 5, 9]


def test_text_round_trips_through_corrupt_and_fill_with_whitespace_normalised():
    rng = np.random.default_rng(1)
    vocabulary = ["word", "Thy", "O,", "love.", "--", "'tis", "me?"]
    for seed in range(40):
        words = [vocabulary[i] for i in rng.integers(len(vocabulary), size=int(rng.integers(1, 60)))]
        text = "  ".join(words) + "\n"
        inputs, targets = corrupt_text(text, seed=seed)
        assert fill_text(inputs, targets) == " ".join(words)
        characters = sentinel_characters(sentinels_needed(len(words)))
        inputs, targets = corrupt_text(text, seed=seed, sentinels=characters)
        assert fill_text(inputs, targets, characters) == " ".join(words)


def test_a_missing_span_in_a_models_targets_fills_nothing():
    assert fill_text("a <X> c <Y> e", "<X> b <Z>") == "a b c e"


# --- (d) Bad arguments -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [0.0, 1.0, -0.1, 1.5, float("nan")])
def test_a_noise_density_outside_0_1_is_refused_and_named(value):
    with pytest.raises(ValueError, match=r"`noise_density` must be in \(0, 1\). Received: noise_density="):
        span_corrupt([1, 2, 3], [7, 8, 9], noise_density=value)


@pytest.mark.parametrize("value", [0.5, 0, -3.0, float("inf")])
def test_a_mean_span_length_below_1_is_refused_and_named(value):
    with pytest.raises(ValueError, match=f"`mean_span_length` must be .*>= 1. Received: mean_span_length={value}"):
        random_noise_mask(10, mean_span_length=value)


def test_too_few_sentinels_and_sentinels_in_the_text_are_refused_and_named():
    with pytest.raises(ValueError, match=r"`sentinel_ids` must hold at least 3 ids here \(one for each of the 2 spans "
                                         r"and a final one\). Received: sentinel_ids=\[100, 101\]"):
        corrupt_with_mask(np.arange(10), SLIDE_MASK, [100, 101])
    with pytest.raises(ValueError, match=r"`ids` must not hold a sentinel id.*Received: ids holding \[3\]"):
        corrupt_with_mask(np.arange(10), SLIDE_MASK, [30, 31, 3])
    with pytest.raises(ValueError, match=r"`text` must not hold a sentinel as a word. Received: text holding \['<X>'\]"):
        corrupt_text("a <X> b", mask=[1, 0, 0])
    with pytest.raises(ValueError, match=r"`mask` must be a 1-D bool array as long as the words of `text` \(10\)"):
        corrupt_text(SLIDE, mask=[0, 1])
    with pytest.raises(ValueError, match=r"`mask` must be a 1-D bool array as long as `ids` \(3\). Received: mask=\[0, 2, 0\]"):
        corrupt_with_mask([1, 2, 3], [0, 2, 0], [7, 8])
    with pytest.raises(ValueError, match="`count` must be an integer in"):
        sentinel_characters(7000)
