import pytest


@pytest.fixture(autouse=True)
def _tasks_run_at_once(settings):
    """Tasks run when enqueued (after the commit), so mail.outbox holds what the worker sends.

    The tests of the worker itself (test_emails.py) switch back to the database backend.
    """
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
