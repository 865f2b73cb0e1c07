"""The reliability and security suite: faults, concurrency, crashes, hostile input, secrets.

CI runs it with small counts; ``ADSTUDIO_SOAK=1`` (or ``python -m tests.reliability.soak``)
uses the full counts of the issue "Reliability and security, measured".
"""
