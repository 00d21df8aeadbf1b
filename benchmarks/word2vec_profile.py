"""Where a word2vec step's time goes: the input pipeline alone, the train step alone, and both, in one process.

    python benchmarks/word2vec_profile.py                      # gensim's schedule, the plays, 1 epoch each part
    python benchmarks/word2vec_profile.py --steps-per-execution 128 --jit-compile false   # a variant

Each part runs `--steps` steps (one epoch of the plays at batch 4,096 is
512) and reports its wall seconds, its process CPU seconds (all threads) and
their ratio, the cores it kept busy:

- `pipeline`: the tf.data batches alone, iterated and dropped;
- `step`: the compiled train function alone, fed from 32 batches held in memory
  (`Dataset.cache().repeat()`), so the pipeline costs nothing;
- `fit`: `model.fit` on the real pipeline, as `train_word2vec` runs it;

and for the hogwild step (`--parts hogwild_draw,hogwild_1,hogwild_2`), one
epoch of the plays each:

- `hogwild_draw`: the epoch's NumPy draws alone (subsampling and window radii);
- `hogwild_1`, `hogwild_2`: the epoch (draws and the compiled pair loop) on one
  thread and on two, on tables started as the model starts them;
- `hogwild_2_private`: the same two threads with the same halves of the words,
  each on its own copy of the tables (not a training step: it shows what the
  shared tables cost the threads).

Only ratios within one run count on shared cores: every part runs in the
same process, one after the other, `--rounds` times, alternating order.
Appends one JSON line to benchmarks/results/word2vec_profile.jsonl.
"""

import argparse
import datetime
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import results_table  # noqa: E402


def clocks():
    return time.perf_counter(), time.process_time()


def since(start):
    wall, cpu = time.perf_counter() - start[0], time.process_time() - start[1]
    return {"wall_s": round(wall, 3), "cpu_s": round(cpu, 3), "cores": round(cpu / wall, 2)}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=512)
    parser.add_argument("--batch-size", type=int, default=4096)
    parser.add_argument("--steps-per-execution", type=int, default=32)
    parser.add_argument("--jit-compile", default="auto", type=lambda v: {"true": True, "false": False}.get(v, v),
                        help="auto, true or false")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--parts", default="pipeline,step,fit")
    parser.add_argument("--no-save", action="store_true")
    args = parser.parse_args(argv)

    import keras
    import numpy as np
    import tensorflow as tf

    from kerazoo.training.publish import hardware
    from kerazoo.models.word2vec.word2vec_family import WORD2VEC_FAMILY
    from kerazoo.training import resolve_word2vec_config

    config = resolve_word2vec_config(preset="gensim", step="keras", verbose=0, batch_size=args.batch_size,
                                     steps_per_execution=args.steps_per_execution, jit_compile=args.jit_compile)
    results = {}

    def fresh():
        data = WORD2VEC_FAMILY.prepare(config)
        model = WORD2VEC_FAMILY.build(config, data)
        WORD2VEC_FAMILY.compile(model, config, data)
        return data, model

    def pipeline():
        data, _ = fresh()
        iterator = iter(data.train)
        next(iterator)
        start = clocks()
        for _ in range(args.steps):
            next(iterator)
        return since(start)

    def step():
        data, model = fresh()
        spe = min(args.steps_per_execution, data.steps_per_epoch)
        held = data.train.take(spe).cache().repeat()
        for _ in held.take(spe):
            pass
        # The first call compiles; it is not counted.
        model.fit(held, epochs=1, steps_per_epoch=spe, verbose=0)
        start = clocks()
        model.fit(held, epochs=1, steps_per_epoch=args.steps // spe * spe, verbose=0)
        return since(start)

    def fit():
        data, model = fresh()
        spe = min(args.steps_per_execution, data.steps_per_epoch)
        # As `step`: one execution first, so that compiling is not counted.
        model.fit(data.train, epochs=1, steps_per_epoch=spe, verbose=0)
        start = clocks()
        WORD2VEC_FAMILY.fit(model, data, {**config, "epochs": 1, "verbose": 0}, [])
        return since(start)

    hogwild_config = resolve_word2vec_config(preset="gensim", step="hogwild", verbose=0)

    def hogwild(workers):
        data = WORD2VEC_FAMILY.prepare({**hogwild_config, "workers": workers})
        model = WORD2VEC_FAMILY.build(hogwild_config, data)
        epochs = data.extra["hogwild"]
        vectors, contexts = (np.array(keras.ops.convert_to_numpy(model.get_layer(name).embeddings), np.float32)
                             for name in ("target_embedding", "context_embedding"))
        start = clocks()
        epochs.train_epoch(vectors, contexts, 0, hogwild_config["learning_rate"], hogwild_config["learning_rate"] * 0.8)
        return since(start)

    def hogwild_private():
        import threading

        from kerazoo.models.word2vec.word2vec_hogwild import kernel

        data = WORD2VEC_FAMILY.prepare({**hogwild_config, "workers": 2})
        model = WORD2VEC_FAMILY.build(hogwild_config, data)
        epochs = data.extra["hogwild"]
        kept, sentences, radius = epochs.draw(0)
        copies = [[np.array(keras.ops.convert_to_numpy(model.get_layer(name).embeddings), np.float32)
                   for name in ("target_embedding", "context_embedding")] for _ in range(2)]
        bounds = np.linspace(0, len(kept), 3).astype(np.int64)
        rate = hogwild_config["learning_rate"]

        def work(w):
            kernel()(*copies[w], kept, sentences, radius, int(bounds[w]), int(bounds[w + 1]), epochs.accept,
                     epochs.alias, epochs.num_negative, rate, 0.0, np.uint64(w + 1), 16, np.zeros(3))

        threads = [threading.Thread(target=work, args=(w,)) for w in range(2)]
        start = clocks()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return since(start)

    def hogwild_draw():
        data = WORD2VEC_FAMILY.prepare(hogwild_config)
        start = clocks()
        data.extra["hogwild"].draw(0)
        return since(start)

    parts = {"pipeline": pipeline, "step": step, "fit": fit, "hogwild_draw": hogwild_draw,
             "hogwild_1": lambda: hogwild(1), "hogwild_2": lambda: hogwild(2), "hogwild_2_private": hogwild_private}
    names = args.parts.split(",")
    for round_index in range(args.rounds):
        for name in (names if round_index % 2 == 0 else names[::-1]):
            results.setdefault(name, []).append(parts[name]())
            print(name, results[name][-1], flush=True)
    row = {
        "benchmark": "word2vec_profile",
        "parts": {name: runs for name, runs in results.items()},
        "steps": args.steps, "batch_size": args.batch_size, "steps_per_execution": args.steps_per_execution,
        "jit_compile": args.jit_compile,
        "backend": keras.backend.backend(), "tensorflow": tf.__version__, "keras": keras.__version__,
        "hardware": hardware(), "date": datetime.date.today().isoformat(),
        "load_average_1min": round(os.getloadavg()[0], 2),
    }
    return results_table.report("word2vec_profile.jsonl", row, save=not args.no_save)


if __name__ == "__main__":
    main()
