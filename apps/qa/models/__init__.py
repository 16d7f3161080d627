"""The QA app's tables, one module per aggregate; each adds its names to ``__all__`` (kept sorted)."""

from .calibration import CalibrationSession
from .coaching import CoachingSession
from .disputes import Dispute, DisputeItem
from .evaluations import Answer, Evaluation, EvaluationComment, EvaluationRevision
from .sampling import Assignment, SamplingRule
from .scorecards import Question, Scorecard, Section
from .settings import QaSettings

__all__: list[str] = [
    "Answer",
    "Assignment",
    "CalibrationSession",
    "CoachingSession",
    "Dispute",
    "DisputeItem",
    "Evaluation",
    "EvaluationComment",
    "EvaluationRevision",
    "QaSettings",
    "Question",
    "SamplingRule",
    "Scorecard",
    "Section",
]
