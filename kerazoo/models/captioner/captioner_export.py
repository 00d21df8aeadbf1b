"""The captioners' SavedModel signatures: encoded images in, captions and per-word attention maps out.

| builder | signature | inputs -> outputs |
| --- | --- | --- |
| `caption_logits` | `serving_default` | `images` float32 [batch, S, S, 3] in [0, 1], `decoder_token_ids` int32 -> `logits` |
| `caption_greedy` | `caption` | `image` string [batch] (PNG or JPEG bytes) -> `caption`, `words`, `attention` |
| `caption_beam` | `caption_beam` | the same, by beam search (the width is fixed at export, `--beam-width`, default 3) |

Over REST the bytes arrive as TF Serving's `{"b64": "..."}`. In the graph each
image is checked (PNG or JPEG by its signature bytes, whole: PNG ends with its
IEND chunk, JPEG with its EOI marker), its size read from its header and
refused past `max_image_side` before it is decoded, then decoded (greyscale
becomes RGB; transparency is laid over white), resized to the model's input
and captioned. `attention` is `(batch, words, grid, grid)`: word t's weights
over the grid cells, zero past the caption's end.
"""

from kerazoo.signatures.context import after
from kerazoo.signatures.context import batch_check
from kerazoo.signatures.context import id_checks
from kerazoo.signatures.context import register_limit
from kerazoo.signatures.registry import register_signature_builder

MAX_IMAGE_SIDE = register_limit(
    "max_image_side", 4096, "pixels per side of a `caption` image, read from its header before it is decoded")
DEFAULT_BEAM_WIDTH = 3


def decode_images(tf, image, size, max_side):
    """Encoded PNG or JPEG bytes `[batch]` -> float32 `[batch, size, size, 3]` in [0, 1], each checked first."""
    png_magic, jpeg_magic = b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff"

    def one(data):
        is_png = tf.equal(tf.strings.substr(data, 0, 8), png_magic)
        is_jpeg = tf.equal(tf.strings.substr(data, 0, 3), jpeg_magic)
        length = tf.strings.length(data)
        known = tf.debugging.Assert(
            tf.logical_or(is_png, is_jpeg),
            ["`image` must hold PNG or JPEG bytes; these bytes begin with", tf.strings.substr(data, 0, 8)])
        with tf.control_dependencies([known]):
            whole = tf.where(
                is_png,
                tf.logical_and(length >= 45, tf.equal(tf.strings.substr(data, tf.maximum(length - 8, 0), 4), "IEND")),
                tf.equal(tf.strings.substr(data, tf.maximum(length - 2, 0), 2), b"\xff\xd9"))
        complete = tf.debugging.Assert(whole, ["`image` is truncated: its PNG or JPEG data ends before its end "
                                               "marker (IEND or EOI). Bytes received:", length])
        with tf.control_dependencies([complete]):
            def png_shape():
                raw = tf.io.decode_raw(tf.strings.substr(data, 16, 8), tf.uint8)
                values = tf.reshape(tf.cast(raw, tf.int64), (2, 4))
                big_endian = values[:, 0] * 16777216 + values[:, 1] * 65536 + values[:, 2] * 256 + values[:, 3]
                return tf.stack([big_endian[1], big_endian[0]])

            def jpeg_shape():
                return tf.cast(tf.io.extract_jpeg_shape(data)[:2], tf.int64)

            height_width = tf.cond(is_png, png_shape, jpeg_shape)
        small = tf.debugging.Assert(
            tf.reduce_all(height_width <= max_side),
            [f"`image` must be at most {max_side}x{max_side} pixels (the limit set at export); its header says "
             "height x width =", height_width])
        with tf.control_dependencies([small]):
            def png():
                rgba = tf.cast(tf.io.decode_png(data, channels=4), tf.float32)
                alpha = rgba[..., 3:] / 255.0
                return rgba[..., :3] * alpha + 255.0 * (1.0 - alpha)

            def jpeg():
                return tf.cast(tf.io.decode_jpeg(data, channels=3), tf.float32)

            pixels = tf.cond(is_png, png, jpeg)
        resized = tf.image.resize(pixels, (size, size), method="area")
        return tf.clip_by_value(resized / 255.0, 0.0, 1.0)

    return tf.map_fn(one, image, fn_output_signature=tf.TensorSpec((size, size, 3), tf.float32))


@register_signature_builder
def caption_logits(ctx):
    import tensorflow as tf

    model, vocabulary, limits = ctx.model, ctx.vocabulary, ctx.limits
    size = model.image_size
    ctx.info.update({"vocabulary_size": vocabulary.size, "image_size": size, "grid_size": model.grid_size})

    @tf.function(input_signature=[tf.TensorSpec([None, size, size, 3], tf.float32, name="images"),
                                  tf.TensorSpec([None, None], tf.int32, name="decoder_token_ids")])
    def serving_default(images, decoder_token_ids):
        sizes = [batch_check(tf, images, limits["max_batch"], "images"),
                 batch_check(tf, decoder_token_ids, limits["max_batch"], "decoder_token_ids"),
                 tf.debugging.assert_less_equal(tf.shape(decoder_token_ids)[1], model.max_decoding_length,
                                                message="every row of `decoder_token_ids` must hold at most "
                                                        f"{model.max_decoding_length} ids")]
        images, decoder_token_ids = after(tf, sizes, images, decoder_token_ids)
        images, decoder_token_ids = after(tf, id_checks(tf, decoder_token_ids, vocabulary.size, "decoder_token_ids"),
                                          images, decoder_token_ids)
        return {"logits": model({"images": images, "decoder_token_ids": decoder_token_ids}, training=False)}

    return serving_default


def _caption_signature(ctx, beam_width):
    import tensorflow as tf

    from kerazoo.generation.beam_search import beam_search
    from kerazoo.data.vocabulary import OOV_ID

    model, vocabulary, limits = ctx.model, ctx.vocabulary, ctx.limits
    size, grid = model.image_size, model.grid_size
    words = tf.constant(["", *vocabulary.tokens[1:]], dtype=tf.string)
    max_length = model.max_decoding_length - 1
    start_id, end_id = vocabulary.start_id, vocabulary.end_id

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="image")])
    def caption(image):
        checks = [batch_check(tf, image, limits["max_batch"], "image"),
                  tf.debugging.assert_positive(tf.size(image), message="`image` must hold at least one image")]
        (image,) = after(tf, checks, image)
        images = decode_images(tf, image, size, limits["max_image_side"])
        state = model.initial_decoding_state(images)
        tokens, _ = beam_search(model.decoding_step, state, start_id, end_id, max_length, beam_width, 0.0,
                                (OOV_ID, start_id))
        tokens = tokens[:, 1:]
        # The end token and everything after it decode to nothing.
        ended = tf.cumsum(tf.cast(tokens == end_id, tf.int32), axis=1) > 0
        tokens = tf.where(ended, tf.zeros_like(tokens), tokens)
        batch = tf.shape(tokens)[0]
        inputs = tf.concat([tf.fill([batch, 1], start_id), tokens[:, :-1]], axis=1)
        weights = tf.cast(model.attention_maps(images, inputs), tf.float32)
        weights = weights * tf.cast(tf.expand_dims(tokens > 0, -1), tf.float32)
        word_strings = tf.gather(words, tokens)
        text = tf.strings.strip(tf.strings.reduce_join(word_strings, axis=1, separator=" "))
        text = tf.strings.regex_replace(text, " +", " ")
        return {"caption": text, "words": word_strings,
                "attention": tf.reshape(weights, [batch, max_length, grid, grid])}

    return caption


@register_signature_builder
def caption_greedy(ctx):
    return _caption_signature(ctx, 1)


@register_signature_builder
def caption_beam(ctx):
    # Greedy search is `caption`; a width of 1 (the export default) gives this signature its default beam.
    beam_width = max(ctx.options.get("beam_width") or 1, 1)
    beam_width = DEFAULT_BEAM_WIDTH if beam_width == 1 else beam_width
    ctx.info["beam_width"] = beam_width
    return _caption_signature(ctx, beam_width)
