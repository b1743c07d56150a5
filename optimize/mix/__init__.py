"""The responder mix: civilian units as overflow capacity, officers sized (or held) for what they leave.

inputs (what the model is given), tables (what each unit on duty is worth, by queueing), model (the MILP),
solve (objectives, budget sweep), result (the plan in figures, predicted by the queueing model).
"""

from optimize.mix.inputs import MixInput, ResponderType
from optimize.mix.result import MixResult, ParetoPoint, Prediction, predict
from optimize.mix.solve import OBJECTIVES, PATROL, pareto_sweep, solve_mix

__all__ = ["OBJECTIVES", "PATROL", "MixInput", "MixResult", "ParetoPoint", "Prediction", "ResponderType",
           "pareto_sweep", "predict", "solve_mix"]
