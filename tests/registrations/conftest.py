import pytest


@pytest.fixture(autouse=True)
def _mail_sent_at_commit(settings):
    """Each mail is sent in the test's process right after the commit (through the outbox's
    claim and send), so mail.outbox holds what the worker sends.

    The tests of the worker itself (test_outbox.py) switch this off.
    """
    settings.EMAIL_DELIVER_ON_COMMIT = True
