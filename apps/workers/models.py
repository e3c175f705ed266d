from django.db import models


class WorkerHeartbeat(models.Model):
    """Last sign of life from each Celery worker, written by the periodic fleet heartbeat."""

    hostname = models.CharField(max_length=200, unique=True)
    last_seen = models.DateTimeField(db_index=True)
    beats = models.PositiveBigIntegerField(default=0)
    pid = models.PositiveIntegerField(null=True)
    queues = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-last_seen"]

    def __str__(self) -> str:
        return self.hostname
