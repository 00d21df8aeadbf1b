"""Named configurations of skip-gram word2vec for `kerazoo train word2vec --preset NAME`.

Both use gensim's defaults for the model and the data (vector_size=100,
window=5, negative=5, min_count=5, sample=1e-3). They differ in the schedule;
`benchmarks/word2vec_vs_gensim.py` measures both against gensim.
"""

WORD2VEC_PRESETS = {
    "fast": {
        "description": "2 epochs from learning rate 0.05, decaying linearly: as close to gensim's "
        "5-epoch vectors as gensim's own, in 40% of the pairs (the default).",
        "training": {"epochs": 2, "learning_rate": 0.05},
    },
    "gensim": {
        "description": "gensim's schedule: 5 epochs from learning rate 0.025, decaying linearly to 0.0001.",
        "training": {"epochs": 5, "learning_rate": 0.025},
    },
}
