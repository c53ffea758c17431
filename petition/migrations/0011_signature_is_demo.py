"""Demo signatures are marked as such (manage.py demo_signatures), and their adding and removing is audited."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('campaign', '0002_closed_has_date'),
        ('petition', '0010_consent_wording_and_email_permissions'),
    ]

    operations = [
        migrations.AddField(
            model_name='signature',
            name='is_demo',
            field=models.BooleanField(default=False, help_text='Made up by manage.py demo_signatures: counted on the site, never exported or delivered.', verbose_name='demo'),
        ),
        migrations.AlterField(
            model_name='auditentry',
            name='action',
            field=models.CharField(choices=[('invalidate', 'Invalidated signatures'), ('restore', 'Restored signatures'), ('approve_message', 'Approved messages'), ('hide_message', 'Hid messages'), ('resend', 'Resent confirmation emails'), ('erase', 'Erased personal data'), ('export', 'Exported signatures'), ('hold', 'Started holding new signatures'), ('stop_holding', 'Stopped holding new signatures'), ('release', 'Released held signatures'), ('export_contacts', 'Exported contacts (email addresses)'), ('add_demo', 'Added demo signatures'), ('remove_demo', 'Removed demo signatures')], max_length=20),
        ),
        migrations.AddIndex(
            model_name='signature',
            index=models.Index(condition=models.Q(('is_demo', True)), fields=['campaign', 'status', 'region'], name='signature_demo_idx'),
        ),
    ]
