from kerazoo.export.saved_model import export_run
from kerazoo.export.saved_model import export_saved_model
from kerazoo.export.saved_model import export_word_vectors
from kerazoo.export.saved_model import next_version
