"""Optimizers: learning-rate schedules, named optimizer recipes, the Robbins–Monro check.

`get(name, **overrides)` returns a ready Keras optimizer from `RECIPES`;
`get_schedule(name, ...)` a schedule from `SCHEDULES`; `robbins_monro(schedule)`
says whether a schedule meets Σα_k = ∞ and Σα_k² < ∞. See docs/optimizers.md.
"""

from kerazoo.optimizers.recipes import RECIPES
from kerazoo.optimizers.recipes import Recipe
from kerazoo.optimizers.recipes import get
from kerazoo.optimizers.recipes import get_recipe
from kerazoo.optimizers.recipes import named_schedule
from kerazoo.optimizers.recipes import recipe_schedule
from kerazoo.optimizers.robbins_monro import RobbinsMonroReport
from kerazoo.optimizers.robbins_monro import robbins_monro
from kerazoo.optimizers.schedules import SCHEDULES
from kerazoo.optimizers.schedules import ConstantSchedule
from kerazoo.optimizers.schedules import EpochExponentialDecay
from kerazoo.optimizers.schedules import InverseSqrtDecay
from kerazoo.optimizers.schedules import TransformerSchedule
from kerazoo.optimizers.schedules import evaluate_schedule
from kerazoo.optimizers.schedules import get_schedule
from kerazoo.optimizers.schedules import inverse_time_decay
from kerazoo.optimizers.schedules import warmup_cosine_decay
