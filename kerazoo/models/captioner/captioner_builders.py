from kerazoo.models.captioner.captioner_model import CaptionTransformer
from kerazoo.models.captioner.captioner_model import ShowAttendTell


def build_captioner(vocabulary_size, embedding_dim=64, units=256, attention_units=None, filters=(32, 64, 96, 128),
                    feature_dim=128, image_size=64, initial_state="image_mean", attention_penalty=0.0,
                    max_sequence_length=32, name="captioner"):
    """A convolutional grid encoder and an LSTM decoder with additive attention ("Show, Attend and Tell").

    See `ShowAttendTell` for the arguments.
    """
    return ShowAttendTell(**locals())


def build_caption_transformer(vocabulary_size, num_layers=2, num_heads=4, hidden_dim=128, intermediate_dim=256,
                              dropout=0.0, filters=(32, 64, 96, 128), image_size=64, max_sequence_length=32,
                              name="caption_transformer"):
    """The same grid encoder and a Transformer decoder that cross-attends to the grid.

    See `CaptionTransformer` for the arguments.
    """
    return CaptionTransformer(**locals())
