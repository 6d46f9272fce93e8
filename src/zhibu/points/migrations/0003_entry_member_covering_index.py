"""A member's entries by time, now with `points` included: a ranking sums each member's period with an
index-only scan instead of one heap fetch per entry (bench/points.py: 100,000 members, 5 million entries).
"""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('points', '0002_append_only_and_default_catalogue'),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='entry',
            name='points_entry_member',
        ),
        migrations.AddIndex(
            model_name='entry',
            index=models.Index(fields=['member', 'occurred_at'], include=('points',), name='points_entry_member'),
        ),
    ]
