"""Calling an exported SavedModel the way a server does: `tf.saved_model.load` and its signatures."""


def generate_from_saved_model(path, prompts, max_length=500, temperature=0.8, top_k=0, seed=0, top_p=1.0):
    """Runs the `generate` signature of the SavedModel at `path`.

    Bad arguments come back as a ValueError carrying the model's own message.

    Returns:
        A list of str, each prompt followed by its continuation.
    """
    import tensorflow as tf

    signatures = tf.saved_model.load(path).signatures
    if "generate" not in signatures:
        raise ValueError(
            f"The SavedModel at {path!r} has no `generate` signature; it has {sorted(signatures)}."
        )
    generate = signatures["generate"]
    try:
        outputs = generate(
            prompt=tf.constant(list(prompts), dtype=tf.string),
            max_length=tf.constant(max_length, dtype=tf.int32),
            temperature=tf.constant(temperature, dtype=tf.float32),
            top_k=tf.constant(top_k, dtype=tf.int32),
            top_p=tf.constant(top_p, dtype=tf.float32),
            seed=tf.constant(seed, dtype=tf.int32),
        )
    except tf.errors.InvalidArgumentError as error:
        raise ValueError(assertion_text(error.message)) from None
    return [text.decode("utf-8") for text in outputs["text"].numpy()]


def assertion_text(message):
    """Turns TensorFlow's assertion text into "`x` must be ... Received: x=value"."""
    import re

    # TensorFlow writes "assertion failed: [<message>] [...] [x (NAME:0) = ] [VALUE] ...".
    found = re.search(r"assertion failed: \[(?P<text>[^\]]*)\]", message)
    if not found:
        return message.strip().splitlines()[-1]
    text = found.group("text")
    value = re.search(r"\[x \((?P<name>\w+):0\) = \] \[(?P<value>[^\]]*)\]", message)
    if value and value.group("name") in ("temperature", "max_length", "top_k", "top_p", "seed"):
        text += f". Received: {value.group('name')}={value.group('value')}"
    return text


def _call(path, signature, output, **inputs):
    """Calls `signature` of the SavedModel at `path` with string `inputs`; bad input becomes a ValueError."""
    import tensorflow as tf

    function = tf.saved_model.load(path).signatures[signature]
    try:
        outputs = function(**{name: tf.constant(list(value), dtype=tf.string) for name, value in inputs.items()})
    except tf.errors.InvalidArgumentError as error:
        raise ValueError(assertion_text(error.message)) from None
    return outputs if output is None else outputs[output]


def translate_from_saved_model(path, sources):
    """Runs the `translate` signature of a seq2seq SavedModel; returns a list of str."""
    return [text.decode("utf-8") for text in _call(path, "translate", "target", source=sources).numpy()]


def embed_from_saved_model(path, sentences):
    """Runs the `embed` signature of an ELMo SavedModel; returns a dict of NumPy arrays."""
    return {name: value.numpy() for name, value in _call(path, "embed", None, sentences=sentences).items()}


def saved_model_signatures(path):
    """The signature names of the SavedModel at `path`."""
    import tensorflow as tf

    return sorted(tf.saved_model.load(path).signatures.keys())
