# A dial attempt is never erased (issue 12, item 3): a contact handed back undialled keeps its
# row with the new outcome "returned", which the unique attempt number no longer covers.


from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("telephony", "0013_wallboard_tokens"),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="dialattempt",
            name="dialattempt_contact_no_uniq",
        ),
        migrations.AlterField(
            model_name="contact",
            name="last_outcome",
            field=models.CharField(
                blank=True,
                choices=[
                    ("answered", "Answered"),
                    ("abandoned", "Abandoned (no agent within 2 s)"),
                    ("busy", "Busy"),
                    ("no_answer", "No answer"),
                    ("machine", "Answering machine"),
                    ("failed", "Failed"),
                    ("returned", "Handed back, not dialled"),
                ],
                max_length=16,
                verbose_name="last outcome",
            ),
        ),
        migrations.AlterField(
            model_name="dialattempt",
            name="outcome",
            field=models.CharField(
                blank=True,
                choices=[
                    ("answered", "Answered"),
                    ("abandoned", "Abandoned (no agent within 2 s)"),
                    ("busy", "Busy"),
                    ("no_answer", "No answer"),
                    ("machine", "Answering machine"),
                    ("failed", "Failed"),
                    ("returned", "Handed back, not dialled"),
                ],
                max_length=16,
                verbose_name="outcome",
            ),
        ),
        migrations.AddConstraint(
            model_name="dialattempt",
            constraint=models.UniqueConstraint(
                condition=models.Q(("outcome", "returned"), _negated=True),
                fields=("contact", "attempt_no"),
                name="dialattempt_contact_no_uniq",
            ),
        ),
    ]
