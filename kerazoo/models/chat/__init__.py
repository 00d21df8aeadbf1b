from kerazoo.models.chat.chat_builders import build_chat_lstm  # noqa: F401
from kerazoo.models.chat.chat_builders import build_chat_transformer  # noqa: F401
from kerazoo.models.chat.chat_model import ChatModel  # noqa: F401
