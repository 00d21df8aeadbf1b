"""Named configurations of skip-gram word2vec for `kerazoo train word2vec --preset NAME`.

Both use gensim's defaults for the model and the data (vector_size=100,
window=5, negative=5, min_count=5, sample=1e-3), and the hogwild step
(`word2vec_hogwild`: pair-by-pair SGD on every CPU core, as gensim trains);
`--step keras` trains the same pairs under `model.fit` instead (a GPU, a corpus
on disk, several workers). They differ in the schedule;
`benchmarks/word2vec_vs_gensim.py` and `benchmarks/word2vec_schedules.py`
measure both against gensim (docs/results.md).
"""

# gensim's model: vector_size=100, negative=5.
_GENSIM_MODEL = {"embedding_dim": 100, "num_negative": 5}

WORD2VEC_CONFIGS = {
    "fast": {
        "description": "The default: 2 epochs from learning rate 0.05, decaying linearly; 40% of "
        "gensim's pairs, Spearman 0.91-0.92 against gensim's vectors.",
        "model": "word2vec", "model_kwargs": dict(_GENSIM_MODEL), "training": {"epochs": 2, "learning_rate": 0.05, "step": "hogwild"},
    },
    "gensim": {
        "description": "gensim's schedule: 5 epochs from learning rate 0.025, decaying linearly to "
        "0.0001; Spearman 0.96 against gensim's vectors.",
        "model": "word2vec", "model_kwargs": dict(_GENSIM_MODEL), "training": {"epochs": 5, "learning_rate": 0.025, "step": "hogwild"},
    },
}
