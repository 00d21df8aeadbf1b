"""Candidate word2vec train steps, each measured in CPU ms per step of 4,096 pairs, in one process.

    python benchmarks/word2vec_step_variants.py tables    # f32/bf16 tables, XLA on/off, einsum or multiply-sum
    python benchmarks/word2vec_step_variants.py hogwild   # 1 or 2 threads calling the family's compiled step
    KERAS_BACKEND=jax python benchmarks/word2vec_step_variants.py backend   # the Keras step on this backend

`tables` writes the skip-gram step by hand in TensorFlow (gathers, the
logits, the analytic gradient, two scatter-subtracts) so that one thing at
a time changes, and times the float32 step cut after the gathers and
logits, and after the gradients, to show where its time goes. `hogwild` runs the family's own compiled train function
(`model.train_function`, gensim's preset, 32 steps per call) over batches
held in memory, from one thread and from two threads that update the same
tables, as gensim's workers do. `backend` runs `model.fit` on fixed
batches held in memory on the current Keras backend.

CPU seconds (all threads of the process) move less than wall seconds on
shared cores, but still with the load: compare variants within one run
only. Prints one JSON line and appends it to
benchmarks/results/word2vec_step_variants.jsonl.
"""

import argparse
import datetime
import os
import sys
import threading
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import results_table  # noqa: E402
V, B, K, D = 8672, 4096, 5, 100  # the plays' vocabulary at min_count 5, gensim's batch, negatives and width


def cpu_ms(function, calls, steps_per_call=1, rounds=3):
    """CPU ms per step of `rounds` timings of `calls` calls (after one call to warm up)."""
    function()
    out = []
    for _ in range(rounds):
        start = time.process_time()
        for _ in range(calls):
            function()
        out.append(round(1000 * (time.process_time() - start) / (calls * steps_per_call), 3))
    return out


def tables(vocabulary_size):
    import tensorflow as tf

    rng = np.random.default_rng(0)
    targets = tf.constant(rng.integers(0, vocabulary_size, B).astype("int32"))
    outputs = tf.constant(rng.integers(0, vocabulary_size, (B, K + 1)).astype("int32"))
    labels = tf.one_hot(tf.zeros([B], tf.int32), K + 1)

    def step_function(dtype, jit, products, parts="all"):
        table = rng.uniform(-0.5 / D, 0.5 / D, (vocabulary_size, D))
        w = tf.Variable(tf.cast(table, dtype))
        c = tf.Variable(tf.cast(table, dtype))

        @tf.function(jit_compile=jit)
        def step():
            v = tf.cast(tf.gather(w, targets), tf.float32)
            u = tf.cast(tf.gather(c, outputs), tf.float32)
            if products == "einsum":
                s = tf.einsum("bd,bkd->bk", v, u)
            else:
                s = tf.reduce_sum(v[:, None, :] * u, axis=-1)
            if parts == "gathers":
                return s
            g = tf.sigmoid(s) - labels
            if products == "einsum":
                gv, gu = tf.einsum("bk,bkd->bd", g, u), tf.einsum("bk,bd->bkd", g, v)
            else:
                gv, gu = tf.reduce_sum(g[:, :, None] * u, axis=1), g[:, :, None] * v[:, None, :]
            if parts == "gradients":
                return s, gv, gu
            w.scatter_sub(tf.IndexedSlices(tf.cast(1e-3 * gv, dtype), targets))
            c.scatter_sub(tf.IndexedSlices(tf.cast(1e-3 * tf.reshape(gu, [-1, D]), dtype), tf.reshape(outputs, [-1])))
            return s

        return step

    variants = {
        "float32, XLA, einsum": (tf.float32, True, "einsum"),
        "bfloat16 tables, XLA, einsum": (tf.bfloat16, True, "einsum"),
        "float32, no XLA, einsum": (tf.float32, False, "einsum"),
        "float32, XLA, multiply-sum": (tf.float32, True, "multiply"),
        # Where the float32 XLA step's time goes: the same step cut short.
        "part: gathers and logits only": (tf.float32, True, "einsum", "gathers"),
        "part: gathers, logits and gradients, no scatter": (tf.float32, True, "einsum", "gradients"),
    }
    return {name: cpu_ms(step_function(*args), 100) for name, args in variants.items()}


def hogwild(steps=512):
    from kerazoo.models.word2vec.word2vec_family import WORD2VEC_FAMILY
    from kerazoo.training import resolve_word2vec_config

    results = {}
    for jit in (True, False):
        config = resolve_word2vec_config(preset="gensim", step="keras", verbose=0, jit_compile=jit)
        data = WORD2VEC_FAMILY.prepare(config)
        model = WORD2VEC_FAMILY.build(config, data)
        WORD2VEC_FAMILY.compile(model, config, data)
        held = data.train.take(64).cache().repeat()
        for _ in held.take(64):
            pass
        model.fit(held, epochs=1, steps_per_epoch=32, verbose=0)
        train = model.train_function

        def work(calls):
            iterator = iter(held)
            for _ in range(calls):
                train(iterator)

        for threads in (1, 2, 1, 2):
            pool = [threading.Thread(target=work, args=(steps // 32 // threads,)) for _ in range(threads)]
            wall, cpu = time.perf_counter(), time.process_time()
            for thread in pool:
                thread.start()
            for thread in pool:
                thread.join()
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            results.setdefault(f"{'XLA' if jit else 'no XLA'}, {threads} thread(s)", []).append(
                {"wall_ms_per_step": round(1000 * wall / steps, 3), "cpu_ms_per_step": round(1000 * cpu / steps, 3)})
    return results


def backend(vocabulary_size, steps=512):
    import keras

    from kerazoo.models.word2vec.word2vec_builders import build_skipgram

    rng = np.random.default_rng(0)
    n = 32 * B
    x = {"target": rng.integers(0, vocabulary_size, n).astype("int32"),
         "context": rng.integers(0, vocabulary_size, n).astype("int32"),
         "negative": rng.integers(0, vocabulary_size, (n, K)).astype("int32")}
    model = build_skipgram(vocabulary_size, embedding_dim=D, num_negative=K)
    model.compile(optimizer=keras.optimizers.SGD(0.025 * B), jit_compile=True, steps_per_execution=32)

    def epochs():
        model.fit(x, batch_size=B, epochs=steps // 32, verbose=0, shuffle=False)

    return {keras.backend.backend(): cpu_ms(epochs, 1, steps_per_call=steps)}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=["tables", "hogwild", "backend"])
    parser.add_argument("--vocabulary-size", type=int, default=V)
    parser.add_argument("--no-save", action="store_true")
    args = parser.parse_args(argv)

    import keras

    from kerazoo.training.publish import hardware

    load = os.getloadavg()[0]
    if args.what == "tables":
        cpu = tables(args.vocabulary_size)
    elif args.what == "hogwild":
        cpu = hogwild()
    else:
        cpu = backend(args.vocabulary_size)
    row = {"benchmark": "word2vec_step_variants", "what": args.what, "cpu_ms_per_step": cpu,
           "vocabulary_size": args.vocabulary_size, "batch_size": B, "backend": keras.backend.backend(),
           "hardware": hardware(), "date": datetime.date.today().isoformat(),
           "load_average_1min": [round(load, 2), round(os.getloadavg()[0], 2)]}
    return results_table.report("word2vec_step_variants.jsonl", row, save=not args.no_save)


if __name__ == "__main__":
    main()
