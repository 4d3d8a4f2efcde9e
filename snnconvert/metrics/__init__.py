"""Results of simulations and evaluations, with spike statistics."""

from snnconvert.metrics.evaluation import EvaluationResult, accuracy_over_time, readout_scores, time_to_accuracy
from snnconvert.metrics.results import PopulationActivity, SimulationResult

__all__ = [
    "EvaluationResult",
    "PopulationActivity",
    "SimulationResult",
    "accuracy_over_time",
    "readout_scores",
    "time_to_accuracy",
]
