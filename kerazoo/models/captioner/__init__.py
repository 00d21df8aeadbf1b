from kerazoo.models.captioner.captioner_builders import build_caption_transformer  # noqa: F401
from kerazoo.models.captioner.captioner_builders import build_captioner  # noqa: F401
from kerazoo.models.captioner.captioner_model import CaptionTransformer  # noqa: F401
from kerazoo.models.captioner.captioner_model import ShowAttendTell  # noqa: F401
