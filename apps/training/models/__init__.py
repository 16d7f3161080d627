"""The training app's tables, one module per aggregate; each adds its names to ``__all__`` (kept sorted)."""

from .attempts import Attempt, AttemptAnswer
from .careers import CareerLevel
from .certifications import Certificate, Certification
from .courses import Course, CourseAssignment, Lesson, LessonCompletion
from .exams import Exam, ExamDraw, ExamQuestion, Question, QuestionBank
from .programmes import MilestoneSignoff, Programme, ProgrammeAssignment, ProgrammeStep
from .qa_rules import QaTrainingRule
from .typing import TypingAttempt, TypingTest

__all__: list[str] = [
    "Attempt",
    "AttemptAnswer",
    "CareerLevel",
    "Certificate",
    "Certification",
    "Course",
    "CourseAssignment",
    "Exam",
    "ExamDraw",
    "ExamQuestion",
    "Lesson",
    "LessonCompletion",
    "MilestoneSignoff",
    "Programme",
    "ProgrammeAssignment",
    "ProgrammeStep",
    "QaTrainingRule",
    "Question",
    "QuestionBank",
    "TypingAttempt",
    "TypingTest",
]
