"""Named configurations of the HMM: the leaderboard's HMM-64 and HMM-256, by EM and by gradient descent.

Each trains on tiny_shakespeare's first 1,003,854 characters and validates on
its held-out split (nanoGPT's val), within about five minutes of wall time on
2 CPU cores (`max_minutes`; rerun the same command to go on). The epoch counts
are ceilings: the time budget usually ends a run first.
"""


def _preset(states, fit, epochs, description, **training):
    return {
        "description": description,
        "model": "hmm",
        "model_kwargs": {"states": states},
        "training": {
            "corpus": "tiny_shakespeare",
            "validation_split": "heldout",
            "fit": fit,
            "epochs": epochs,
            "max_minutes": 5.0,
            **training,
        },
    }


HMM_CONFIGS = {
    "hmm-64-em": _preset(64, "em", 100, "HMM, 64 states, Baum-Welch on tiny_shakespeare (5 minutes on 2 cores)."),
    "hmm-256-em": _preset(256, "em", 100, "HMM, 256 states, Baum-Welch on tiny_shakespeare (5 minutes on 2 cores)."),
    "hmm-64-gradient": _preset(
        64, "gradient", 100, "HMM, 64 states, Adam on the logits on tiny_shakespeare (5 minutes on 2 cores).",
        steps_per_epoch=25),
    "hmm-256-gradient": _preset(
        256, "gradient", 100, "HMM, 256 states, Adam on the logits on tiny_shakespeare (5 minutes on 2 cores).",
        steps_per_epoch=25),
}
