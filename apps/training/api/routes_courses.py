"""API routes of the courses concern (see apps/training/api/urls.py)."""

from django.urls import path

from apps.training.api import courses

urlpatterns: list = [
    path("training/courses", courses.CourseListView.as_view(), name="training-courses"),
    path("training/courses/<int:pk>", courses.CourseDetailView.as_view(), name="training-course"),
    path("training/courses/<int:pk>/lessons", courses.LessonListView.as_view(), name="training-course-lessons"),
    path("training/courses/<int:pk>/assignments", courses.CourseAssignView.as_view(), name="training-course-assign"),
    path("training/lessons/<int:pk>", courses.LessonDetailView.as_view(), name="training-lesson"),
    path("training/lessons/<int:pk>/complete", courses.LessonCompleteView.as_view(), name="training-lesson-complete"),
    path("training/assignments", courses.AssignmentListView.as_view(), name="training-assignments"),
    path("training/effectiveness", courses.EffectivenessView.as_view(), name="training-effectiveness"),
    path("training/item-analysis/<int:pk>", courses.ItemAnalysisView.as_view(), name="training-item-analysis"),
    path("training/qa-rules", courses.QaRuleListView.as_view(), name="training-qa-rules"),
    path("training/qa-rules/<int:pk>", courses.QaRuleDetailView.as_view(), name="training-qa-rule"),
]
