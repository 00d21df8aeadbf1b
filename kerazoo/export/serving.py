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
        raise ValueError(_assertion_text(error.message)) from None
    return [text.decode("utf-8") for text in outputs["text"].numpy()]


def _assertion_text(message):
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


def translate_from_saved_model(path, sources):
    """Runs the `translate` signature of a seq2seq SavedModel; returns a list of str."""
    import tensorflow as tf

    translate = tf.saved_model.load(path).signatures["translate"]
    try:
        outputs = translate(source=tf.constant(list(sources), dtype=tf.string))
    except tf.errors.InvalidArgumentError as error:
        raise ValueError(_assertion_text(error.message)) from None
    return [text.decode("utf-8") for text in outputs["target"].numpy()]


def embed_from_saved_model(path, sentences):
    """Runs the `embed` signature of an ELMo SavedModel; returns a dict of NumPy arrays."""
    import tensorflow as tf

    embed = tf.saved_model.load(path).signatures["embed"]
    try:
        outputs = embed(sentences=tf.constant(list(sentences), dtype=tf.string))
    except tf.errors.InvalidArgumentError as error:
        raise ValueError(_assertion_text(error.message)) from None
    return {name: value.numpy() for name, value in outputs.items()}


def saved_model_signatures(path):
    """The signature names of the SavedModel at `path`."""
    import tensorflow as tf

    return sorted(tf.saved_model.load(path).signatures.keys())
