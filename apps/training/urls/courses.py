"""Pages of the courses concern (see apps/training/urls/__init__.py)."""

from django.urls import path

from apps.training.views import courses, effectiveness, portal

urlpatterns: list = [
    path("", portal.my_training, name="my_training"),
    path("people/", portal.people, name="people"),
    path("people/<int:user_id>/", portal.person, name="person"),
    path("courses/", courses.courses, name="courses"),
    path("courses/new/", courses.course_new, name="course_new"),
    path("courses/<int:pk>/", courses.course, name="course"),
    path("courses/<int:pk>/edit/", courses.course_edit, name="course_edit"),
    path("courses/<int:pk>/assign/", courses.course_assign, name="course_assign"),
    path("courses/<int:pk>/lessons/new/", courses.lesson_new, name="lesson_new"),
    path("lessons/<int:pk>/", courses.lesson, name="lesson"),
    path("lessons/<int:pk>/edit/", courses.lesson_edit, name="lesson_edit"),
    path("lessons/<int:pk>/move/", courses.lesson_move, name="lesson_move"),
    path("lessons/<int:pk>/delete/", courses.lesson_delete, name="lesson_delete"),
    path("lessons/<int:pk>/complete/", courses.lesson_complete, name="lesson_complete"),
    path("lessons/<int:pk>/audio/", courses.lesson_audio, name="lesson_audio"),
    path("lessons/<int:pk>/file/", courses.lesson_file, name="lesson_file"),
    path("effectiveness/", effectiveness.effectiveness, name="effectiveness"),
    path("qa-rules/", effectiveness.qa_rules, name="qa_rules"),
    path("qa-rules/<int:pk>/toggle/", effectiveness.qa_rule_toggle, name="qa_rule_toggle"),
]
